"""Output paths and files under attack (issue 14): other runs, full disks, devices, long names, blockers.

Items 3 (two runs on one --out), 4 (a full disk: rows and case files), 23 (--out a device),
24 (a file name too long), 25 (a blocker beside the CSV, found before the work), 33 (the
replay column is shell-quoted), 37 (a JAX cache folder that cannot be used).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oracle.campaign.run import read_report
from oracle.cli import main

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--graphs", "4", "--inputs", "2", "--seed", "3", "--max-nodes", "4", "--workers", "1"]
CASE = {
    "graph": {
        "inputs": {"x": [2]},
        "nodes": [{"id": "s", "op": "square", "args": ["x"]}, {"id": "f", "op": "sum", "args": ["s"]}],
        "output": "f",
    },
    "values": {"x": [0.5, -1.5]},
    "cotangent": None,
    "dtype": "float64",
}


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


def metadata(csv: Path) -> dict:
    return json.loads(csv.with_name(csv.name + ".json").read_text())


@pytest.fixture
def case_file(tmp_path: Path) -> Path:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(CASE))
    return path


# ------------------------------------------------------------------ 3: one run per output


def commands(out: Path, case: Path) -> dict[str, list[str]]:
    return {
        "report": ["report", *SMALL, "--out", str(out)],
        "mlp": [
            "mlp",
            "--steps",
            "2",
            "--n",
            "4",
            "--d-in",
            "5",
            "--hidden",
            "3",
            "--d-out",
            "2",
            "--out",
            str(out),
        ],
        "replay": ["replay", str(case), "--out", str(out)],
    }


@pytest.mark.parametrize("command", ["report", "mlp", "replay"])
def test_a_second_run_on_a_locked_output_fails_at_once_and_leaves_it_alone(
    command, tmp_path, case_file, capsys
) -> None:
    out = tmp_path / "out.csv"
    out.write_text("the other run's rows\n")
    with open(out, "a") as other_run:
        fcntl.flock(other_run, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert main(commands(out, case_file)[command]) == 2
    assert "another run is writing it" in one_line(capsys)
    assert out.read_text() == "the other run's rows\n"
    assert not out.with_name(out.name + ".json").exists()


@pytest.mark.slow
def test_two_real_runs_on_one_out_do_not_mix(tmp_path: Path, capsys) -> None:
    out = tmp_path / "d.csv"
    argv = [sys.executable, "-m", "oracle", "report", "--graphs", "2000", "--inputs", "2", "--workers", "1"]
    first = subprocess.Popen([*argv, "--out", str(out)], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not out.exists() or out.read_text().count("\n") < 4):
        time.sleep(0.1)
    assert main(["report", *SMALL, "--out", str(out)]) == 2
    assert "another run is writing it" in one_line(capsys)
    first.send_signal(signal.SIGINT)
    _, err = first.communicate(timeout=60)
    assert first.returncode == 130, err
    text = out.read_text()
    assert "\x00" not in text and text.endswith("\n")
    frame = read_report(out)
    assert (frame.groupby("graph")["input_set"].nunique() == 2).all()
    assert list(frame["seed"].unique()) == [0]  # only the first run's rows


# ------------------------------------------------------------------ 4: a full disk


def fill_disk_at(monkeypatch: pytest.MonkeyPatch, starts: bytes, nth: int = 1) -> None:
    """From the ``nth`` write starting with ``starts`` on, the disk is full (that one is half-written)."""
    from oracle.core import output

    real = output._write
    seen = {"count": 0, "full": False}

    def write(fd: int, data: bytes) -> int:
        data = bytes(data)
        if seen["full"]:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        if data.startswith(starts):
            seen["count"] += 1
            if seen["count"] == nth:
                seen["full"] = True
                return real(fd, data[: len(data) // 2])
        return real(fd, data)

    monkeypatch.setattr(output, "_write", write)


def test_a_full_disk_while_writing_rows_leaves_a_csv_of_whole_rows(tmp_path, monkeypatch, capsys) -> None:
    fill_disk_at(monkeypatch, b"2,")  # the third graph's rows
    out = tmp_path / "d.csv"
    assert main(["report", *SMALL, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{out}: cannot write (No space left on device); it ends at its last whole row" in err
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith(
        "python -m oracle report: error"
    )
    assert out.read_text().endswith("\n")
    frame = read_report(out)
    assert sorted(frame["graph"].unique()) == [0, 1] and frame["status"].ne("").all()
    assert metadata(out)["finished"] is False


def test_a_full_disk_while_writing_case_files_leaves_no_partial_file(tmp_path, monkeypatch, capsys) -> None:
    fill_disk_at(monkeypatch, b'{"graph"', nth=5)  # the fifth case file
    out = tmp_path / "d.csv"
    assert main(["report", *SMALL, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert (
        "cases/" in err and ".json: cannot write (No space left on device)" in err and "Traceback" not in err
    )
    cases = list((tmp_path / "cases").iterdir())
    assert cases and all(p.stat().st_size > 0 and p.suffix == ".json" for p in cases)  # no temp files
    assert not any(p.name.startswith(".") for p in cases)
    frame = read_report(out)
    assert sorted(frame["graph"].unique()) == [0, 1]  # 2 cases per graph: the fifth belongs to graph 2


def test_standard_output_on_a_full_disk_is_one_line(case_file) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "oracle", "replay", str(case_file)],
            cwd=ROOT,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert done.returncode == 2
    assert done.stderr == "python -m oracle replay: error: standard output: No space left on device\n"


# ------------------------------------------------------------------ 23, 24, 25: paths, before the work


@pytest.mark.parametrize("device", ["/dev/null", "/dev/full"])
@pytest.mark.parametrize("command", ["report", "merge", "mlp", "replay", "check"])
def test_an_out_that_is_a_device_is_refused(device, command, case_file, capsys) -> None:
    argv = {
        "report": ["report", *SMALL],
        "merge": ["merge", str(case_file)],
        "mlp": ["mlp", "--steps", "2"],
        "replay": ["replay", str(case_file)],
        "check": ["check", str(ROOT / "tests" / "course_samples" / "correct.py")],
    }[command]
    assert main([*argv, "--out", device]) == 2
    assert f"--out {device}: not a regular file" in one_line(capsys)
    assert not Path(f"{device}_loss.png").exists()


@pytest.mark.parametrize("command", ["report", "merge", "mlp", "replay", "check"])
def test_a_file_name_too_long_is_refused(command, tmp_path, case_file, capsys) -> None:
    out = tmp_path / ("x" * 300 + ".csv")
    argv = {
        "report": ["report", *SMALL],
        "merge": ["merge", str(case_file)],
        "mlp": ["mlp", "--steps", "2"],
        "replay": ["replay", str(case_file)],
        "check": ["check", str(ROOT / "tests" / "course_samples" / "correct.py")],
    }[command]
    assert main([*argv, "--out", str(out)]) == 2
    assert "file name too long (304 bytes" in one_line(capsys)


def test_a_name_whose_metadata_would_be_too_long_is_refused_before_the_work(tmp_path, capsys) -> None:
    out = tmp_path / ("x" * 250 + ".csv")  # fits; its metadata, out + ".json", does not
    assert main(["report", *SMALL, "--out", str(out)]) == 2
    assert "its metadata: file name too long" in one_line(capsys)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("blocker", "message"),
    [
        ("cases", "cases exists and is not a folder"),
        ("summary.md/", "summary.md: is a directory"),
        ("rel_error.png/", "rel_error.png: is a directory"),
        ("d.csv.json/", "d.csv.json: is a directory"),
    ],
)
def test_a_blocker_beside_the_csv_is_found_before_any_work(blocker, message, tmp_path, capsys) -> None:
    path = tmp_path / blocker.rstrip("/")
    path.mkdir() if blocker.endswith("/") else path.write_text("")
    out = tmp_path / "d.csv"
    assert main(["report", *SMALL, "--out", str(out)]) == 2
    assert message in one_line(capsys)
    assert not out.exists()


def test_a_merge_out_beside_a_summary_folder_is_refused_before_reading(tmp_path, case_file, capsys) -> None:
    (tmp_path / "summary.md").mkdir()
    assert main(["merge", str(case_file), "--out", str(tmp_path / "m.csv")]) == 2
    assert "summary.md: is a directory" in one_line(capsys)


# ------------------------------------------------------------------ 33: the replay column


def test_the_replay_column_runs_from_a_folder_with_a_space_and_a_quote(tmp_path, capsys) -> None:
    out = tmp_path / "with space's" / "d.csv"
    assert main(["report", "--graphs", "1", *SMALL[2:], "--out", str(out)]) == 0
    command = read_report(out)["replay"].iloc[0]
    argv = shlex.split(command)
    assert argv[:4] == ["python", "-m", "oracle", "replay"] and len(argv) == 5
    assert main(argv[3:]) == 0


# ------------------------------------------------------------------ 37: the JAX cache folder


def test_a_jax_cache_folder_that_is_a_file_costs_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    env = {**os.environ, "BACKPROP_ORACLE_JAX_CACHE": str(blocker)}
    code = "import oracle, jax; print(jax.config.jax_compilation_cache_dir)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stderr == f"oracle: JAX cache folder {blocker}: not a folder; running without the cache\n"
    assert done.stdout.strip() in ("None", "")
