"""Checking a class: 200 submissions of assignment 2's ``layers.py``, isolated and in the judge's process.

The class is synthesized from the course samples: every submission starts as
``tests/course_samples/correct.py`` (every known gate, layer and loss), and a seeded
choice of them get one to three functions replaced by their buggy twins from
``tests/course_samples/buggy.py``. Every check uses ``--seeds 1``.

- ``per submission``: the cost of one submission, in-process (the judge imports it and
  calls its code, as ``check`` did before isolation), isolated (a worker forked for
  it, confined, the files imported there, every case asked over the socket) and isolated
  with ``--confine off``. All three run in this process, submission by submission in
  turn (the order turns with each submission), so a slow spell of the shared machine
  hits them alike; the figures are medians over the class, after a warm-up of five
  submissions. The ratio isolated / in-process is isolation's cost (goal: <= 1.5).
- ``class, ...``: ``python -m oracle check --submissions DIR`` as a fresh process, timed
  from start to exit (JAX, the zygote and the summary included): in-process with one
  judging process, isolated with one, and isolated with the default (every core).
- ``one hanging target``: a correct submission and the same with a ``relu_backward`` that
  never returns, isolated, with ``--timeout 2`` (median of 3 each): what the hang adds,
  beyond its 2 s: stopping the worker, forking another, importing the file again (less
  the hung target's later cases, which are not run).
"""

from __future__ import annotations

import ast
import os
import random
import re
import statistics
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
    spins = 0
    while True:  # never returns
        spins += 1
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


def timeout_cost(work: Path, seconds: float = 2.0, repeats: int = 3) -> float:
    """Median extra seconds of a submission whose relu_backward hangs, over the same one without the hang."""
    from oracle.course.grading.submission import check_submission, make_submission
    from oracle.course.isolation.sessions import Options

    correct = (SAMPLES / "correct.py").read_text()
    paths = {"clean": work / "clean.py", "hangs": work / "hangs.py"}
    paths["clean"].write_text(correct)
    paths["hangs"].write_text(correct.replace(_definitions(correct)["relu_backward"], HANG.strip() + "\n"))
    options = Options(seeds=1, names=("affine", "relu", "tanh"), timeout=seconds)
    times: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(repeats):
        for name, path in paths.items():
            start = time.perf_counter()
            check_submission(make_submission(path, path.name), options)
            times[name].append(time.perf_counter() - start)
    return statistics.median(times["hangs"]) - statistics.median(times["clean"])


def per_submission(folder: Path) -> tuple[float, float, float]:
    """Median seconds per submission (in-process, isolated and confined, isolated unconfined),
    the three interleaved in this process (their order turns with each submission)."""
    from oracle.course.grading.submission import check_submission, make_submission
    from oracle.course.isolation.sandbox import shared
    from oracle.course.isolation.sessions import Options

    modes = {
        "in-process": Options(seeds=1, isolate=False),
        "isolated": Options(seeds=1),
        "unconfined": Options(seeds=1, confine="off"),
    }
    shared().wait_ready()
    times: dict[str, list[float]] = {mode: [] for mode in modes}
    for i, path in enumerate(sorted(folder.glob("*.py"))):
        order = list(modes)
        for mode in order[i % 3 :] + order[: i % 3]:
            start = time.perf_counter()
            check_submission(make_submission(path, path.name), modes[mode])
            if i >= 5:  # the first ones compile JAX's side of every target
                times[mode].append(time.perf_counter() - start)
    return tuple(statistics.median(times[mode]) for mode in modes)  # type: ignore[return-value]


def run(quick: bool = False, size: int | None = None) -> list[Row]:
    size = size or (QUICK_SIZE if quick else SIZE)
    workers = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="bench-class-") as tmp:
        work = Path(tmp)
        planted = synthesize(work / "class", size)
        here, isolated, unconfined = per_submission(work / "class")
        in_process = check(work / "class", work / "in" / "c.csv", "--no-isolate", "--workers", "1")
        one = check(work / "class", work / "iso" / "c.csv", "--workers", "1")
        parallel = check(work / "class", work / "par" / "c.csv")
        same = (work / "in" / "c.csv").read_bytes() == (work / "iso" / "c.csv").read_bytes()
        cost = timeout_cost(work)
    name, label = "class_check", f"{size} submissions ({planted} with bugs)"
    wall = in_process.wall
    return [
        Row(
            name, "per submission, in-process", label, size - 5, here, 1.0, "median; baseline of the next row"
        ),
        Row(
            name,
            "per submission, isolated",
            label,
            size - 5,
            isolated,
            ratio(isolated, here),
            f"median, confined (--confine auto); {isolated / here:.2f}x in-process (goal <= 1.5)",
        ),
        Row(
            name,
            "per submission, isolated, --confine off",
            label,
            size - 5,
            unconfined,
            ratio(unconfined, here),
            f"median; {unconfined / here:.2f}x in-process; confinement adds {isolated / unconfined:.2f}x",
        ),
        Row(
            name,
            "class, in-process, 1 judge",
            label,
            1,
            wall,
            1.0,
            "start to exit; baseline of the next rows",
        ),
        Row(
            name,
            "class, isolated, 1 judge",
            label,
            1,
            one.wall,
            ratio(one.wall, wall),
            f"start to exit; the same CSV bytes as in-process: {same}",
        ),
        Row(
            name,
            f"class, isolated, {workers} judges",
            label,
            1,
            parallel.wall,
            ratio(parallel.wall, wall),
            f"start to exit (the default --workers: every core); {size / parallel.wall:.1f} submissions/s",
        ),
        Row(
            name,
            "one hanging target, --timeout 2",
            "1 submission",
            3,
            cost,
            float("nan"),
            f"what the hang adds to a submission: {cost:.2f} s, {cost - 2:.2f} s beyond its 2 s timeout",
        ),
    ]
