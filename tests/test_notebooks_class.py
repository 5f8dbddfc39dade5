"""A class of notebooks: the same rows as the same code in .py files, with the same isolation.

Every course sample whose top-level statements only define things (so that a notebook of it
runs the same code as its import) is turned into a notebook as a student would have written
it (``notebook_helpers.as_notebook``: one cell per statement, magics, a test cell after
each definition). The hostile ones among them (a hang, a crash of the interpreter, arrays
that lie, a walk up the stack into the checker) show that a notebook's code runs in a worker
of its own as a .py file's does.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pandas as pd
import pytest
from notebook_helpers import as_notebook

from oracle.cli import main
from oracle.course.loading.notebooks import runs

SAMPLES = Path(__file__).parent / "course_samples"
CLASS = ["correct", "buggy", "templates", "errors", "fd_layers_buggy", "nets_buggy", "kink_conventions"]
HOSTILE = ["hostile/hangs", "hostile/crashes", "hostile/lying_arrays", "hostile/stack_walk"]
LOCATION = ["file", "location", "replay", "raised_in"]  # where a row came from: the only differences
RAISED_AT = r"\((\w+)\.(py|ipynb#cell\d+):\d+\)$"  # an error's detail ends with where it was raised


def only_definitions(path: Path) -> bool:
    body = ast.parse(path.read_text()).body
    return all(runs(n) or (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)) for n in body)


def grade(folder: Path, out: Path) -> pd.DataFrame:
    argv = ["check", "--submissions", str(folder), "--seeds", "1", "--timeout", "2", "--workers", "1"]
    assert main([*argv, "--out", str(out)]) == 1
    frame = pd.read_csv(out, dtype=str).fillna("")
    frame["submission"] = frame.submission.str.replace(r"\.(py|ipynb)$", "", regex=True)
    frame["replay"] = frame.replay.str.replace(".ipynb ", ".py ", regex=False)
    raised = frame.detail.str.extract(RAISED_AT)
    frame["raised_in"] = raised[0].fillna("") + raised[1].str.extract(r"(#cell\d+)")[0].fillna("")
    frame["detail"] = frame.detail.str.replace(RAISED_AT, "(FILE:LINE)", regex=True)
    return frame


@pytest.mark.slow
def test_a_class_of_notebooks_grades_as_the_same_class_of_py_files(tmp_path: Path) -> None:
    py, ipynb = tmp_path / "py", tmp_path / "ipynb"
    py.mkdir(), ipynb.mkdir()
    for name in CLASS + HOSTILE:
        sample = SAMPLES / f"{name}.py"
        assert only_definitions(sample), name  # else the notebook would rightly run less than the file
        stem = name.replace("/", "_")
        shutil.copy(sample, py / f"{stem}.py")
        as_notebook(sample, ipynb / f"{stem}.ipynb", minor=[1, 2, 3, 4, 5][len(stem) % 5])
    as_py, as_notebooks = grade(py, tmp_path / "py.csv"), grade(ipynb, tmp_path / "ipynb.csv")
    assert len(as_py) > 200
    pd.testing.assert_frame_equal(as_py.drop(columns=LOCATION), as_notebooks.drop(columns=LOCATION))
    # isolation did its work for both: the hang is one timeout row, the crash one error row
    hangs = as_notebooks[as_notebooks.submission == "hostile_hangs"]
    assert list(hangs[hangs.status == "timeout"].target) == ["relu"]
    crashes = as_notebooks[(as_notebooks.submission == "hostile_crashes") & (as_notebooks.status == "error")]
    assert len(crashes) >= 1
    assert set(as_py.location) == {""}  # a .py file's rows have no cell
    located = as_notebooks[as_notebooks.submission == "correct"].location
    pair = r"^affine_forward: cell \d+ \(In \[\d+\]\) line 1; affine_backward"
    assert located.str.contains(pair, regex=True).any()
    assert (located != "").all()
    errors = as_notebooks[as_notebooks.submission == "errors"]
    assert errors.raised_in.str.fullmatch(r"errors#cell\d+").sum() >= 3  # the cell the error was raised in


def test_a_submission_folder_offers_its_notebooks_but_not_their_checkpoints(tmp_path: Path) -> None:
    from oracle.course.grading.submission import submission_files

    folder = tmp_path / "alice"
    (folder / ".ipynb_checkpoints").mkdir(parents=True)
    as_notebook(SAMPLES / "correct.py", folder / "layers.ipynb")
    as_notebook(SAMPLES / "correct.py", folder / ".ipynb_checkpoints" / "layers-checkpoint.ipynb")
    as_notebook(SAMPLES / "no_targets.py", folder / "scratch.ipynb")
    shutil.copy(SAMPLES / "nets.py", folder / "nets.py")
    assert [p.name for p in submission_files(folder)] == ["layers.ipynb", "nets.py"]
