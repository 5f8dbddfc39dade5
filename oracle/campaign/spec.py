"""What a campaign is, and the metadata file that says which campaign (and which shard) a CSV holds.

A campaign is fixed by its options (``Campaign``): the same options draw the same graphs and
inputs on every machine. Beside every campaign CSV, ``report`` and ``merge`` write
``<csv name>.json`` (``divergence.csv`` -> ``divergence.csv.json``)::

    {"format": "backprop-oracle campaign 1",
     "campaign": {"graphs": 1000, "inputs": 16, "seed": 0, "max_nodes": 12,
                  "dtype": "float64", "edge": false, "wide": false},
     "shard": "1/1", "finished": true, "rows": 28272, "sha256": "..."}

``finished`` is false from the start of a run until its last row is on disk (an interrupted
or failed run stays false); ``rows`` and ``sha256`` then describe the CSV exactly, so a CSV
cut short or edited afterwards no longer matches. The file holds nothing that varies between
runs (no times, no paths): the same campaign gives the same bytes, and a merge of shards the
same bytes as the unsharded run. The CSV itself stays a plain CSV for pandas and ``read_report``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from oracle.core.case import parse_json, read_text
from oracle.core.compare import DTYPES
from oracle.core.errors import UserError
from oracle.core.options import MAX_SEED
from oracle.core.output import write_atomic

FORMAT = "backprop-oracle campaign 1"
# Limits of the options, so that nothing is built that cannot fit. Graphs are drawn lazily, one
# at a time, so --graphs only bounds the index range; a graph's input sets are judged as one
# batch held in memory (about 16 KB each, see oracle.core.case.BYTES_PER_CASE); graphs stop
# growing with odds 1 in 8 after each gate, so --max-nodes rarely matters beyond ~100.
MAX_GRAPHS = 10**9
MAX_INPUTS = 10**5
MAX_NODES = 10**4


@dataclass(frozen=True)
class Campaign:
    graphs: int = 1000
    inputs: int = 16
    seed: int = 0
    max_nodes: int = 12
    dtype: str = "float64"
    edge: bool = False  # inputs on kinks (ties, zeros) on purpose
    wide: bool = False  # values from each gate's whole safe domain

    @property
    def mode(self) -> str:
        """The value mode of ``oracle.strategies``: "default", "edge" or "wide"."""
        return "wide" if self.wide else "edge" if self.edge else "default"

    def shard(self, k: int, n: int) -> range:
        """Graphs of the k-th of n disjoint slices (1-based), interleaved so slices cost about the same."""
        return range(k - 1, self.graphs, n)

    def describe(self) -> str:
        mode = " --edge" if self.edge else " --wide" if self.wide else ""
        return (
            f"--graphs {self.graphs} --inputs {self.inputs} --seed {self.seed} "
            f"--max-nodes {self.max_nodes} --dtype {self.dtype}{mode}"
        )

    def option(self, name: str) -> str:
        """One option as typed: ``--seed 11``, ``--edge`` or ``(no --edge)``."""
        value = getattr(self, name)
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            return flag if value else f"(no {flag})"
        return f"{flag} {value}"


@dataclass(frozen=True)
class Metadata:
    campaign: Campaign
    shard: tuple[int, int] = (1, 1)
    finished: bool = False
    rows: int = 0
    sha256: str = ""

    def to_json(self) -> str:
        body = {
            "format": FORMAT,
            "campaign": asdict(self.campaign),
            "shard": "{}/{}".format(*self.shard),
            "finished": self.finished,
            "rows": self.rows,
            "sha256": self.sha256,
        }
        return json.dumps(body, indent=2) + "\n"


def metadata_path(csv: str | Path) -> Path:
    csv = Path(csv)
    return csv.with_name(csv.name + ".json")


def write_metadata(csv: str | Path, metadata: Metadata) -> None:
    write_atomic(metadata_path(csv), metadata.to_json())


_LIMITS = {
    "graphs": (1, MAX_GRAPHS),
    "inputs": (1, MAX_INPUTS),
    "seed": (0, MAX_SEED),
    "max_nodes": (1, MAX_NODES),
}


def _whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def read_metadata(csv: str | Path) -> Metadata:
    """The metadata beside ``csv``; a ``UserError`` naming the file and the field when it is not valid."""
    path = metadata_path(csv)
    if not os.path.isfile(csv):
        problem = "not a regular file" if os.path.exists(csv) else "cannot read (no such file)"
        raise UserError(f"{csv}: {problem}")
    if not os.path.exists(path):
        raise UserError(f"{csv}: not a campaign CSV of python -m oracle report (no {path.name} beside it)")
    body = parse_json(read_text(path, 2**20), str(path))

    def bad(what: str) -> UserError:
        return UserError(f"{path}: {what}: not campaign metadata as report writes it")

    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise bad(f"format is not {FORMAT!r}")
    if set(body) != {"format", "campaign", "shard", "finished", "rows", "sha256"}:
        raise bad("unexpected or missing fields")
    options = body["campaign"]
    names = [f.name for f in fields(Campaign)]
    if not isinstance(options, dict) or sorted(options) != sorted(names):
        raise bad(f"'campaign' must hold exactly {', '.join(names)}")
    for name, (low, high) in _LIMITS.items():
        if not _whole(options[name], low, high):
            raise bad(f"campaign {name} {options[name]!r} is not a whole number from {low} to {high}")
    if options["dtype"] not in DTYPES or not isinstance(options["edge"], bool):
        raise bad("campaign dtype or edge")
    if not isinstance(options["wide"], bool) or (options["wide"] and options["edge"]):
        raise bad("campaign wide")
    shard = re.fullmatch(r"(\d{1,9})/(\d{1,9})", str(body["shard"]))
    if not isinstance(body["shard"], str) or not shard or not 1 <= int(shard[1]) <= int(shard[2]):
        raise bad(f"shard {body['shard']!r} is not K/N")
    if not isinstance(body["finished"], bool) or not _whole(body["rows"], 0, 2**63):
        raise bad("finished or rows")
    if not isinstance(body["sha256"], str) or not re.fullmatch(r"([0-9a-f]{64})?", body["sha256"]):
        raise bad("sha256")
    return Metadata(
        Campaign(**options), (int(shard[1]), int(shard[2])), body["finished"], body["rows"], body["sha256"]
    )
