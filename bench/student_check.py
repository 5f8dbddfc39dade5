"""A student's check of assignment 2's ``layers.py`` against the course's own numeric check, side by side.

The file: the ten targets of ``tests/course_samples/vision_correct.py`` (convolution, max
pooling, the batch norms, layer and group norm, dropout) and ``correct.py``'s affine and
relu layers, 102 cases and 246 rows at 3 seeds. It is edited (a comment appended) before
every run, as a student re-runs after an edit: nothing may be reused because its bytes
did not change. Each figure is the median wall time of a whole process, start to exit:

- ``numeric check``: ``python -m bench.numeric_check`` (``bench/numeric_check.py``: the
  notebooks' element-by-element central differences, 3 seeds), the baseline;
- ``check, warm, isolated``: ``python -m oracle check FILE`` with JAX's compilation cache
  and the cache of JAX's answers filled by an earlier run (goal: <= 1x the baseline);
- ``check, warm, in-process``: the same with ``--no-isolate``;
- ``check, every cache empty``: isolated, with an empty ``BACKPROP_ORACLE_JAX_CACHE``
  folder each run (goal: <= 2.5x).

The variants run round-robin, so a slow spell of the shared machine hits them alike. The
breakdown (``breakdown``): one warm isolated check run in a process of its own that times
its parts: the interpreter, the checker's imports (JAX among them), waiting for the
zygote, JAX's references (or reading them from the cache), the rest (the student's code
in the worker, judging, the CSV), and whether the checker imported JAX at all.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import Row, ratio

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "course_samples"
SIZE = "10 targets, 3 seeds"
BASELINE = "numeric check (the course's, 3 seeds)"
GOALS = {"check, warm, isolated": 1.0, "check, every cache empty": 2.5}
JAX = "JAX imported by the checker"  # in the breakdown: 1.0 if it was, 0.0 if not


def synthesize(folder: Path) -> Path:
    """The ten-target ``layers.py`` (``bench.class_check``'s way of taking definitions from samples)."""
    from bench.class_check import _definitions

    basic = _definitions((SAMPLES / "correct.py").read_text())
    names = ("affine_forward", "affine_backward", "relu_forward", "relu_backward")
    text = (SAMPLES / "vision_correct.py").read_text() + "\n\n" + "\n\n".join(basic[n] for n in names)
    path = folder / "student" / "layers.py"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    return path


def wall(command: list[str], env: dict[str, str], codes: tuple[int, ...] = (0,)) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode not in codes:
        raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}:\n{done.stderr[-2000:]}")
    return seconds


def run(quick: bool) -> list[Row]:
    import os

    rounds = 2 if quick else 5
    with tempfile.TemporaryDirectory(prefix="bench-student-") as work_text:
        work = Path(work_text)
        path, out, warm = synthesize(work), str(work / "check.csv"), work / "warm-cache"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "BACKPROP_ORACLE_JAX_CACHE": str(warm)}
        check = [sys.executable, "-m", "oracle", "check", str(path), "--out", out]
        edits = iter(range(10**6))

        def edited(fn: Callable[[], float]) -> Callable[[], float]:
            def again() -> float:
                with path.open("a") as handle:
                    handle.write(f"\n# edit {next(edits)}\n")
                return fn()

            return again

        def empty() -> float:
            folder = tempfile.mkdtemp(prefix="empty-", dir=work)
            return wall(check, {**env, "BACKPROP_ORACLE_JAX_CACHE": folder})

        variants: dict[str, Callable[[], float]] = {
            BASELINE: lambda: wall([sys.executable, "-m", "bench.numeric_check", str(path)], env),
            "check, warm, isolated": lambda: wall(check, env),
            "check, warm, in-process": lambda: wall([*check, "--no-isolate"], env),
            "check, every cache empty": empty,
        }
        wall(check, env)  # fills the warm caches
        times: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(rounds):
            for name, fn in variants.items():
                times[name].append(edited(fn)())
        parts = breakdown(path, work, env)
    medians = {name: statistics.median(t) for name, t in times.items()}
    base = medians[BASELINE]
    rows = []
    for name, seconds in medians.items():
        goal = GOALS.get(name)
        note = f"goal <= {goal}x: {'met' if ratio(seconds, base) <= goal else 'MISSED'}" if goal else ""
        if name == "check, warm, isolated":
            note += "; " + ", ".join(f"{k} {v:.2f} s" for k, v in parts.items() if k != JAX)
            note += f"; {JAX}: {'yes' if parts[JAX] else 'no'}"
        rows.append(Row("student_check", name, SIZE, rounds, seconds, ratio(seconds, base), note.strip("; ")))
    return rows


# ----------------------------------------------------------------- the breakdown

PART = """
import json, sys, time
start = time.perf_counter()
from oracle import prestart
prestart.begin()
from oracle.cli import main
from oracle.course.isolation import sandbox
from oracle.course.judging import cases
imported = time.perf_counter()
spent = {"zygote": 0.0, "references": 0.0}

def timed(owner, name, part):
    original = getattr(owner, name)
    def wrapper(*args, **kwargs):
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[part] += time.perf_counter() - began
    setattr(owner, name, wrapper)

timed(sandbox.Zygote, "_wait_ready", "zygote")
timed(cases, "run_jax", "references")
timed(cases, "output_spec", "references")
code = main(["check", sys.argv[1], "--out", sys.argv[2]])
done = time.perf_counter()
jax = "jax" in sys.modules
print(json.dumps({"imports": imported - start, "check": done - imported, **spent, "code": code, "jax": jax}))
"""


def breakdown(path: Path, work: Path, env: dict[str, str]) -> dict[str, float]:
    """Seconds of a warm isolated check's parts (the interpreter's own start measured apart)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True, env=env)
    interpreter = time.perf_counter() - start
    done = subprocess.run(
        [sys.executable, "-c", PART, str(path), str(work / "breakdown.csv")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    rest = found["check"] - found["zygote"] - found["references"]
    return {
        "interpreter": interpreter,
        "imports": found["imports"],
        "waiting for the zygote": found["zygote"],
        "JAX references": found["references"],
        "the rest": rest,
        JAX: 1.0 if found["jax"] else 0.0,
    }
