"""The default campaign against bare ``jax.vmap(jax.vjp)`` and against the design it replaced, in one run.

Every variant is a fresh process judging the same graphs and input sets (the default
campaign: seed 0, 16 input sets, ``--workers 1`` so that all of them use one core), timed
from start to exit, first *cold* (a fresh, empty JAX cache folder each: every cache empty)
and then *warm* (the folder of the first cold run again):

- ``campaign``: ``python -m oracle report`` of this checkout;
- ``before``: the same command in the checkout of ``BEFORE``, the commit before the
  campaign's compile-cost and memory work (issue 28), extracted with ``git archive`` into a
  temporary folder: today's design stays reachable for this comparison only, not through an
  option of the oracle (a second code path there would need tests of its own). Without git
  or that commit (a source archive), these rows are NaN and say why;
- ``bare vmap(vjp)``: ``python -m bench.bare_vjp``, JAX's work and nothing else;
- ``breakdown``: ``python -m bench.breakdown``, the campaign's judging in one process with
  JAX's own figures: programs compiled or loaded, seconds compiling, lowering and tracing.

Ratios: the campaign over ``before`` (the speed-up asked for is a ratio of 1/3 or less, cold
and warm) and over bare.
"""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from bench.common import Row, ratio
from bench.oracle_campaign import INPUTS, ROOT, SEED, timed

BEFORE = "4f8f757"  # main when issue 28's work began
GRAPHS, QUICK_GRAPHS = 1000, 60


def extract_before(into: Path) -> str:
    """``BEFORE``'s tree under ``into``; '' when done, else why it could not be."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", BEFORE], capture_output=True, check=False
        )
    except OSError as exc:
        return f"no git ({exc.strerror})"
    if archive.returncode:
        return f"git archive {BEFORE}: {archive.stderr.decode(errors='replace').strip()[:200]}"
    into.mkdir(parents=True)
    with tempfile.TemporaryFile() as tar:
        tar.write(archive.stdout)
        tar.seek(0)
        with tarfile.open(fileobj=tar) as files:
            files.extractall(into, filter="data")
    return ""


def report(root: Path, graphs: int, cache: Path, out: Path) -> float:
    options = ["--graphs", str(graphs), "--inputs", str(INPUTS), "--seed", str(SEED), "--workers", "1"]
    command = [sys.executable, "-m", "oracle", "report", *options, "--out", str(out)]
    env_root = {"PYTHONPATH": str(root)}
    seconds, done = timed(command, cache, cwd=root, extra=env_root)
    if done.returncode not in (0, 1):
        raise RuntimeError(
            f"{' '.join(command)} in {root} exited with {done.returncode}:\n{done.stderr[-2000:]}"
        )
    return seconds


def module(name: str, graphs: int, cache: Path) -> tuple[float, str]:
    command = [sys.executable, "-m", name, "--graphs", str(graphs), "--inputs", str(INPUTS)]
    seconds, done = timed(command, cache)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}:\n{done.stderr[-2000:]}")
    return seconds, done.stdout.strip().splitlines()[-1]


def _breakdown_note(line: str) -> str:
    f = json.loads(line)
    jax_s = f["compile_s"] + f["lower_s"] + f["trace_s"] + f["cache_load_s"]
    return (
        f"{f['programs']} XLA programs ({f['compiles']} compiled, {f['cache_hits']} loaded from the cache); "
        f"of {f['wall_s']:.1f} s wall ({f['cpu_s']:.1f} CPU-s): compiling {f['compile_s']:.1f} s, "
        f"lowering {f['lower_s']:.1f} s, tracing {f['trace_s']:.1f} s, "
        f"cache loads {f['cache_load_s']:.1f} s, "
        f"the rest (dispatch, engine, judging) {max(f['wall_s'] - jax_s, 0):.1f} s"
    )


def one_round(
    work: Path,
    graphs: int,
    warmth: str,
    cache_id: int,
    before: bool,
    times: dict[str, list[float]],
    notes: dict[str, str],
) -> None:
    """Each variant once, on its cache folder number ``cache_id`` (fresh when cold)."""

    def add(key: str, seconds: float) -> None:
        times.setdefault(f"{key}, {warmth}", []).append(seconds)

    run_id = f"{warmth}-{len(times.get(f'campaign, {warmth}', []))}"
    add(
        "campaign",
        report(ROOT, graphs, work / f"cache-campaign-{cache_id}", work / f"new-{run_id}" / "d.csv"),
    )
    if before:
        old = work / f"old-{run_id}" / "d.csv"
        add("before", report(work / "before", graphs, work / f"cache-before-{cache_id}", old))
    add("bare vmap(vjp)", module("bench.bare_vjp", graphs, work / f"cache-bare-{cache_id}")[0])
    seconds, line = module("bench.breakdown", graphs, work / f"cache-breakdown-{cache_id}")
    add("breakdown", seconds)
    notes[f"breakdown, {warmth}"] = _breakdown_note(line)


def run(quick: bool = False, graphs: int | None = None, repeats: int | None = None) -> list[Row]:
    graphs = graphs or (QUICK_GRAPHS if quick else GRAPHS)
    repeats = repeats or (1 if quick else 2)
    size = f"{graphs} graphs x {INPUTS} inputs, 1 process"
    times: dict[str, list[float]] = {}
    notes: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="bench-design-") as tmp:
        work = Path(tmp)
        missing = extract_before(work / "before")
        for warmth in ("cold", "warm"):
            for r in range(repeats):  # the variants alternate, so a slow spell hits each
                one_round(work, graphs, warmth, r if warmth == "cold" else 0, not missing, times, notes)
    rows = []
    for warmth in ("cold", "warm"):
        new = statistics.median(times[f"campaign, {warmth}"])
        old = statistics.median(times.get(f"before, {warmth}", [math.nan]))
        bare = statistics.median(times[f"bare vmap(vjp), {warmth}"])
        speed = f"{old / new:.2f}x faster than before" if math.isfinite(old) else f"before: {missing}"
        rows += [
            Row("design", f"before ({BEFORE}), {warmth}", size, repeats, old, 1.0, missing or "baseline"),
            Row("design", f"campaign, {warmth}", size, repeats, new, ratio(new, old), speed),
            Row(
                "design",
                f"bare vmap(vjp), {warmth}",
                size,
                repeats,
                bare,
                ratio(new, bare),
                "ratio: campaign / bare",
            ),
            Row(
                "design",
                f"breakdown, {warmth}",
                size,
                repeats,
                statistics.median(times[f"breakdown, {warmth}"]),
                math.nan,
                notes[f"breakdown, {warmth}"],
            ),
        ]
    return rows
