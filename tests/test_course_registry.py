"""Courses declare themselves: the machinery finds them and names none; adding one edits no machinery."""

from __future__ import annotations

import ast
import os
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
