"""Checking a class: 200 submissions of assignment 2's ``layers.py``, isolated and in the judge's process.

The class is synthesized from the course samples: every submission starts as
``tests/course_samples/correct.py`` (every known gate, layer and loss), and a seeded
choice of them get one to three functions replaced by their buggy twins from
``tests/course_samples/buggy.py``. Each run is a fresh ``python -m oracle check
--submissions DIR --seeds 1`` process, timed from start to exit; the check also reports
its time per submission after the first (without start-up: JAX, the zygote, the judging
processes), the *per-submission cost*; the ratio column compares those:

- ``in-process``: ``--no-isolate --workers 1``, the judge imports every submission itself
  (what ``check`` did before isolation, one file after another);
- ``isolated, 1 worker``: each submission in a worker process of its own (the default),
  one judging process: the ratio to ``in-process`` is isolation's cost (goal: <= 1.5);
- ``isolated, N workers``: the default, every core judging: the class's wall time;
- ``one hanging target``: a class of 10 correct submissions, and the same with one whose
  ``relu_backward`` never returns, checked with ``--timeout 2``: what the hang costs
  beyond its 2 s (stopping the worker, forking a new one, importing the file again).

Every figure is one run (a class of 200 is itself 200 repeats of the same work).
"""

from __future__ import annotations

import ast
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Row, ratio

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "course_samples"
SIZE, QUICK_SIZE = 200, 20
TOOK = re.compile(r"\((\d+) submissions in ([\d.]+) s, ([\d.]+) s each after the first\)")
HANG = """

def relu_backward(dout, cache):
    while True:
        pass
"""


def _definitions(source: str) -> dict[str, str]:
    """Top-level functions and classes of a module, by name: their source text."""
    lines = source.splitlines(keepends=True)
    tree = ast.parse(source)
    return {
        node.name: "".join(lines[node.lineno - 1 : node.end_lineno])
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.end_lineno is not None
    }


def synthesize(folder: Path, size: int, seed: int = 0) -> int:
    """``size`` submissions in ``folder``; returns how many have a planted bug."""
    correct = (SAMPLES / "correct.py").read_text()
    buggy = _definitions((SAMPLES / "buggy.py").read_text())
    good = _definitions(correct)
    names = sorted(set(good) & set(buggy))
    rng = random.Random(seed)
    planted = 0
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(size):
        text = correct
        if rng.random() < 0.4:  # two in five students have a bug or three
            planted += 1
            for name in rng.sample(names, rng.randint(1, 3)):
                text = text.replace(good[name], buggy[name])
        (folder / f"student{i:03d}.py").write_text(text)
    return planted


class Run:
    """One class run: wall seconds from start to exit, and the check's own seconds per submission."""

    def __init__(self, wall: float, steady: float) -> None:
        self.wall, self.steady = wall, steady


def check(folder: Path, out: Path, *options: str) -> Run:
    command = [sys.executable, "-m", "oracle", "check", "--submissions", str(folder), "--seeds", "1"]
    command += [*options, "--out", str(out)]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}:\n{done.stderr[-2000:]}")
    found = TOOK.search(done.stdout)
    return Run(wall, float(found[3]) if found else float("nan"))


def timeout_cost(work: Path, size: int = 10, seconds: int = 2) -> float:
    """What one hanging target adds to a class of correct submissions, its timeout included."""
    folder = work / "timeout"
    folder.mkdir()
    correct = (SAMPLES / "correct.py").read_text()
    for i in range(size):
        (folder / f"student{i:03d}.py").write_text(correct)
    options = ["--workers", "1", "--timeout", str(seconds), "--target", "affine,relu,tanh"]
    clean = check(folder, work / "clean" / "c.csv", *options)
    last = folder / f"student{size - 1:03d}.py"  # the last: the steady rate leaves out the first
    last.write_text(correct.replace(_definitions(correct)["relu_backward"], HANG.strip() + "\n"))
    hung = check(folder, work / "hung" / "c.csv", *options)
    return (hung.steady - clean.steady) * (size - 1)


def run(quick: bool = False, size: int | None = None) -> list[Row]:
    size = size or (QUICK_SIZE if quick else SIZE)
    workers = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="bench-class-") as tmp:
        work = Path(tmp)
        planted = synthesize(work / "class", size)
        in_process = check(work / "class", work / "in" / "c.csv", "--no-isolate", "--workers", "1")
        isolated = check(work / "class", work / "iso" / "c.csv", "--workers", "1")
        parallel = check(work / "class", work / "par" / "c.csv")
        same = (work / "in" / "c.csv").read_bytes() == (work / "iso" / "c.csv").read_bytes()
        cost = timeout_cost(work)
    name, label = "class_check", f"{size} submissions ({planted} with bugs)"
    base = in_process.steady
    return [
        Row(name, "in-process, 1 worker", label, 1, in_process.wall, 1.0, f"{base:.3f} s per submission"),
        Row(
            name,
            "isolated, 1 worker",
            label,
            1,
            isolated.wall,
            ratio(isolated.steady, base),
            f"{isolated.steady:.3f} s per submission: {isolated.steady / base:.2f}x in-process's "
            "(goal <= 1.5); "
            f"the same CSV bytes as in-process: {same}",
        ),
        Row(
            name,
            f"isolated, {workers} workers",
            label,
            1,
            parallel.wall,
            ratio(parallel.steady, base),
            f"{parallel.steady:.3f} s per submission; the class's wall time from start to exit",
        ),
        Row(
            name,
            "one hanging target, --timeout 2",
            "10 submissions",
            1,
            cost,
            float("nan"),
            f"{cost - 2:.2f} s beyond its 2 s timeout (stop the worker, fork one, import the file again)",
        ),
    ]
