"""``python -m bench``: the project beside what a user would otherwise use -> reports/bench.csv and a table.

The benchmarks (``--only`` picks some): ``depth`` (chains of 10^2 to 10^6 gates, engine and
micrograd), ``scalar_mlp`` (micrograd's demo network, one training step), ``lecture_mlp``
(the lecture's step: numpy, engine, JAX eager, JAX jit), ``oracle`` (the default campaign
against bare ``jax.vmap(jax.vjp)``), ``design`` (the default campaign, cold and warm, against
bare ``vmap(vjp)`` and against the design before issue 28, with JAX's breakdown), ``vision``,
``class_check``, ``cluster`` (a campaign and a class on ``--cluster local:2`` against
``--workers 2``), and ``student_check`` (a student's check of a 10-target ``layers.py``, warm,
cold, isolated and in-process, against the course's own numeric gradient check). Every figure
is a median of repeated runs and every ratio compares medians measured in the same run: the
machine may be shared and noisy, so absolute times drift while ratios hold. ``--quick`` is a
smoke run of a few minutes.
Run from the repository's root (``nox -s bench`` does).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench import (
    campaign_design,
    class_check,
    cluster,
    depth,
    engines,
    lecture_mlp,
    oracle_campaign,
    scalar_mlp,
    student_check,
    vision,
)
from bench.common import Row, load, machine, table, write_csv

BENCHMARKS = (
    "depth",
    "scalar_mlp",
    "lecture_mlp",
    "oracle",
    "design",
    "vision",
    "class_check",
    "cluster",
    "engines",
    "student_check",
)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats, no 10^6 chain")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, default=list(BENCHMARKS), metavar="NAME")
    parser.add_argument("--out", type=Path, default=Path("reports/bench.csv"), help="the CSV (%(default)s)")
    parser.add_argument("--graphs", type=int, help="the oracle's campaign size (1000; --quick 100)")
    parser.add_argument("--oracle-repeats", type=int, help="runs per oracle measurement (2; --quick 1)")
    return parser.parse_args(argv)


def headline(rows: list[Row]) -> list[str]:
    """What the table means, one line per benchmark."""
    lines = []
    engine = [r for r in rows if r.benchmark == "depth" and r.variant == "engine"]
    if engine:
        per_gate = ", ".join(f"{r.size}: {r.median_s / int(r.size) * 1e6:.1f}" for r in engine)
        spread = [r.ratio for r in engine if int(r.size) >= 10**3]
        lines.append(
            f"depth: engine us/gate {per_gate} "
            f"(per gate {min(spread):.2f}-{max(spread):.2f}x the 10^3 figure)"
        )
        failed = [r for r in rows if r.variant == "micrograd" and r.note.startswith("RecursionError")]
        largest = [r for r in rows if r.variant == "micrograd, largest chain"]
        if failed:
            biggest = f" (largest chain that works: {largest[0].size} gates)" if largest else ""
            lines.append(f"depth: micrograd raises RecursionError at {failed[0].size} gates{biggest}")
    for variant in ("engine, scalar", "engine, vectorized"):
        found = [r for r in rows if r.benchmark == "scalar_mlp" and r.variant == variant]
        if found and math.isfinite(found[0].ratio):
            lines.append(f"scalar_mlp: {variant} / micrograd = {found[0].ratio:.3g}")
    mlp = {r.variant: r for r in rows if r.benchmark == "lecture_mlp"}
    if mlp:
        target = lecture_mlp.TARGET
        met = "met" if mlp["engine"].ratio <= target else "MISSED"
        lines.append(
            f"lecture_mlp: engine / numpy = {mlp['engine'].ratio:.2f} (target <= {target}: {met}); "
            f"jax eager {mlp['jax eager'].ratio:.2f}, jax jit {mlp['jax jit'].ratio:.2f}"
        )
    oracle = {r.variant: r for r in rows if r.benchmark == "oracle"}
    if oracle:
        cold, warm = oracle["campaign, 1 worker, cold cache"], oracle["campaign, 1 worker, warm cache"]
        lines.append(f"oracle: campaign / bare vmap(vjp) = {cold.ratio:.2f} cold, {warm.ratio:.2f} warm")
        lines.append(f"oracle: warm, 1 worker: {warm.note}")
    for row in rows:
        if row.benchmark == "design" and row.variant.startswith(("campaign", "bare", "breakdown")):
            lines.append(f"design: {row.variant}: {row.ratio:.2f} {row.note}".rstrip())
    for row in rows:
        if row.benchmark == "cluster" and row.variant.startswith("--cluster"):
            lines.append(f"cluster: {row.size}: {row.note}")
    engine = {r.variant: r for r in rows if r.benchmark == "engines"}
    if engine:
        student, check = engine["student engine"], engine["check"]
        lines.append(
            f"engines: a student's scalar engine takes {student.ratio:.2f}x the project's engine on the same "
            f"graphs; the whole check: {check.note}"
        )
        if "check isolated" in engine:
            isolated = engine["check isolated"]
            lines.append(
                f"engines: isolated (a confined process per file): {isolated.note}, "
                f"{isolated.median_s / check.median_s:.2f}x the check in the checker's process"
            )
    student = {r.variant: r for r in rows if r.benchmark == "student_check"}
    if student:
        parts = [f"{name} {student[name].ratio:.2f}x" for name in list(student)[1:]]
        lines.append(f"student_check: against the course's own numeric check: {', '.join(parts)}")
        lines.append(f"student_check: warm isolated: {student['check, warm, isolated'].note}")
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    runners: dict[str, Callable[[], list[Row]]] = {
        "depth": lambda: depth.run(args.quick),
        "scalar_mlp": lambda: scalar_mlp.run(args.quick),
        "lecture_mlp": lambda: lecture_mlp.run(args.quick),
        "oracle": lambda: oracle_campaign.run(args.quick, args.graphs, args.oracle_repeats),
        "design": lambda: campaign_design.run(args.quick, args.graphs, args.oracle_repeats),
        "vision": lambda: vision.run(args.quick),
        "class_check": lambda: class_check.run(args.quick),
        "cluster": lambda: cluster.run(args.quick),
        "engines": lambda: engines.run(args.quick),
        "student_check": lambda: student_check.run(args.quick),
    }
    print(f"machine: {machine()}")
    print(f"start: {load()}{' (--quick)' if args.quick else ''}", flush=True)
    rows: list[Row] = []
    start = time.perf_counter()
    for name in BENCHMARKS:
        if name not in args.only:
            continue
        began = time.perf_counter()
        found = runners[name]()
        rows += found
        write_csv(rows, args.out)  # what is measured reaches the disk, benchmark by benchmark
        print(f"\n{name}: {time.perf_counter() - began:.0f} s, then {load()}")
        print(table(found), flush=True)
    print(f"\nall benchmarks: {time.perf_counter() - start:.0f} s; end: {load()}\n")
    print(table(rows))
    print()
    print("\n".join(headline(rows)))
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
