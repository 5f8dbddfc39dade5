"""deeplearning.ai's helper modules stood in for when a student's folder lacks them.

Copies of the course's notebooks often come without ``dnn_utils.py`` or ``gc_utils.py``; the
course package declares stand-ins of its own (``oracle/courses/dlai/*_stand_in.py``), served
only when no folder of the student's holds the module, and every row judged with one says so.
The test-case modules (``testCases``) have none: still noted as missing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from notebook_helpers import as_notebook

import oracle.course  # noqa: F401  (the registry first: it imports the course packages)
from oracle import course
from oracle.cli import main
from oracle.core.record import MATCH, MISMATCH, Record
from oracle.course.loading.finding import load_module
from oracle.courses.dlai import dnn_utils_stand_in as dnn
from oracle.courses.dlai import gc_utils_stand_in as gc

SAMPLES = Path(__file__).parent / "course_samples" / "dlai"
C1_TARGETS = {"dlai.linear", "dlai.linear_activation_relu", "dlai.linear_activation_sigmoid", "dlai.L_model"}
STOOD_IN = "its file was run with the course's stand-in for dnn_utils (no dnn_utils.py beside the file)"
PLANTED = ("planted bug, left in: dW2 = 1./m * np.dot(dZ2, A1.T) * 2", "planted bug, left in: db1 = 4./m")

# A student's own dnn_utils.py with a bug of its own: the gradient passes where Z < 0 too.
OWN_HELPER = """import numpy as np

def sigmoid(Z):
    return 1 / (1 + np.exp(-Z)), Z

def relu(Z):
    return np.maximum(0, Z), Z

def relu_backward(dA, cache):
    return np.array(dA, copy=True)

def sigmoid_backward(dA, cache):
    s = 1 / (1 + np.exp(-cache))
    return dA * s * (1 - s)
"""


def alone(tmp_path: Path, sample: str, name: str = "", edits: tuple[tuple[str, str], ...] = ()) -> Path:
    """A course sample copied into a folder that holds no helper module, edited as given."""
    source = (SAMPLES / sample).read_text()
    for old, new in edits:
        assert old in source
        source = source.replace(old, new)
    file = tmp_path / (name or Path(sample).name)
    file.write_text(source)
    return file


def check(file: Path, targets: list[str] | None = None) -> list[Record]:
    return course.check_module(file, targets, seeds=1, isolate=False)


# ---------------------------------------------------------------- the stand-ins themselves


def test_dnn_utils_stand_in_returns_z_as_the_cache_and_its_gradients() -> None:
    Z = np.array([[-1.5, 0.0, 2.0], [0.5, -0.25, 3.0]], dtype=np.float32)
    dA = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32)
    kept = dA.copy()
    A, cache = dnn.relu(Z)
    assert cache is Z and np.array_equal(A, np.maximum(Z, 0))
    A, cache = dnn.sigmoid(Z)
    assert cache is Z and np.allclose(A, 1 / (1 + np.exp(-Z)))
    dZ = dnn.relu_backward(dA, Z)
    assert dZ.dtype == np.float32 and np.array_equal(dZ, [[0.0, 0.0, 3.0], [4.0, 0.0, 6.0]])  # 0 at Z == 0
    s = 1 / (1 + np.exp(-Z))
    assert np.allclose(dnn.sigmoid_backward(dA, Z), dA * s * (1 - s))
    assert np.array_equal(dA, kept)  # the caller's dA is left alone
    with pytest.raises(AssertionError, match="dZ has shape"):  # the course's asserts on the shape
        dnn.sigmoid_backward(np.ones((3, 4)), np.ones((3, 1)))


def test_gc_utils_stand_in_rolls_and_unrolls_the_assignment_s_parameters() -> None:
    rng = np.random.default_rng(5)
    parameters = {name: rng.standard_normal(shape) for name, shape in zip(gc.NAMES, gc.SHAPES, strict=True)}
    theta, keys = gc.dictionary_to_vector(parameters)
    assert theta.shape == (47, 1) and len(keys) == 47
    assert keys[:20] == ["W1"] * 20 and keys[-1] == "b3" and keys.count("W2") == 15
    assert np.array_equal(theta[:20, 0], parameters["W1"].ravel())  # row by row
    back = gc.vector_to_dictionary(theta)
    assert all(np.array_equal(back[k], v) and back[k].shape == v.shape for k, v in parameters.items())
    gradients = {"d" + k: v * 2 for k, v in parameters.items()} | {"dZ1": np.ones(3)}
    assert np.array_equal(gc.gradients_to_vector(gradients), theta * 2)
    x = np.array([-2.0, 0.0, 3.0])
    assert np.array_equal(gc.relu(x), [0.0, 0.0, 3.0]) and np.allclose(gc.sigmoid(x), 1 / (1 + np.exp(-x)))


# ---------------------------------------------------------------- files and notebooks without their helper


def test_a_py_file_without_dnn_utils_is_judged_with_the_stand_in_and_its_rows_say_so(tmp_path: Path) -> None:
    records = check(alone(tmp_path, "c1/step_by_step.py"))
    assert {r.target for r in records} == C1_TARGETS
    assert {r.status for r in records} == {MATCH}
    assert all(r.warning.startswith(STOOD_IN) for r in records)
    assert all("and without" in r.warning and "testCases" in r.warning for r in records)  # no stand-in
    assert "dnn_utils" not in sys.modules  # nothing stays behind


def test_dnn_utils_v2_is_stood_in_too_and_a_classic_bug_is_still_named(tmp_path: Path) -> None:
    v2 = (("from dnn_utils import", "from dnn_utils_v2 import"),)
    records = check(alone(tmp_path, "c1/bug_last_relu.py", edits=v2))
    bad = [r for r in records if r.status != MATCH]
    assert {r.target for r in bad} == {"dlai.L_model"} and {r.status for r in bad} == {MISMATCH}
    assert any("the last layer's dZ taken with relu_backward" in r.detail for r in bad)
    assert all("the course's stand-in for dnn_utils_v2 (no dnn_utils_v2.py" in r.warning for r in records)


def test_a_notebook_without_dnn_utils_gives_the_py_file_s_statuses(tmp_path: Path) -> None:
    py = alone(tmp_path, "c1/step_by_step.py")
    notebook = as_notebook(SAMPLES / "c1" / "step_by_step.py", tmp_path / "step_by_step.ipynb")
    rows = {(r.target, r.input, r.seed, r.status) for r in check(py)}
    records = check(notebook)
    assert {(r.target, r.input, r.seed, r.status) for r in records} == rows
    assert all(r.warning.startswith(STOOD_IN) for r in records)


GC_HELPERS = (  # the forward through gc_utils' own activations, as the course's template has it
    ("A1 = np.maximum(0, Z1)", "A1 = relu(Z1)"),
    ("A2 = np.maximum(0, Z2)", "A2 = relu(Z2)"),
    ("A3 = 1 / (1 + np.exp(-Z3))", "A3 = sigmoid(Z3)"),
)


@pytest.mark.parametrize("as_ipynb", [False, True])
def test_gradient_checking_without_gc_utils_names_both_planted_bugs(tmp_path: Path, as_ipynb: bool) -> None:
    file = alone(tmp_path, "c2/gradient_checking_planted.py", edits=GC_HELPERS)
    if as_ipynb:
        file = as_notebook(file, tmp_path / "gradient_checking.ipynb")
    records = check(file)
    failing = {r.input: r.detail for r in records if r.status == MISMATCH}
    assert set(failing) == {"W2", "b1"}
    assert PLANTED[0] in failing["W2"] and PLANTED[1] in failing["b1"]
    assert {r.status for r in records if r.input not in failing} == {MATCH}
    stood_in = "the course's stand-in for gc_utils (no gc_utils.py beside the file)"
    assert all(stood_in in r.warning for r in records)


# ---------------------------------------------------------------- the student's own helper wins


@pytest.mark.parametrize("where", ["beside", "above"])
def test_a_students_own_dnn_utils_wins_over_the_stand_in(tmp_path: Path, where: str) -> None:
    folder = tmp_path / "week4"
    folder.mkdir()
    (tmp_path if where == "above" else folder).joinpath("dnn_utils.py").write_text(OWN_HELPER)
    # its imports of testCases (and of h5py, where it is not installed) fail first: the file is then
    # run statement by statement, and that run too finds the helper above it
    py = alone(folder, "c1/step_by_step.py")
    for file in (py, as_notebook(py, folder / "s.ipynb")):
        records = check(file, ["dlai.linear_activation_relu"])
        # their relu_backward lets the gradient through where Z < 0: theirs ran, not the stand-in
        assert {r.status for r in records} == {MISMATCH}
        assert not any("stand-in" in r.warning for r in records)


def test_each_import_gets_a_fresh_stand_in(tmp_path: Path) -> None:
    """What a student's file does to its dnn_utils stays in that file's copy."""
    (tmp_path / "spoils.py").write_text("import dnn_utils\n\ndnn_utils.relu = None\n\ndef f():\n    pass\n")
    spoiled = load_module(tmp_path / "spoils.py")
    (tmp_path / "uses.py").write_text("from dnn_utils import relu, relu_backward\n")
    fresh = load_module(tmp_path / "uses.py")
    assert spoiled.dnn_utils.relu is None and callable(fresh.relu) and callable(dnn.relu)
    # its functions are the module's own, as the course's file's would be
    assert fresh.relu_backward.__module__ == "dnn_utils" and fresh.relu_backward.__globals__ is not vars(dnn)
    assert "dnn_utils" not in sys.modules


def test_a_confined_worker_judges_with_the_stand_in(tmp_path: Path) -> None:
    """The CLI's check: the file imported, the stand-in served and the code run in a confined worker."""
    file = alone(tmp_path, "c2/gradient_checking_planted.py", edits=GC_HELPERS)
    out = tmp_path / "check.csv"
    assert main(["check", str(file), "--seeds", "1", "--confine", "auto", "--out", str(out)]) == 1
    frame = pd.read_csv(out, dtype=str).fillna("")
    assert set(frame[frame.status == "mismatch"].input) == {"W2", "b1"}
    assert frame.warning.str.contains("the course's stand-in for gc_utils").all()


# ---------------------------------------------------------------- what has no stand-in


def test_a_helper_without_a_stand_in_is_still_unchecked(tmp_path: Path) -> None:
    """The application notebook's dnn_app_utils_v3 has none: what needs it is unchecked, naming it."""
    app = (("from dnn_utils import", "from dnn_app_utils_v3 import"),)
    records = check(alone(tmp_path, "c1/step_by_step.py", edits=app))
    assert {r.status for r in records if r.target == "dlai.linear"} == {MATCH}
    rows = [r for r in records if r.target == "dlai.L_model"]
    assert rows and all("from dnn_app_utils_v3, which could not be imported" in r.detail for r in rows)
    assert not any("stand-in" in r.warning for r in records)
