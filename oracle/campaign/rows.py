"""The campaign CSV's format: its columns, one graph's rows, and reading the file back.

``report`` writes it, ``merge`` checks and joins it, ``summary`` reads it: each imports the
format from here, so none of them imports another for it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from oracle.core.record import COLUMNS, Record, to_frame

LOCATION = ["graph", "input_set"]  # where a row sits in its campaign: the CSV's first two columns
CSV_COLUMNS = LOCATION + COLUMNS
HEADER = ",".join(CSV_COLUMNS) + "\n"

# The record's text fields (``judge``, ``warning`` and whatever is added later included).
TEXT_COLUMNS = [f.name for f in dataclasses.fields(Record) if f.type == "str" and f.name in COLUMNS]


def rows_frame(index: int, records: list[list[Record]]) -> pd.DataFrame:
    """The CSV rows of one graph: its records, located by graph and input set."""
    frame = to_frame([r for case_records in records for r in case_records])
    frame.insert(0, "input_set", [j for j, case_records in enumerate(records) for _ in case_records])
    frame.insert(0, "graph", index)
    return frame


def read_report(path: str | Path) -> pd.DataFrame:
    """A campaign CSV as written: text columns stay text (empty is ""), empty numbers are NaN."""
    return pd.read_csv(path, **_READ)


def read_report_chunks(path: str | Path, rows: int) -> Iterator[pd.DataFrame]:
    """The same, ``rows`` rows at a time."""
    with pd.read_csv(path, chunksize=rows, **_READ) as chunks:
        yield from chunks


_READ: dict[str, Any] = {
    "dtype": {c: str for c in TEXT_COLUMNS},
    "keep_default_na": False,
    "na_values": {c: [""] for c in CSV_COLUMNS if c not in TEXT_COLUMNS},
}
