"""Divergence campaigns: ``python -m oracle report`` (the main job) and ``python -m oracle merge``.

A campaign is G random graphs with K random input sets each, all drawn from one seed
(``oracle.strategies``). Graph i is judged as one batch (one vmapped JAX call for its K
input sets) and its rows are appended to the CSV at once, in graph order, whatever the
number of worker processes: the same options give the same bytes, and an interrupted
run leaves a valid CSV of every graph finished so far. Every case is also written to
``cases/<case_id>.json`` beside the CSV, and its rows' ``replay`` column runs it again.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from oracle.core.case import make_case
from oracle.core.compare import DTYPES
from oracle.core.errors import EXIT_CLEAN, EXIT_DIVERGENCE, UserError
from oracle.core.options import whole_number
from oracle.core.output import check_writable
from oracle.core.record import COLUMNS, Record, to_frame

LOCATION = ["graph", "input_set"]  # where a row sits in its campaign: the CSV's first two columns
CSV_COLUMNS = LOCATION + COLUMNS


@dataclass(frozen=True)
class Campaign:
    graphs: int = 1000
    inputs: int = 16
    seed: int = 0
    max_nodes: int = 12
    dtype: str = "float64"
    edge: bool = False

    def shard(self, k: int, n: int) -> range:
        """Graphs of the k-th of n disjoint slices (1-based), interleaved so slices cost about the same."""
        return range(k - 1, self.graphs, n)

    def describe(self) -> str:
        edge = " --edge" if self.edge else ""
        return (
            f"--graphs {self.graphs} --inputs {self.inputs} --seed {self.seed} "
            f"--max-nodes {self.max_nodes} --dtype {self.dtype}{edge}"
        )


def judge_graph(campaign: Campaign, index: int, cases_dir: str) -> tuple[list[list[Record]], dict[str, str]]:
    """Records (one list per input set) and case files (id -> JSON text) of one graph of the campaign."""
    from oracle.campaign.judge import judge  # imported in the worker: jax loads once per process
    from oracle.strategies import campaign_graph, campaign_inputs

    graph = campaign_graph(campaign.seed, index, campaign.max_nodes)
    cases = []
    for j in range(campaign.inputs):
        values, cotangent = campaign_inputs(graph, campaign.seed, index, j, campaign.dtype, campaign.edge)
        cases.append(
            make_case({"graph": graph, "values": values, "cotangent": cotangent, "dtype": campaign.dtype})
        )
    replays = [f"python -m oracle replay {Path(cases_dir) / c.case_id}.json" for c in cases]
    files = {c.case_id: json.dumps(c.to_json()) for c in cases}
    return judge(cases, [campaign.seed] * len(cases), replays), files


def rows_frame(index: int, records: list[list[Record]]) -> pd.DataFrame:
    """The CSV rows of one graph: its records, located by graph and input set."""
    frame = to_frame([r for case_records in records for r in case_records])
    frame.insert(0, "input_set", [j for j, case_records in enumerate(records) for _ in case_records])
    frame.insert(0, "graph", index)
    return frame


def _judge_task(task: tuple[Campaign, int, str]) -> tuple[list[list[Record]], dict[str, str]]:
    return judge_graph(*task)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def _results(campaign: Campaign, indices: Sequence[int], cases_dir: str, workers: int) -> Iterator[Any]:
    tasks = [(campaign, i, cases_dir) for i in indices]
    if workers == 1 or len(tasks) <= 1:
        yield from map(_judge_task, tasks)
        return
    context = multiprocessing.get_context("spawn")  # jax is not fork-safe
    with context.Pool(workers, initializer=_ignore_sigint) as pool:
        yield from pool.imap(_judge_task, tasks, chunksize=2)


def run_campaign(campaign: Campaign, out: Path, *, shard: tuple[int, int] = (1, 1), workers: int = 1) -> int:
    """Run the campaign (or one shard of it), appending rows to ``out``; returns the number of rows."""
    cases_dir = out.parent / "cases"
    cases_dir.mkdir(parents=True, exist_ok=True)
    indices = campaign.shard(*shard)
    written = 0
    with out.open("w", newline="") as handle:
        handle.write(",".join(CSV_COLUMNS) + "\n")
        interval = 0.5 if sys.stderr.isatty() else 15  # a log file gets a line now and then, not a flood
        bar = tqdm(total=len(indices), unit="graph", file=sys.stderr, desc="report", mininterval=interval)
        try:
            results = _results(campaign, indices, str(cases_dir), workers)
            for index, (records, files) in zip(indices, results, strict=True):
                for case_id, text in files.items():
                    (cases_dir / f"{case_id}.json").write_text(text + "\n")
                frame = rows_frame(index, records)
                frame.to_csv(handle, header=False, index=False, lineterminator="\n")
                handle.flush()
                written += len(frame)
                bar.update()
        finally:
            bar.close()
            print(f"wrote {written} rows to {out}", file=sys.stderr)
    return written


# ------------------------------------------------------------------ the commands


def _shard(text: str) -> tuple[int, int]:
    k, _, n = text.partition("/")
    if not (k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise argparse.ArgumentTypeError(f"expected K/N with 1 <= K <= N (e.g. 2/4), got {text!r}")
    return int(k), int(n)


def register(subparsers: Any, name: str) -> None:
    if name == "merge":
        parser = subparsers.add_parser(name, help="combine shard CSVs into the unsharded campaign's CSV")
        parser.add_argument("shards", nargs="+", help="the shard CSVs written by report --shard K/N")
        parser.add_argument("--out", default="reports/divergence.csv", help="the merged CSV")
        parser.set_defaults(run=run_merge)
        return
    parser = subparsers.add_parser(name, help="run a divergence campaign and write the CSV report")
    defaults = Campaign()
    parser.add_argument(
        "--graphs", type=whole_number(1), default=defaults.graphs, help="random graphs (default 1000)"
    )
    parser.add_argument(
        "--inputs", type=whole_number(1), default=defaults.inputs, help="input sets per graph (16)"
    )
    parser.add_argument("--seed", type=whole_number(0), default=defaults.seed, help="the campaign's seed (0)")
    parser.add_argument(
        "--max-nodes", type=whole_number(1), default=defaults.max_nodes, help="gates per graph (12)"
    )
    parser.add_argument("--dtype", choices=DTYPES, default=defaults.dtype)
    parser.add_argument("--edge", action="store_true", help="put inputs on kinks (ties, zeros) on purpose")
    parser.add_argument(
        "--workers", type=whole_number(1), default=os.cpu_count() or 1, help="processes (all cores)"
    )
    parser.add_argument("--shard", type=_shard, default=(1, 1), metavar="K/N", help="run slice K of N")
    parser.add_argument("--out", default="reports/divergence.csv", help="the CSV (reports/divergence.csv)")
    parser.set_defaults(run=run_report)


def run_report(args: argparse.Namespace) -> int:
    from oracle.campaign.summary import plot_rel_error, summarize, summary_text, write_markdown

    out = check_writable(args.out)
    campaign = Campaign(args.graphs, args.inputs, args.seed, args.max_nodes, args.dtype, args.edge)
    start = time.perf_counter()
    run_campaign(campaign, out, shard=args.shard, workers=args.workers)
    seconds = time.perf_counter() - start
    frame = read_report(out)
    shard = "" if args.shard == (1, 1) else " --shard {}/{}".format(*args.shard)
    summary = summarize(frame, seconds=seconds, options=campaign.describe() + shard)
    print(summary_text(summary))
    write_markdown(summary, out.parent / "summary.md")
    plot_rel_error(frame, out.parent / "rel_error.png")
    print(f"wrote {out}, {out.parent / 'summary.md'}, {out.parent / 'rel_error.png'}")
    return EXIT_DIVERGENCE if len(summary.failing) else EXIT_CLEAN


TEXT_COLUMNS = ["case_id", "input", "shape", "dtype", "status", "detail", "worst_index", "ops", "replay"]


def read_report(path: str | Path) -> pd.DataFrame:
    """A campaign CSV as written: text columns stay text (empty is ""), empty numbers are NaN."""
    numbers = [c for c in CSV_COLUMNS if c not in TEXT_COLUMNS]
    return pd.read_csv(
        path,
        dtype={c: str for c in TEXT_COLUMNS},
        keep_default_na=False,
        na_values={c: [""] for c in numbers},
    )


def run_merge(args: argparse.Namespace) -> int:
    """Rows of all shards, in campaign order: the same bytes as the unsharded run."""
    out = check_writable(args.out)
    header = ""
    rows: dict[int, list[str]] = {}  # graph -> its rows, in the order written
    owner: dict[int, str] = {}  # graph -> the file it came from
    for path in args.shards:
        try:
            lines = Path(path).read_text().splitlines(keepends=True)
        except OSError as exc:
            raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from None
        if not lines or lines[0].rstrip("\n").split(",") != CSV_COLUMNS:
            raise UserError(f"{path}: not a campaign CSV (its header is not the report's)")
        header = lines[0]
        mine: dict[int, list[str]] = {}
        for line in lines[1:]:
            mine.setdefault(int(line.split(",", 1)[0]), []).append(line)
        for graph in mine:
            if graph in owner:
                raise UserError(f"{path}: graph {graph} is also in {owner[graph]}: the shards overlap")
            owner[graph] = path
        rows.update(mine)
    with out.open("w") as handle:
        handle.write(header)
        for graph in sorted(rows):
            handle.writelines(rows[graph])
    count = sum(map(len, rows.values()))
    print(f"merged {count} rows of {len(rows)} graphs from {len(args.shards)} files into {out}")
    return EXIT_CLEAN
