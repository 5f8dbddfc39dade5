"""``python -m oracle merge SHARD.csv ... --out divergence.csv``: the shards of one campaign, as one CSV.

What a merge promises: the merged CSV (and its metadata) has the same bytes as the unsharded
run would have written (the same bytes exactly when the shards were written into one folder,
since the ``replay`` column names each shard's ``cases/`` folder), and ``summary.md`` and
``rel_error.png`` beside it describe the whole campaign. Anything else is refused with one
line naming the file (and the line) before anything is written:

- a shard without its metadata file, or whose run did not finish (interrupted, failed);
- shards of different campaigns (another seed, dtype, any option), or of different splits;
- an incomplete set: a shard K/N missing, or given twice;
- a shard that is not what its run wrote: not UTF-8, a row with the wrong number of fields
  (cut off mid-write, two rows fused), a blank or garbage line, a ``graph`` or ``input_set``
  that is not a whole number of this shard, rows out of order, rows or SHA-256 other than
  its metadata says.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oracle.campaign.rows import CSV_COLUMNS, HEADER
from oracle.campaign.run import check_outputs
from oracle.campaign.spec import Campaign, Metadata, read_metadata, write_metadata
from oracle.core.case import read_text
from oracle.core.errors import EXIT_CLEAN, EXIT_DIVERGENCE, UserError
from oracle.core.output import RowFile
from oracle.core.record import STATUSES

FIELDS, STATUS = len(CSV_COLUMNS), CSV_COLUMNS.index("status")
WHOLE = re.compile(r"\d{1,10}")
MAX_SHARD_BYTES = 2**34  # 16 GB: a shard of the default campaign is about 10 MB


@dataclass
class Shard:
    path: str
    metadata: Metadata
    rows: dict[int, list[str]]  # graph -> its rows, as written (each line with its newline)


def register(subparsers: Any, name: str) -> None:
    parser = subparsers.add_parser(name, help="combine shard CSVs into the unsharded campaign's CSV")
    parser.add_argument("shards", nargs="+", help="the shard CSVs written by report --shard K/N")
    parser.add_argument("--out", default="reports/divergence.csv", help="the merged CSV")
    parser.set_defaults(run=run_merge)


def _records(text: str) -> list[tuple[int, str]]:
    """The CSV's records, each with its first line number; a quoted field may hold a newline."""
    records, start, pending = [], 1, ""
    lines = [line + "\n" for line in text.split("\n")]  # only \n ends a row (not \f or \u2028)
    lines[-1] = lines[-1][:-1]
    for number, line in enumerate(filter(None, lines), 1):
        if not pending:
            start = number
        pending += line
        if pending.count('"') % 2 == 0:
            records.append((start, pending))
            pending = ""
    if pending:
        records.append((start, pending))
    return records


def read_shard(path: str) -> Shard:
    """A shard as its run wrote it, checked line by line against its metadata."""
    metadata = read_metadata(path)
    if not metadata.finished:
        raise UserError(f"{path}: its run did not finish (interrupted or failed): run it again")
    text = read_text(path, MAX_SHARD_BYTES)
    records = _records(text)
    if not records or records[0][1] != HEADER:
        raise UserError(f"{path}:1: not a campaign CSV (its header is not the report's)")
    campaign = metadata.campaign
    expected = campaign.shard(*metadata.shard)
    rows: dict[int, list[str]] = {}
    last = (-1, campaign.inputs - 1)
    for number, record in records[1:]:
        where = f"{path}:{number}"
        if not record.endswith("\n"):
            raise UserError(f"{where}: the last row is cut off (no end of line)")
        try:
            fields = next(csv.reader([record.rstrip("\n")]), [])
        except csv.Error as exc:  # a NUL byte, say
            raise UserError(f"{where}: not a CSV row ({exc})") from None
        if len(fields) != FIELDS:
            raise UserError(f"{where}: {len(fields)} fields, not {FIELDS} (a row cut off, fused or blank?)")
        graph, input_set, status = fields[0], fields[1], fields[STATUS]
        if not (WHOLE.fullmatch(graph) and WHOLE.fullmatch(input_set)):
            raise UserError(f"{where}: graph {graph!r} and input_set {input_set!r} must be whole numbers")
        here = (int(graph), int(input_set))
        if here[0] not in expected or here[1] >= campaign.inputs:
            shard = "{}/{}".format(*metadata.shard)
            raise UserError(
                f"{where}: graph {here[0]}, input set {here[1]} is not in shard {shard} of this campaign"
            )
        starts_graph = here[0] != last[0]
        in_order = here[1] in (last[1], last[1] + 1) and not starts_graph
        if starts_graph:
            following = len(rows) < len(expected) and here[0] == expected[len(rows)]
            in_order = following and here[1] == 0 and last[1] == campaign.inputs - 1
        if not in_order:
            raise UserError(
                f"{where}: graph {here[0]}, input set {here[1]} is out of order or a row is missing"
            )
        if status not in STATUSES:
            raise UserError(f"{where}: status {status[:40]!r} is not one of {', '.join(STATUSES)}")
        rows.setdefault(here[0], []).append(record)
        last = here
    if len(rows) != len(expected) or last[1] != campaign.inputs - 1:
        raise UserError(
            f"{path}: holds {len(rows)} of the shard's {len(expected)} graphs, the last one cut short?"
        )
    if len(records) - 1 != metadata.rows or hashlib.sha256(text.encode()).hexdigest() != metadata.sha256:
        raise UserError(
            f"{path}: not the CSV its run wrote ({metadata.rows} rows and a SHA-256 recorded in "
            f"{Path(path).name}.json): edited after the run?"
        )
    return Shard(path, metadata, rows)


def _same_campaign(shards: list[Shard]) -> Campaign:
    """The one campaign all shards belong to, split the same way, every shard once; or one line."""
    first = shards[0]
    campaign, (_, n) = first.metadata.campaign, first.metadata.shard
    seen: dict[int, str] = {}
    for shard in shards:
        other, (k, m) = shard.metadata.campaign, shard.metadata.shard
        for name in Campaign.__dataclass_fields__:
            if getattr(other, name) != getattr(campaign, name):
                raise UserError(
                    f"{shard.path}: another campaign: {other.option(name)} where {first.path} has "
                    f"{campaign.option(name)}"
                )
        if m != n:
            raise UserError(f"{shard.path}: shard {k}/{m}, but {first.path} is one of {n} shards")
        if k in seen:
            raise UserError(f"{shard.path}: shard {k}/{n} again (also {seen[k]}): the shards overlap")
        seen[k] = shard.path
    missing = [f"{k}/{n}" for k in range(1, n + 1) if k not in seen]
    if missing:
        raise UserError(
            f"shard {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''} missing: "
            f"a merge needs all {n} shards"
        )
    return campaign


def run_merge(args: argparse.Namespace) -> int:
    """Rows of all shards, in campaign order: the same bytes as the unsharded run."""
    from oracle.campaign.summary import write_summary

    out = check_outputs(args.out)
    shards = [read_shard(path) for path in args.shards]
    campaign = _same_campaign(shards)
    rows = {graph: lines for shard in shards for graph, lines in shard.rows.items()}
    with RowFile(out) as merged:
        write_metadata(out, Metadata(campaign))  # not finished: until the last row is on disk
        merged.append(HEADER)
        count = 0
        for graph in range(campaign.graphs):
            merged.append("".join(rows[graph]))
            count += len(rows[graph])
        write_metadata(out, Metadata(campaign, (1, 1), True, count, merged.sha256))
    print(f"merged {count} rows of {len(rows)} graphs from {len(shards)} files into {out}")
    failing = write_summary(out, campaign.describe(), None)
    return EXIT_DIVERGENCE if failing else EXIT_CLEAN
