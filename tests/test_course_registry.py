"""Courses declare themselves: the machinery finds them and names none; adding one edits no machinery."""

from __future__ import annotations

import ast
import os
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd

from oracle.course.reference import Course
from oracle.course.registry import BUILTIN, COURSE_OF, COURSES, REFERENCES

ROOT = Path(__file__).parents[1]

# The README's "Adding a course" example, as a package of its own outside this repository.
COURSE_INIT = """
from oracle.course.reference import Course
from mycourse import layers

COURSE = Course("mycourse", "My course, 2026", modules=("mycourse",))
"""
COURSE_LAYERS = """
from oracle.course.judging.bugs import gradient_bug
from oracle.course.judging.samplers import normal
from oracle.course.reference import LAYER, Reference, declare

def dense(x, w, b):
    return x @ w + b

declare(Reference(
    "dense", LAYER, dense,
    inputs=("x", "w", "b"),
    shapes=(((4, 5), (5, 3), (3,)),),
    sample=normal,
    bugs=(gradient_bug("db is twice the sum of dout", lambda x, w, b: x @ w + 2 * b),),
))
"""
STUDENT = """
import numpy as np

def dense_forward(x, w, b):
    return x @ w + b, (x, w)

def dense_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, 2 * dout.sum(axis=0)
"""


def test_cs231n_is_a_course_and_owns_its_targets() -> None:
    assert isinstance(COURSES["cs231n"], Course)
    assert set(COURSE_OF) == BUILTIN
    assert {COURSE_OF[name] for name in ("affine", "MultiplyGate", "lstm", "conv_naive")} == {"cs231n"}
    assert set(REFERENCES) >= BUILTIN


def test_the_machinery_imports_no_course() -> None:
    machinery = [p for p in (ROOT / "oracle").rglob("*.py") if "courses" not in p.relative_to(ROOT).parts]
    for path in machinery:
        tree = ast.parse(path.read_text())
        modules = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        modules |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        named = sorted(m for m in modules if m.startswith("oracle.courses."))
        assert not named, f"{path.relative_to(ROOT)} imports {named}"


def test_a_course_outside_the_repository_declares_itself_through_an_entry_point(tmp_path: Path) -> None:
    package = tmp_path / "site" / "mycourse"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(COURSE_INIT)
    (package / "layers.py").write_text(COURSE_LAYERS)
    info = tmp_path / "site" / "mycourse_oracle-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mycourse-oracle\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[backprop_oracle.courses]\nmycourse = mycourse\n")
    student = tmp_path / "layers.py"
    student.write_text(textwrap.dedent(STUDENT))
    out = tmp_path / "check.csv"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), str(ROOT)])}
    command = [sys.executable, "-m", "oracle", "check", str(student), "--out", str(out), "--no-isolate"]
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr  # db is wrong on purpose
    frame = pd.read_csv(out, dtype={"input": str}).fillna({"detail": ""})
    assert set(frame.target) == {"dense"}
    assert set(frame[frame.input != "b"].status) == {"match"}
    wrong = frame[frame.input == "b"]
    assert set(wrong.status) == {"mismatch"}
    assert wrong.detail.str.contains("known bug: db is twice the sum of dout").all()


OTHER_COURSE_INIT = """
from oracle.course.reference import Course
from othercourse import layers

COURSE = Course("othercourse", "Another course", modules=("othercourse",))
"""
# Its own "affine": the student's forward takes the weights first and the bias last, with no cache.
OTHER_COURSE_LAYERS = """
from oracle.course.calling.calls import CannotCall, step
from oracle.core.judgement import Outcome
from oracle.course.judging.samplers import normal
from oracle.course.reference import LAYER, Reference, declare

def dense(x, w, b):
    return x @ w + b

def call_dense(names, impl, inputs, upstream, settings):
    (cls,) = impl
    try:
        layer = cls()
    except TypeError:
        raise CannotCall("Dense() needs constructor arguments the checker cannot guess") from None
    out = step("Dense.forward", layer.forward, *inputs)
    grads = step("Dense.backward", layer.backward, upstream)
    return Outcome(out, dict(zip(names, grads)))

declare(Reference(
    "Dense", LAYER, dense, inputs=("x", "w", "b"), shapes=(((4, 5), (5, 3), (3,)),), sample=normal,
    call=call_dense, names=("Dense",),
))
"""
TWO_COURSES_STUDENT = """
import numpy as np

class Dense:
    def __init__(self, units):
        self.units = units

    def forward(self, x, w, b):
        return x @ w + b

    def backward(self, dout):
        return dout, dout, dout

def dense_forward(x, w, b):
    return x @ w + b, (x, w)

def dense_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)
"""


def _site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    if site.exists():
        return site
    for name, init, layers in (
        ("mycourse", COURSE_INIT, COURSE_LAYERS),
        ("othercourse", OTHER_COURSE_INIT, OTHER_COURSE_LAYERS),
    ):
        (site / name).mkdir(parents=True)
        (site / name / "__init__.py").write_text(init)
        (site / name / "layers.py").write_text(layers)
        info = site / f"{name}_oracle-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}-oracle\nVersion: 0.1\n")
        (info / "entry_points.txt").write_text(f"[backprop_oracle.courses]\n{name} = {name}\n")
    return site


def _check(tmp_path: Path, student: str, *options: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    path = tmp_path / "student.py"
    path.write_text(textwrap.dedent(student))
    out = tmp_path / "check.csv"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(_site(tmp_path)), str(ROOT)])}
    command = [sys.executable, "-m", "oracle", "check", str(path), "--out", str(out), *options]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300), out


def test_a_file_is_judged_by_the_course_it_follows_and_forcing_one_is_possible(tmp_path: Path) -> None:
    """Both courses' names are in the file: the one with more of its targets there wins; --course forces."""
    result, out = _check(tmp_path, TWO_COURSES_STUDENT, "--no-isolate")
    assert result.returncode == 0, result.stdout + result.stderr
    frame = pd.read_csv(out).fillna({"detail": ""})
    assert list(frame.columns[:2]) == ["course", "target"]
    assert set(frame.course) == {"mycourse"}
    assert set(frame[frame.target == "dense"].status) == {"match"}
    # othercourse's Dense is no target of mycourse: a class of the file without a reference, which
    # the fd judge cannot build (Dense(units)): one unchecked row, not a failure
    other = frame[frame.target == "Dense"]
    assert list(other.status) == ["unchecked"] and list(other.judge) == ["fd"]
    assert "Dense(units) needs constructor arguments the checker cannot guess" in other.detail.iloc[0]
    result, out = _check(tmp_path, TWO_COURSES_STUDENT, "--course", "othercourse")
    assert result.returncode == 0, result.stdout + result.stderr  # unchecked is no failure
    frame = pd.read_csv(out).fillna({"detail": ""})
    assert set(frame.course) == {"othercourse"}
    ours = frame[frame.target == "Dense"]
    assert set(ours.status) == {"unchecked"} and set(ours.judge) == {"jax"}
    assert ours.detail.str.contains("constructor arguments the checker cannot guess").all()
    # mycourse's pair is no target of othercourse: judged by finite differences of its own forward
    pair = frame[frame.target == "dense"]
    assert set(pair.judge) == {"fd"} and set(pair.status) == {"match"}


def test_an_unknown_course_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result, _ = _check(tmp_path, TWO_COURSES_STUDENT, "--course", "nosuchcourse")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "--course 'nosuchcourse': not a known course" in result.stderr and "cs231n" in result.stderr


def test_a_course_package_imported_first_in_a_fresh_process_imports() -> None:
    """A course package imports ``oracle.course.reference``; that must not load the registry
    (which imports every course package) while the course package is half imported."""
    import oracle.courses

    names = sorted(m.name for m in pkgutil.iter_modules(oracle.courses.__path__, "oracle.courses."))
    assert len(names) >= 7
    for name in names:
        code = f"import {name}; from oracle.course.registry import COURSES; print(len(COURSES))"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{name}: {done.stderr.strip().splitlines()[-1:]}"
        assert int(done.stdout) == len(names)
