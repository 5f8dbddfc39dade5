"""``python -m oracle check PATH...``: check course code against JAX, one file or a whole class.

One .py file (``check layers.py``): every known target in it, a line per target, one CSV
of records (``target`` then the report's columns). Several paths, a submission folder, or
``--submissions DIR`` (every folder or .py file in it is one student's work): the class
CSV (``submission``, ``file``, ``autodiff`` first), a table submissions x targets,
``class_summary.md`` and ``class_grid.png`` beside the CSV (``oracle.course.grading.classes``).
``--merge SHARD.csv...`` joins the class CSVs of ``--shard K/N`` runs.

The submission's code runs in a worker process of its own (``oracle.course.isolation.sessions``),
under a time limit per target and a memory limit: it cannot hang, crash or rewrite the
checker, nor see the JAX reference; the worker is confined (``--confine``: files, network,
processes, ``oracle.course.isolation.confine``). ``--no-isolate`` runs it in this process, as a
debugger wants. Exit 0: every row clean; 1: a row failed (mismatch, error, timeout...);
2: bad input. The checker exits 0 only after it has written its verdicts, and its exit code
and summaries come from the rows it judged, never from the CSV read back.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oracle.core.compare import DTYPES
from oracle.core.errors import EXIT_CLEAN, EXIT_DIVERGENCE, UserError
from oracle.core.options import MAX_SEED, cluster_address, memory_size, shard, whole_number
from oracle.course import DEFAULT_SEEDS
from oracle.course.isolation.confine import CONFINE_MODES, confinement_for
from oracle.course.isolation.sessions import Options
from oracle.course.judging import result_cache

if TYPE_CHECKING:
    from oracle.course.grading.classes import Written

from oracle.course.check_file import many, run_file, use_cache

MAX_SEEDS = 1000  # 3 is the default; more than this is a typo (--seeds 1e8), not a check
MIN_MEMORY = (
    2**30
)  # a worker holds numpy and the registry (~450 MB of address space) before the student's code runs


def worker_memory(text: str) -> int:
    """An argparse type: the address space of a worker, as ``2G`` or ``1536M`` (at least 1G)."""
    value = memory_size(text)
    if value < MIN_MEMORY:
        raise argparse.ArgumentTypeError(f"must be at least 1G (a worker holds numpy and more), got {text!r}")
    return value


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 3600 seconds, got {text}")
    return value


def register(subparsers: Any, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="check the gates, layers and losses in course code: one file or a whole class",
        description="Check every known gate, layer and loss in course code against JAX: one .py file, "
        "or many submissions (files or folders). Exit 0: all correct; 1: a row failed; 2: bad input.",
    )
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="a .py file, a submission folder, or (--merge) class CSVs"
    )
    parser.add_argument("--submissions", metavar="DIR", help="a folder whose every folder or .py file is one")
    parser.add_argument("--out", default="reports/check.csv", help="CSV report (default: %(default)s)")
    parser.add_argument(
        "--target", action="append", metavar="NAME", help="check only NAME (repeatable, or NAME,NAME)"
    )
    parser.add_argument(
        "--seed", type=whole_number(0, MAX_SEED), default=0, help="first seed (default: %(default)s)"
    )
    parser.add_argument(
        "--seeds",
        type=whole_number(1, MAX_SEEDS),
        default=DEFAULT_SEEDS,
        help="how many seeds (default: %(default)s)",
    )
    parser.add_argument(
        "--dtype", choices=DTYPES, default="float64", help="input dtype (default: %(default)s)"
    )
    parser.add_argument(
        "--course",
        default="",
        metavar="NAME",
        help="the course the code follows (default: read off each file; `check --course list` lists them)",
    )
    parser.add_argument(
        "--graphs",
        type=whole_number(1, 100_000),
        default=0,
        help="autograd engines: random graphs per engine (default: 60)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="show every record, not only the problems"
    )
    isolation = parser.add_argument_group("isolation (the student's code runs in a worker process)")
    isolation.add_argument(
        "--timeout",
        type=seconds,
        default=10.0,
        help="seconds per target (3 times that per file imported; default: 10)",
    )
    isolation.add_argument(
        "--max-memory",
        type=worker_memory,
        default="2G",
        metavar="SIZE",
        help="address space per worker, e.g. 2G or 1536M (default: %(default)s)",
    )
    isolation.add_argument(
        "--no-isolate", action="store_true", help="run the student's code in this process (for debugging)"
    )
    isolation.add_argument(
        "--confine",
        choices=CONFINE_MODES,
        default="auto",
        help="confine each worker with what the kernel offers (auto), refuse to run without file "
        "system, network and process confinement (strict), or not at all (off; default: auto)",
    )
    many = parser.add_argument_group("many submissions")
    where = many.add_mutually_exclusive_group()
    where.add_argument("--workers", type=whole_number(1), help="judging processes (all cores)")
    where.add_argument(
        "--cluster",
        type=cluster_address,
        metavar="local:N|tcp://HOST:PORT",
        help="judge on Dask: a local cluster of N processes, or a running scheduler",
    )
    many.add_argument("--shard", type=shard, default=(1, 1), metavar="K/N", help="check slice K of N")
    many.add_argument("--merge", action="store_true", help="join the class CSVs named as PATHs into --out")
    parser.set_defaults(run=run)


def target_names(options: Sequence[str] | None) -> tuple[str, ...] | None:
    """``--target`` values (repeatable, or comma-separated); an empty name is the user's mistake."""
    if not options:
        return None
    names = []
    for option in options:
        for name in option.split(","):
            if not name.strip():
                raise UserError(f"--target {option!r}: an empty target name")
            names.append(name.strip())
    return tuple(names)


def course_name(value: str) -> str:
    """``--course``: a course the registry knows ("" reads it off each file)."""
    from oracle.course.registry import COURSES

    if value and value not in COURSES:
        known = ", ".join(f"{name} ({course.title})" for name, course in sorted(COURSES.items()))
        raise UserError(f"--course {value[:60]!r}: not a known course (known: {known})")
    return value


def run(args: argparse.Namespace) -> int:
    if args.merge:
        return run_merge(args)
    if args.course == "list":
        from oracle.course.registry import COURSES

        for name, course in sorted(COURSES.items()):
            print(f"{name}: {course.title}")
        return EXIT_CLEAN
    options = Options(
        seed=args.seed,
        seeds=args.seeds,
        dtype=args.dtype,
        names=target_names(args.target),
        course=course_name(args.course),
        isolate=not args.no_isolate,
        timeout=args.timeout,
        max_memory=args.max_memory,
        confine=args.confine if not args.no_isolate else "off",
        graphs=args.graphs,
    )
    if len(args.paths) == 1 and not args.submissions and _one_file(Path(args.paths[0])):
        if args.cluster:
            raise UserError("--cluster: for many submissions (--submissions DIR, or several paths)")
        return run_file(args.paths[0], options, args.out, args.verbose)
    if args.cluster and args.no_isolate:
        raise UserError("--cluster with --no-isolate: a submission's code never runs in a Dask worker")
    return runmany(args, options)


def _one_file(path: Path) -> bool:
    return not path.is_dir() or path.suffix == ".py"


# ------------------------------------------------------- many submissions


def _outputs(out: Path) -> tuple[Path, Path]:
    return out.parent / "class_summary.md", out.parent / "class_grid.png"


def runmany(args: argparse.Namespace, options: Options) -> int:
    from oracle.course.grading.classes import check_outputs, discover, run_class, shard_of
    from oracle.course.registry import REFERENCES

    for name in options.names or ():
        if name not in REFERENCES:
            raise UserError(f"--target {name}: not a known name (known: {', '.join(REFERENCES)})")
    out = check_outputs(args.out)
    entries = discover(args.paths, args.submissions)
    k, n = args.shard
    if n > len(entries):
        raise UserError(
            f"--shard {k}/{n}: the class has {many(len(entries), 'submission')}, so at most that many shards"
        )
    everyone = [name for name, _ in entries]
    entries = shard_of(entries, args.shard)
    confinement = confinement_for(options)
    use_cache([*args.paths, *([args.submissions] if args.submissions else [])])
    isolation = f"isolated, {confinement}" if options.isolate else "in this process"
    seeds = many(options.seeds, "seed")
    print(f"checking {many(len(entries), 'submission')} ({isolation}), {seeds}, {options.dtype}")
    start = time.perf_counter()
    with contextlib.ExitStack() as stack:
        client = None
        if args.cluster:  # connected (or started) before anything is written
            from oracle.core.cluster import connect

            client = stack.enter_context(connect(args.cluster, len(entries), "python -m oracle check"))
        workers = args.workers or os.cpu_count() or 1  # not a default: argparse would not see it given
        stack.callback(result_cache.disable)
        written = run_class(entries, options, out, workers, args.shard, everyone, confinement, client)
    done = written.done
    timing = f"{many(len(done), 'submission')} in {done[-1] - start:.1f} s" if done else ""
    if len(done) > 1:  # the steady rate, without the start-up (JAX, the zygote, the judging processes)
        timing += f", {(done[-1] - done[0]) / (len(done) - 1):.3f} s each after the first"
    return summarize(out, timing, written)


def run_merge(args: argparse.Namespace) -> int:
    from oracle.course.grading.classes import check_outputs, merge

    if args.cluster:
        raise UserError("--merge with --cluster: a merge joins files here, it needs no cluster")
    if not args.paths:
        raise UserError("--merge: name the class CSVs to join")
    out = check_outputs(args.out)
    written = merge(args.paths, out)
    rows = len(written.text.splitlines()) - 1
    print(f"merged {rows} rows from {many(len(args.paths), 'file')} into {out}")
    return summarize(out, "", written)


def summarize(out: Path, timing: str, written: Written) -> int:
    """The table, ``class_summary.md`` and ``class_grid.png`` of the rows judged (kept in memory,
    never read back from ``out``: anything may have written there meanwhile); the exit code."""
    from oracle.course.grading import class_summary

    frame = written.frame()
    markdown, picture = _outputs(out)
    if written.rewritten:
        print(f"warning: {out} was changed during the run, not by this check: written again as judged")
    print(class_summary.summary_text(frame))
    class_summary.write_markdown(frame, markdown, confinement=written.confinement)
    class_summary.plot_grid(frame, picture)
    print(f"wrote {out}, {markdown}, {picture}" + (f" ({timing})" if timing else ""))
    return EXIT_DIVERGENCE if class_summary.failing(frame) or frame.empty else EXIT_CLEAN
