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
import json
import os
import shlex
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from oracle.campaign import workers as pool
from oracle.campaign.rows import CSV_COLUMNS as CSV_COLUMNS  # tests and tools import these from here
from oracle.campaign.rows import HEADER, rows_frame
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
from oracle.core.case import check_memory, make_case
from oracle.core.compare import DTYPES
from oracle.core.errors import EXIT_CLEAN, EXIT_DIVERGENCE, UserError
from oracle.core.options import DEFAULT_MAX_MEMORY, memory_size, shard, whole_number
from oracle.core.output import RowFile, check_folder, check_writable, write_atomic
from oracle.core.record import Record
from reference import GraphError, check_graph

WORKERS_PER_CORE = 4  # more only costs memory: each worker holds its own JAX runtime (~250 MB)


def replay_command(path: Path) -> str:
    return f"python -m oracle replay {shlex.quote(str(path))}"


def judge_graph(
    campaign: Campaign, index: int, cases_dir: str, max_memory: int = DEFAULT_MAX_MEMORY
) -> tuple[list[list[Record]], dict[str, str]]:
    """Records (one list per input set) and case files (id -> JSON text) of one graph of the campaign."""
    from oracle.campaign.judge import judge  # imported in the worker: jax loads once per process
    from oracle.strategies import campaign_graph, campaign_inputs

    graph = campaign_graph(campaign.seed, index, campaign.max_nodes, mode=campaign.mode)
    try:
        check_memory(check_graph(graph), max_memory, batch=campaign.inputs)
    except GraphError as exc:
        raise UserError(f"graph {index} of the campaign {exc}; or use fewer --inputs") from None
    cases = []
    for j in range(campaign.inputs):
        values, cotangent = campaign_inputs(
            graph, campaign.seed, index, j, campaign.dtype, mode=campaign.mode
        )
        cases.append(
            make_case({"graph": graph, "values": values, "cotangent": cotangent, "dtype": campaign.dtype})
        )
    replays = [replay_command(Path(cases_dir) / f"{c.case_id}.json") for c in cases]
    files = {c.case_id: json.dumps(c.to_json()) for c in cases}
    with np.errstate(all="ignore"):  # overflow and NaN become records, not warnings on stderr
        return judge(cases, [campaign.seed] * len(cases), replays), files


def _judge_task(task: tuple[Campaign, int, str, int]) -> tuple[list[list[Record]], dict[str, str]]:
    return judge_graph(*task)


def run_campaign(
    campaign: Campaign,
    rows: RowFile,
    *,
    shard: tuple[int, int] = (1, 1),
    workers: int = 1,
    max_memory: int = DEFAULT_MAX_MEMORY,
) -> int:
    """Run the campaign (or one shard of it), appending rows to ``rows``; returns the number of rows."""
    cases_dir = rows.path.parent / "cases"
    indices = campaign.shard(*shard)
    tasks = ((campaign, i, str(cases_dir), max_memory) for i in indices)
    written = 0
    interval = 0.5 if sys.stderr.isatty() else 15  # a log file gets a line now and then, not a flood
    bar = tqdm(total=len(indices), unit="graph", file=sys.stderr, desc="report", mininterval=interval)
    try:
        results: Iterator[Any] = pool.ordered(
            _judge_task, tasks, workers, describe=lambda task: f"graph {task[1]}"
        )
        for index, (records, files) in zip(indices, results, strict=True):
            for case_id, text in files.items():  # first the cases, so that every row's replay runs
                write_atomic(cases_dir / f"{case_id}.json", text + "\n")
            frame = rows_frame(index, records)
            rows.append(frame.to_csv(None, header=False, index=False, lineterminator="\n"))
            written += len(frame)
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
    parser.add_argument(
        "--workers",
        type=_workers,
        default=cores,
        help=f"processes (all {cores} cores; at most one per graph)",
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
    workers = plan_workers(args.workers, len(campaign.shard(k, n)))
    out = check_outputs(args.out)
    check_folder(out.parent / "cases", f"--out {out}: its cases folder")
    start = time.perf_counter()
    with RowFile(out) as rows:
        write_metadata(out, Metadata(campaign, args.shard))  # not finished: until the last row is on disk
        rows.append(HEADER)
        written = run_campaign(campaign, rows, shard=args.shard, workers=workers, max_memory=args.max_memory)
        write_metadata(out, Metadata(campaign, args.shard, True, written, rows.sha256))
    shard_text = "" if args.shard == (1, 1) else f" --shard {k}/{n}"
    failing = write_summary(out, campaign.describe() + shard_text, time.perf_counter() - start)
    return EXIT_DIVERGENCE if failing else EXIT_CLEAN
