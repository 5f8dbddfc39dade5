"""Checking a whole class: many submissions, one CSV, shards that merge, a table, a summary and a picture."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import matplotlib.image
import pandas as pd
import pytest

from oracle.cli import main
from oracle.core.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED
from oracle.course.grading import class_summary
from oracle.course.grading import classes as grading
from oracle.course.grading.classes import CLASS_COLUMNS, metadata_path, read_class

SAMPLES = Path(__file__).parent / "course_samples"
OPTIONS = ["--target", "affine,relu,tanh", "--seeds", "1", "--timeout", "5"]

LAYERS = (SAMPLES / "correct.py").read_text()
LAYER_UTILS = '''"""Layers made of layers.py's, which it imports whole (as the course's layer_utils does)."""

from layers import *  # noqa: F403


def affine_relu_forward(x, w, b):
    a, fc_cache = affine_forward(x, w, b)  # noqa: F405
    out, relu_cache = relu_forward(a)  # noqa: F405
    return out, (fc_cache, relu_cache)
'''


def make_class(root: Path) -> Path:
    """alice: correct; bob: buggy; carol: a course folder, one file broken; dave: a hanging relu."""
    folder = root / "class"
    folder.mkdir()
    shutil.copy(SAMPLES / "correct.py", folder / "alice.py")
    shutil.copy(SAMPLES / "buggy.py", folder / "bob.py")
    shutil.copy(SAMPLES / "hostile" / "hangs.py", folder / "dave.py")
    carol = folder / "carol" / "cs231n"
    carol.mkdir(parents=True)
    (carol / "layers.py").write_text(LAYERS)
    (carol / "layer_utils.py").write_text(LAYER_UTILS)
    (carol / "solver.py").write_text('raise SystemExit("names no target: never imported")\n')
    (carol / "broken.py").write_text("def relu_forward(x:\n")
    (folder / "notes.txt").write_text("not a submission\n")
    (folder / ".hidden.py").write_text("raise SystemExit\n")
    return folder


def run(argv: list[str]) -> int:
    try:
        return main(["check", *argv])
    except SystemExit as exc:  # argparse's usage errors exit from the parser
        return int(exc.code or 0)


@pytest.fixture(scope="module")
def klass(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, pd.DataFrame]:
    root = tmp_path_factory.mktemp("grading")
    folder = make_class(root)
    out = root / "reports" / "class.csv"
    code = run(["--submissions", str(folder), *OPTIONS, "--workers", "1", "--out", str(out)])
    return out, code, read_class(out)


def cells(frame: pd.DataFrame) -> dict[str, dict[str, str]]:
    return class_summary.grid(frame).to_dict(orient="index")


# ------------------------------------------------------------------ one run


def test_the_class_csv_has_a_row_per_record_and_the_submission_first(
    klass: tuple[Path, int, pd.DataFrame],
) -> None:
    out, code, frame = klass
    assert code == 1
    assert out.read_text().splitlines()[0] == ",".join(CLASS_COLUMNS)
    assert list(frame.columns[:5]) == ["submission", "file", "autodiff", "course", "target"]
    assert list(dict.fromkeys(frame.submission)) == ["alice.py", "bob.py", "carol", "dave.py"]
    assert set(frame[frame.submission == "alice.py"].file) == {"alice.py"}


def test_each_cell_has_the_verdict_of_its_rows(klass: tuple[Path, int, pd.DataFrame]) -> None:
    _, _, frame = klass
    assert cells(frame) == {
        "alice.py": {"import": "not implemented", "affine": "pass", "relu": "pass", "tanh": "pass"},
        "bob.py": {"import": "not implemented", "affine": "fail", "relu": "fail", "tanh": "fail"},
        "carol": {"import": "error", "affine": "pass", "relu": "pass", "tanh": "pass"},
        "dave.py": {
            "import": "not implemented",
            "affine": "not implemented",
            "relu": "timeout",
            "tanh": "pass",
        },
    }


def test_a_folder_is_checked_file_by_file_where_each_target_is_defined(
    klass: tuple[Path, int, pd.DataFrame],
) -> None:
    _, _, frame = klass
    carol = frame[frame.submission == "carol"]
    # layer_utils.py imports every layer of layers.py: they are checked once, in layers.py;
    # solver.py names no target and is never imported; broken.py names one and cannot be.
    assert set(carol[carol.target != ""].file) == {"cs231n/layers.py"}
    broken = carol[carol.target == ""]
    assert list(broken.file) == ["cs231n/broken.py"] and list(broken.status) == ["error"]
    assert "SyntaxError" in broken.detail.iloc[0]
    assert carol[carol.target == "relu"].replay.str.contains("carol/cs231n/layers.py --target relu").all()


def test_a_hang_costs_its_target_and_nothing_else(klass: tuple[Path, int, pd.DataFrame]) -> None:
    _, _, frame = klass
    dave = frame[frame.submission == "dave.py"]
    assert list(dave[dave.target == "relu"].status) == ["timeout"]
    assert set(dave[dave.target == "tanh"].status) == {"match"}


def test_the_summary_the_markdown_and_the_picture(
    klass: tuple[Path, int, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    out, _, frame = klass
    markdown = (out.parent / "class_summary.md").read_text()
    assert markdown.startswith("# Class check\n\n4 submissions: 1 clean, 3 with a failing row\n")
    assert "| alice.py | not implemented | pass | pass | pass |  |" in markdown
    assert "| dave.py | relu | timeout | relu: no answer within 5 s" in markdown
    picture = matplotlib.image.imread(out.parent / "class_grid.png")
    assert picture.ndim == 3 and picture.shape[0] > 100 and picture.shape[1] > 300
    text = class_summary.summary_text(frame)
    assert "\ndave.py     -       -       TIMEOUT  pass\n" in text
    assert text.endswith("4 submissions: 1 clean, 3 with a failing row")


# --------------------------------------------- the same bytes, in slices


@pytest.mark.slow
def test_the_same_bytes_whatever_the_number_of_workers(
    klass: tuple[Path, int, pd.DataFrame], tmp_path: Path
) -> None:
    out, _, _ = klass
    folder = out.parent.parent / "class"
    again = tmp_path / "two.csv"
    assert run(["--submissions", str(folder), *OPTIONS, "--workers", "2", "--out", str(again)]) == 1
    assert again.read_bytes() == out.read_bytes()


@pytest.fixture(scope="module")
def shards(klass: tuple[Path, int, pd.DataFrame]) -> list[Path]:
    """The class in two shards, each with its metadata."""
    out, _, _ = klass
    folder = out.parent.parent / "class"
    found = []
    for k in (1, 2):
        shard = out.parent.parent / f"shard{k}" / "check.csv"
        run(
            [
                "--submissions",
                str(folder),
                *OPTIONS,
                "--shard",
                f"{k}/2",
                "--workers",
                "1",
                "--out",
                str(shard),
            ]
        )
        found.append(shard)
    return found


def test_shards_merge_into_the_bytes_of_the_whole_run(
    klass: tuple[Path, int, pd.DataFrame], shards: list[Path], tmp_path: Path
) -> None:
    out, _, _ = klass
    assert set(read_class(shards[0]).submission) == {"alice.py", "carol"}  # 1/2: the 1st and 3rd
    assert '"shard": "2/2"' in metadata_path(shards[1]).read_text()
    merged = tmp_path / "merged" / "check.csv"
    assert run(["--merge", str(shards[1]), str(shards[0]), "--out", str(merged)]) == 1  # in any order
    assert merged.read_bytes() == out.read_bytes()
    assert metadata_path(merged).read_text() == metadata_path(out).read_text()
    assert (merged.parent / "class_summary.md").exists() and (merged.parent / "class_grid.png").exists()


def _copy(shard: Path, folder: Path) -> Path:
    folder.mkdir()
    shutil.copy(shard, folder / "check.csv")
    shutil.copy(metadata_path(shard), metadata_path(folder / "check.csv"))
    return folder / "check.csv"


def test_merge_takes_only_the_whole_finished_set_of_shards(
    shards: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = ["--out", str(tmp_path / "merged.csv")]
    first, second = str(shards[0]), str(shards[1])
    edited = _copy(shards[1], tmp_path / "edited")
    edited.write_text(edited.read_text().replace("match", "mismatch", 1))
    unfinished = _copy(shards[1], tmp_path / "unfinished")
    meta = metadata_path(unfinished)
    meta.write_text(meta.read_text().replace('"finished": true', '"finished": false'))
    other = _copy(shards[1], tmp_path / "other")
    meta = metadata_path(other)
    meta.write_text(meta.read_text().replace('"seeds": 1', '"seeds": 2'))
    cases = [
        ([first], "shard 2/2 is missing"),
        ([first, first], "shard 1/2 again"),
        ([first, str(edited)], "not the CSV its run wrote"),
        ([first, str(unfinished)], "its run did not finish"),
        ([first, str(other)], "a shard of another check"),
    ]
    for paths, says in cases:
        assert run(["--merge", *paths, *out]) == EXIT_BAD_INPUT
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and says in err, (says, err)
    assert run(["--merge", first, second, *out]) == 1


def test_a_clean_class_exits_0(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("a.py", "b.py"):
        shutil.copy(SAMPLES / "correct.py", folder / name)
    argv = ["--submissions", str(folder), "--target", "relu", "--seeds", "1", "--workers", "1"]
    assert run([*argv, "--out", str(tmp_path / "c.csv")]) == 0


def test_paths_and_a_folder_of_submissions_make_one_class(tmp_path: Path) -> None:
    out = tmp_path / "c.csv"
    argv = [str(SAMPLES / "correct.py"), str(SAMPLES / "hostile" / "exits.py"), "--target", "relu"]
    assert run([*argv, "--seeds", "1", "--out", str(out)]) == 1
    frame = read_class(out)
    exits = frame[frame.submission.str.endswith("exits.py")]
    assert list(exits.status) == ["error"] and "exited with status 0" in exits.detail.iloc[0]
    assert set(frame[frame.submission.str.endswith("correct.py")].status) == {"match"}


# ------------------------------------------------------------- interrupts


def test_an_interrupt_leaves_whole_rows_of_whole_submissions(
    klass: tuple[Path, int, pd.DataFrame], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, _, frame = klass
    real = grading.results

    def one_then_ctrl_c(*args: object, **kwargs: object) -> Iterator[grading.SubmissionResult]:
        results = real(*args, **kwargs)  # type: ignore[arg-type]
        yield next(results)
        raise KeyboardInterrupt

    monkeypatch.setattr(grading, "results", one_then_ctrl_c)
    cut = tmp_path / "cut.csv"
    folder = out.parent.parent / "class"
    code = main(["check", "--submissions", str(folder), *OPTIONS, "--workers", "1", "--out", str(cut)])
    assert code == EXIT_INTERRUPTED
    written = read_class(cut)
    assert set(written.submission) == {"alice.py"}
    assert cut.read_text().endswith("\n")
    assert len(written) == (frame.submission == "alice.py").sum()
    assert '"finished": false' in metadata_path(cut).read_text()  # a merge refuses it


# -------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["{tmp}/nope", "{samples}/correct.py"], "nope: no such file or folder"),
        (["--submissions", "{samples}/correct.py"], "--submissions {samples}/correct.py: not a folder"),
        (["--submissions", "{tmp}/empty"], "no submissions: name .py files or folders"),
        (["{samples}/correct.py", "{samples}/correct.py"], "two submissions are named"),
        (
            ["{samples}/correct.py", "{samples}/buggy.py", "--target", "dense"],
            "--target dense: not a known name",
        ),
        (["{samples}/correct.py", "--target", ","], "--target ',': an empty target name"),
        (["{samples}/correct.py", "--target", "relu,,tanh"], "--target 'relu,,tanh': an empty target name"),
        (["{samples}/correct.py", "--seeds", "100000000"], "argument --seeds: must be at most 1,000"),
        (["{samples}/correct.py", "--seeds", "1e8"], "argument --seeds: must be at most 1,000, got 1e8"),
        (["{samples}/correct.py", "--seeds", "2.5"], "argument --seeds: expected a whole number, got '2.5'"),
        (["{samples}/correct.py", "--timeout", "0"], "argument --timeout: must be more than 0"),
        (["{samples}/correct.py", "--max-memory", "512M"], "argument --max-memory: must be at least 1G"),
        (["{samples}/correct.py", "--max-memory", "lots"], "argument --max-memory: expected a size"),
        (["{samples}/correct.py", "{samples}/buggy.py", "--out", "{tmp}"], "is a directory"),
        (["--merge"], "--merge: name the class CSVs to join"),
        (["--merge", "{tmp}/notes.csv"], "notes.csv: not a class CSV"),
        (["--merge", "{tmp}/missing.csv"], "missing.csv: cannot read (no such file)"),
        (["{samples}/correct.py", "{samples}/buggy.py", "--shard", "3/3"], "--shard 3/3: the class has 2"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n")
    args = [a.format(tmp=tmp_path, samples=SAMPLES) for a in argv]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "out" / "check.csv")]
    code = run(args)
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert err.count("\n") == 1 and "Traceback" not in err
    assert says.format(samples=SAMPLES) in err, err


def test_names_a_csv_line_cannot_hold_are_escaped_and_stay_distinct(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    correct, buggy = (SAMPLES / "correct.py").read_text(), (SAMPLES / "buggy.py").read_text()
    (folder / "a\nb.py").write_text(correct)
    (folder / "a b.py").write_text(buggy)
    (folder / os.fsdecode(b"bad\xff.py")).write_text(correct)
    out = tmp_path / "out" / "class.csv"
    assert run(["--submissions", str(folder), "--target", "relu", "--out", str(out)]) == 1
    verdicts = read_class(out).groupby("submission").status.agg(set).to_dict()
    assert verdicts == {"a b.py": {"mismatch"}, "a\\nb.py": {"match"}, "bad\\udcff.py": {"match"}}
    for k in (1, 2):  # the shards merge: one row a line
        shard = ["--shard", f"{k}/2", "--out", str(tmp_path / f"s{k}" / "class.csv")]
        run(["--submissions", str(folder), "--target", "relu", *shard])
    merged = ["--merge", str(tmp_path / "s1" / "class.csv"), str(tmp_path / "s2" / "class.csv")]
    assert run([*merged, "--out", str(tmp_path / "m" / "class.csv")]) == 1
    assert (tmp_path / "m" / "class.csv").read_bytes() == out.read_bytes()


def test_files_the_judge_must_not_read_are_left_to_the_worker(tmp_path: Path) -> None:
    """A .py that is a device or a pipe: the judge never opens it; its worker's import fails alone."""
    folder = tmp_path / "class"
    (folder / "zero" / "cs231n").mkdir(parents=True)
    (folder / "zero" / "cs231n" / "layers.py").write_text((SAMPLES / "correct.py").read_text())
    (folder / "zero" / "cs231n" / "layer_utils.py").symlink_to("/dev/zero")
    (folder / "pipe").mkdir()
    os.mkfifo(folder / "pipe" / "layers.py")
    (folder / "ok.py").write_text((SAMPLES / "correct.py").read_text())
    out = tmp_path / "out" / "class.csv"
    argv = ["--submissions", str(folder), "--target", "relu", "--timeout", "2", "--out", str(out)]
    assert run(argv) == 1
    frame = read_class(out)
    assert set(frame.submission) == {"ok.py", "pipe", "zero"}
    assert set(frame[frame.submission == "ok.py"].status) == {"match"}
    assert set(frame[frame.submission == "pipe"].status) <= {"error", "timeout"}
    zero = frame[frame.submission == "zero"]
    assert set(zero[zero.file == "cs231n/layers.py"].status) == {"match"}
    assert set(zero[zero.file == "cs231n/layer_utils.py"].status) <= {"error", "timeout"}


def test_a_broken_link_among_the_submissions_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "a.py").write_text((SAMPLES / "correct.py").read_text())
    (folder / "b.py").symlink_to("b.py")  # a loop
    code = run(["--submissions", str(folder), "--out", str(tmp_path / "out" / "class.csv")])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT and "b.py is a broken link" in err and "Traceback" not in err


def test_shards_of_two_classes_do_not_merge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for folder, names in (("X", "ab"), ("Y", "abc")):
        (tmp_path / folder).mkdir()
        for name in names:
            (tmp_path / folder / f"{name}.py").write_text((SAMPLES / "correct.py").read_text())
    for k, folder in ((1, "X"), (2, "Y")):
        shard = ["--shard", f"{k}/2", "--target", "relu", "--out", str(tmp_path / f"s{k}" / "class.csv")]
        assert run(["--submissions", str(tmp_path / folder), *shard]) == 0
    merged = ["--merge", str(tmp_path / "s1" / "class.csv"), str(tmp_path / "s2" / "class.csv")]
    capsys.readouterr()
    assert run([*merged, "--out", str(tmp_path / "m" / "class.csv")]) == EXIT_BAD_INPUT
    assert "another class of submissions" in capsys.readouterr().err
