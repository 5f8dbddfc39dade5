"""Divergence campaigns: ``python -m oracle report``, the main job.

A campaign is G random graphs with K random input sets each, all drawn from one seed
(``oracle.strategies``, options in ``oracle.campaign.spec.Campaign``). Graph i is judged as
one batch (one vmapped JAX call for its K input sets) and its rows are appended to the CSV
at once, in graph order, whatever the number of worker processes: the same options give the
same bytes. What a run promises:

- every output path (the CSV, its metadata ``<csv>.json``, ``summary.md``, ``rel_error.png``,
  the ``cases/`` folder) is checked before any work starts, and the CSV is locked: a second
  run writing the same CSV stops at once with one line;
- rows reach the disk graph by graph and whole: Ctrl-C, SIGTERM, a dead worker, a full disk
  leave a valid CSV of every graph finished so far (and metadata saying it did not finish);
- every case is written whole to ``cases/<case_id>.json`` beside the CSV, and its rows'
  ``replay`` column (shell-quoted) runs it again;
- a graph whose batch would need more memory than ``--max-memory`` is refused with one line.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tqdm import tqdm

from oracle.campaign import workers as pool
from oracle.campaign.rows import CSV_COLUMNS as CSV_COLUMNS  # tests and tools import these from here
from oracle.campaign.rows import HEADER
from oracle.campaign.rows import read_report as read_report
from oracle.campaign.spec import (
    MAX_GRAPHS,
    MAX_INPUTS,
    MAX_NODES,
    Campaign,
    Metadata,
    metadata_path,
    write_metadata,
)
from oracle.campaign.tasks import Judged, Rows, blocks, graph_rows, on_cluster
from oracle.campaign.tasks import judge_graph as judge_graph  # run in this process by --workers 1
from oracle.campaign.tasks import replay_command as replay_command
from oracle.core.compare import DTYPES
from oracle.core.errors import EXIT_CLEAN, EXIT_DIVERGENCE, UserError
from oracle.core.options import (
    DEFAULT_MAX_MEMORY,
    WORKERS_PER_CORE,
    cluster_address,
    memory_size,
    shard,
    whole_number,
)
from oracle.core.output import RowFile, check_folder, check_writable, write_atomic


def _judge_task(task: tuple[Campaign, int, str, int]) -> Judged:
    return judge_graph(*task)


def run_campaign(
    campaign: Campaign,
    rows: RowFile,
    *,
    shard: tuple[int, int] = (1, 1),
    workers: int = 1,
    max_memory: int = DEFAULT_MAX_MEMORY,
    client: Any = None,
) -> int:
    """Run the campaign (or one shard of it), appending rows to ``rows``; returns the number of rows.

    On ``workers`` local processes, a graph per task; on a Dask cluster (``client``), a block
    of graphs per task (``oracle.campaign.tasks``): the same rows either way."""
    cases_dir = rows.path.parent / "cases"
    indices = campaign.shard(*shard)
    written = 0
    interval = 0.5 if sys.stderr.isatty() else 15  # a log file gets a line now and then, not a flood
    bar = tqdm(total=len(indices), unit="graph", file=sys.stderr, desc="report", mininterval=interval)
    try:
        results: Iterator[tuple[int, Rows]]
        if client is None:
            tasks = ((campaign, i, str(cases_dir), max_memory) for i in indices)
            judged = pool.ordered(_judge_task, tasks, workers, describe=lambda task: f"graph {task[1]}")
            results = ((i, graph_rows(i, graph)) for i, graph in zip(indices, judged, strict=True))
        else:
            results = on_cluster(client, blocks(campaign, indices, str(cases_dir), max_memory))
        for _, (text, count, files) in results:
            for case_id, case in files.items():  # first the cases, so that every row's replay runs
                write_atomic(cases_dir / f"{case_id}.json", case + "\n")
            rows.append(text)
            written += count
            bar.update()
    finally:
        bar.close()
        print(f"wrote {written} rows to {rows.path}", file=sys.stderr)
    return written


# ------------------------------------------------------------------ the command


def register(subparsers: Any, name: str) -> None:
    parser = subparsers.add_parser(name, help="run a divergence campaign and write the CSV report")
    defaults = Campaign()
    parser.add_argument(
        "--graphs", type=whole_number(1, MAX_GRAPHS), default=defaults.graphs, help="random graphs (1000)"
    )
    parser.add_argument(
        "--inputs",
        type=whole_number(1, MAX_INPUTS),
        default=defaults.inputs,
        help="input sets per graph (16)",
    )
    parser.add_argument("--seed", type=whole_number(0), default=defaults.seed, help="the campaign's seed (0)")
    parser.add_argument(
        "--max-nodes",
        type=whole_number(1, MAX_NODES),
        default=defaults.max_nodes,
        help="gates per graph (12)",
    )
    parser.add_argument("--dtype", choices=DTYPES, default=defaults.dtype)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--edge", action="store_true", help="put inputs on kinks (ties, zeros) on purpose")
    mode.add_argument("--wide", action="store_true", help="draw values from each gate's whole safe domain")
    cores = os.cpu_count() or 1
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=_workers,
        help=f"processes (all {cores} cores; at most one per graph)",
    )
    where.add_argument(
        "--cluster",
        type=cluster_address,
        metavar="local:N|tcp://HOST:PORT",
        help="run on Dask: a local cluster of N processes, or a running scheduler (README: On a cluster)",
    )
    parser.add_argument("--shard", type=shard, default=(1, 1), metavar="K/N", help="run slice K of N")
    parser.add_argument(
        "--max-memory",
        type=memory_size,
        default=DEFAULT_MAX_MEMORY,
        metavar="SIZE",
        help="refuse a graph whose input sets would need more (4G)",
    )
    parser.add_argument("--out", default="reports/divergence.csv", help="the CSV (reports/divergence.csv)")
    parser.set_defaults(run=run_report)


def _workers(text: str) -> int:
    cores = os.cpu_count() or 1
    value = whole_number(1)(text)
    if value > WORKERS_PER_CORE * cores:
        raise argparse.ArgumentTypeError(
            f"at most {WORKERS_PER_CORE * cores} ({WORKERS_PER_CORE} per core on these {cores} cores; "
            f"each worker holds its own JAX runtime, ~250 MB), got {value}"
        )
    return value


def check_outputs(out: str | Path) -> Path:
    """Every path a campaign CSV brings with it, checked before any work: one line on the first problem."""
    out = check_writable(out)
    for path, what in (
        (metadata_path(out), "its metadata"),
        (out.parent / "summary.md", "its summary"),
        (out.parent / "rel_error.png", "its plot"),
    ):
        check_writable(path, f"--out {out}: {what}")
    return out


def plan_workers(requested: int, graphs: int) -> int:
    """At most one worker per graph; a note when more workers than cores were asked for."""
    cores = os.cpu_count() or 1
    workers = max(1, min(requested, graphs))
    if workers > cores:
        print(
            f"python -m oracle report: note: {workers} workers on {cores} cores: each holds its own "
            "JAX runtime (~250 MB) and they share the cores",
            file=sys.stderr,
        )
    return workers


def run_report(args: argparse.Namespace) -> int:
    from oracle.campaign.summary import write_summary

    campaign = Campaign(args.graphs, args.inputs, args.seed, args.max_nodes, args.dtype, args.edge, args.wide)
    k, n = args.shard
    if n > campaign.graphs:
        raise UserError(
            f"--shard {k}/{n}: the campaign has {campaign.graphs} graphs, so at most that many shards"
        )
    indices = campaign.shard(k, n)
    workers = 1 if args.cluster else plan_workers(args.workers or os.cpu_count() or 1, len(indices))
    out = check_outputs(args.out)
    check_folder(out.parent / "cases", f"--out {out}: its cases folder")
    start = time.perf_counter()
    with contextlib.ExitStack() as stack:
        client = None
        if args.cluster:  # connected (or started) before anything is written
            from oracle.core.cluster import connect

            tasks = sum(1 for _ in blocks(campaign, indices, "", 0))
            client = stack.enter_context(connect(args.cluster, tasks, "python -m oracle report"))
        rows = stack.enter_context(RowFile(out))
        write_metadata(out, Metadata(campaign, args.shard))  # not finished: until the last row is on disk
        rows.append(HEADER)
        written = run_campaign(
            campaign, rows, shard=args.shard, workers=workers, max_memory=args.max_memory, client=client
        )
        write_metadata(out, Metadata(campaign, args.shard, True, written, rows.sha256))
    shard_text = "" if args.shard == (1, 1) else f" --shard {k}/{n}"
    failing = write_summary(out, campaign.describe() + shard_text, time.perf_counter() - start)
    return EXIT_DIVERGENCE if failing else EXIT_CLEAN
