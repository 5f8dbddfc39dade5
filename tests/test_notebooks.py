"""``check NOTEBOOK.ipynb``: what of a student's notebook runs, what is reported, and where rows come from.

The samples in ``tests/notebook_samples/`` are notebooks as students leave them: magics, data
loads and test cells, a function redefined in a later cell, a template left unfinished,
``# YOUR CODE`` markers in finished code, a cell that does not parse, a helper module that is
missing, a function that reads a global a test cell left behind, cells run out of order.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from notebook_helpers import as_notebook

from oracle.cli import main
from oracle.core.errors import EXIT_BAD_INPUT, EXIT_DIVERGENCE, UserError
from oracle.course.loading import notebooks
from oracle.course.loading.finding import load_module
from oracle.course.loading.notebooks import Location, select

NOTEBOOKS = Path(__file__).parent / "notebook_samples"
STUDENT = NOTEBOOKS / "layers_student.ipynb"
SAMPLES = Path(__file__).parent / "course_samples"
TEXT = {c: str for c in ("input", "detail", "warning", "location", "replay")}


def check(path: Path, out: Path, *options: str) -> tuple[int, pd.DataFrame]:
    code = main(["check", str(path), "--out", str(out), *options])
    return code, pd.read_csv(out, dtype=TEXT).fillna({c: "" for c in TEXT})


def test_only_what_defines_things_is_chosen_and_the_rest_is_listed() -> None:
    selection = select(STUDENT)
    kept = [(cell.index, node.lineno) for cell, node in selection.statements]
    assert (6, 2) in kept  # num_inputs = 2: a constant
    assert (6, 9) not in kept  # x = np.linspace(...).reshape(...): computed, a test's input
    assert (6, 18) not in kept  # correct_out = np.array([[...]]): a literal array, but after a dropped line
    magics, dropped, unparsed, order = selection.notes
    for magic in ("%matplotlib inline", "%load_ext autoreload", "%autoreload 2", "!pip install", "%%time"):
        assert magic in magics
    assert magics.startswith("5 magic or shell lines not executed")
    assert "cell 3 line 2 (data = load_tiny_data('datasets/tiny-10'))" in dropped
    assert unparsed.startswith("skipped 1 cell that does not parse: cell 17 line 2 (SyntaxError")
    assert "another order" in order and "[9], [7]" in order
    # the last definition wins: affine_backward of cell 10, not its first version in cell 7
    assert selection.defined["affine_backward"] == Location(10, 9, 1)
    assert "sigmoid_forward" not in selection.defined  # its cell does not parse
    assert selection.dropped_names["x"] == Location(6, 4, 9)


@pytest.mark.parametrize(
    "source, runs",
    [
        ("import numpy as np", True),
        ("from cs231n.layers import *", True),
        ("def f(x):\n    return x", True),
        ("class Net:\n    pass", True),
        ("eps = 1e-8", True),
        ("W = np.array([[1.0, -2.0], [0.5, 3.0]], dtype=np.float64)", True),
        ("sizes: tuple = (3, 4)", True),
        ("a, b = 1, -2 * 3", True),
        ("X = np.random.randn(3, 4)", False),
        ("out, cache = affine_forward(x, w, b)", False),
        ("plt.plot(losses)", False),
        ("for i in range(3):\n    print(i)", False),
        ("net.params['W1'] = np.array([1.0])", False),
        ("if __name__ == '__main__':\n    main()", False),
    ],
)
def test_a_statement_runs_when_it_only_defines(source: str, runs: bool) -> None:
    import ast

    assert notebooks.runs(ast.parse(source).body[0]) is runs


def test_a_students_notebook_gets_a_verdict_per_target_and_each_row_says_where(tmp_path: Path) -> None:
    code, frame = check(STUDENT, tmp_path / "c.csv", "--seeds", "1", "--no-isolate")
    assert code == EXIT_DIVERGENCE
    by = {t: rows for t, rows in frame.groupby("target")}
    assert set(by) == {"affine", "relu", "sigmoid", "tanh", "svm_loss", "softmax_loss"}
    assert set(by["affine"].status) == {"match"}  # the redefinition of cell 10 is the one checked
    loc = "affine_forward: cell 5 (In [3]) line 1; affine_backward: cell 10 (In [9]) line 1"
    assert set(by["affine"].location) == {loc}
    assert set(by["svm_loss"].status) <= {"match", "kink"}  # finished code that kept its markers
    assert set(by["relu"].status) == {"error"}  # it reads x, which only a test cell sets
    assert all("x: set by cell 6 (In [4]) line 9" in d for d in by["relu"].detail)
    assert all("layers_student.ipynb#cell12:8" in d for d in by["relu"].detail)  # the cell and line
    # a helper module the folder lacks: unchecked, naming it, as in a .py file; every row says so
    assert set(by["softmax_loss"].status) == {"unchecked"}
    assert all("stable_softmax from helpers.numerics" in d for d in by["softmax_loss"].detail)
    assert all("run without helpers.gradient_check" in w for w in by["softmax_loss"].warning)
    assert list(by["tanh"].detail) == [
        "not implemented: tanh_forward is still the assignment's template (it passes and returns out, x "
        "as initialized)"
    ]
    assert list(by["sigmoid"].detail) == ["sigmoid_forward is missing (sigmoid_backward is defined)"]
    assert set(by["sigmoid"].location) == {"sigmoid_backward: cell 18 (In [13]) line 1"}
    assert frame.columns[-1] == "location" and list(frame.columns[:2]) == ["course", "target"]


def test_the_notes_are_printed_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check(STUDENT, tmp_path / "c.csv", "--seeds", "1", "--no-isolate", "--target", "affine")
    lines = capsys.readouterr().out.splitlines()
    notes = [line for line in lines if line.startswith("note: ")]
    assert len(notes) == 4 and notes[0].startswith("note: 5 magic or shell lines not executed")


def test_a_rows_replay_reruns_it_from_the_notebook(tmp_path: Path) -> None:
    _, frame = check(STUDENT, tmp_path / "c.csv", "--seeds", "2", "--no-isolate", "--target", "relu")
    replay = frame.replay.iloc[-1]
    assert replay.startswith(f"python -m oracle check {STUDENT} --target relu --seed 1 --seeds 1")
    argv = [*replay.split()[3:], "--no-isolate", "--out", str(tmp_path / "r.csv")]
    assert main(argv) == EXIT_DIVERGENCE
    again = pd.read_csv(tmp_path / "r.csv", dtype=TEXT).fillna({c: "" for c in TEXT})
    assert list(again.detail) == list(frame[frame.seed == 1].detail)


def test_a_helper_module_the_folder_holds_is_imported(tmp_path: Path) -> None:
    code, frame = check(NOTEBOOKS / "nets" / "two_layer_net.ipynb", tmp_path / "c.csv", "--seeds", "1")
    assert code == 0 and set(frame.status) == {"match"}
    assert set(frame.target) == {"TwoLayerNet", "affine_relu"}
    assert set(frame[frame.target == "TwoLayerNet"].location) == {"TwoLayerNet: cell 3 (In [1]) line 1"}
    imported = "affine_relu_forward: imported in cell 2 (In [3]) line 2; affine_relu_backward: imported in "
    assert set(frame[frame.target == "affine_relu"].location) == {imported + "cell 2 (In [3]) line 2"}


@pytest.mark.parametrize("minor", [1, 2, 3, 4, 5])
def test_nbformat_4_minor_versions_are_read(minor: int, tmp_path: Path) -> None:
    notebook = as_notebook(SAMPLES / "correct.py", tmp_path / "correct.ipynb", minor)
    module = load_module(notebook)
    assert callable(module.affine_backward) and callable(module.ReluGate)
    assert module.__notebook__.notes[0].startswith("3 magic or shell lines not executed")


def refused(path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["check", str(path), "--out", str(tmp_path / "c.csv")]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0]
    return err[0]


def test_an_old_malformed_or_huge_notebook_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = tmp_path / "old.ipynb"
    old.write_text(json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}))
    assert "old.ipynb: nbformat 3; only nbformat 4" in refused(old, tmp_path, capsys)
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"cells": [')
    assert "broken.ipynb: not a notebook" in refused(broken, tmp_path, capsys)
    malformed = tmp_path / "malformed.ipynb"
    malformed.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [{}]}))
    assert "malformed.ipynb: a malformed notebook" in refused(malformed, tmp_path, capsys)
    huge = tmp_path / "huge.ipynb"
    data = json.loads(STUDENT.read_text())
    data["cells"][-1]["outputs"][0]["data"]["image/png"] = "iVBORw0KGgo" + "A" * notebooks.MAX_NOTEBOOK
    huge.write_text(json.dumps(data))
    assert "huge.ipynb: a notebook of" in refused(huge, tmp_path, capsys)


def test_megabytes_of_plots_are_read_and_ignored(tmp_path: Path) -> None:
    data = json.loads(STUDENT.read_text())
    png = data["cells"][-1]["outputs"][0]["data"]["image/png"]
    data["cells"][-1]["outputs"] = [data["cells"][-1]["outputs"][0]] * (3_000_000 // len(png))
    big = tmp_path / "plots.ipynb"
    big.write_text(json.dumps(data))
    assert 2_900_000 < big.stat().st_size < notebooks.MAX_NOTEBOOK
    _, frame = check(big, tmp_path / "c.csv", "--seeds", "1", "--no-isolate", "--target", "affine")
    assert set(frame.status) == {"match"}


def test_a_cell_that_fails_names_itself_and_the_rest_is_checked(tmp_path: Path) -> None:
    data = json.loads(STUDENT.read_text())
    cell = next(c for c in data["cells"] if "def relu_forward" in "".join(c["source"]))
    cell["source"] = "@no_such_decorator\n" + "".join(cell["source"])
    bad = tmp_path / "bad.ipynb"
    bad.write_text(json.dumps(data))
    _, frame = check(bad, tmp_path / "c.csv", "--seeds", "1", "--no-isolate")
    relu = frame[frame.target == "relu"]
    assert set(relu.status) == {"error"}
    assert all("relu_forward: cell 12 (In [7]) line 2 failed: NameError" in d for d in relu.detail)
    assert set(frame[frame.target == "affine"].status) == {"match"}


def test_a_notebook_with_nothing_to_check_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = as_notebook(SAMPLES / "no_targets.py", tmp_path / "empty.ipynb")
    assert "no known gate, layer or loss" in refused(empty, tmp_path, capsys)
    (tmp_path / "notes.txt").write_text("affine_forward")
    with pytest.raises(UserError, match=r"not a \.py file or a notebook"):
        load_module(tmp_path / "notes.txt")


def test_placeholders_left_in_a_template_are_not_implemented_and_finished_code_is_judged(
    tmp_path: Path,
) -> None:
    code, frame = check(NOTEBOOKS / "placeholders.ipynb", tmp_path / "c.csv", "--seeds", "1", "--no-isolate")
    assert code == EXIT_DIVERGENCE
    by = {t: rows for t, rows in frame.groupby("target")}
    assert set(by["sigmoid"].status) == {"match"}  # finished, its "### START CODE HERE ###" kept
    for target, name in (("relu", "relu_backward"), ("tanh", "tanh_forward")):
        assert list(by[target].detail) == [
            f"not implemented: {name} is still the assignment's template (it keeps the template's "
            f"placeholders and returns {'dx' if target == 'relu' else 'out, x'} as initialized)"
        ]


def test_plain_python_lines_that_start_like_magics_are_kept() -> None:
    selection = select(NOTEBOOKS / "placeholders.ipynb")
    assert not any("magic" in note for note in selection.notes)  # "% 1e9" and "!= b.dtype" are Python
    assert selection.defined["is_close"] == Location(2, 1, 3)
