"""A class CSV's metadata (``<csv>.json``): the options and shard that wrote it, its class, its digest."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from oracle.core.case import parse_json, read_text
from oracle.core.errors import UserError
from oracle.course.isolation.sessions import Options

FORMAT = "backprop-oracle class check 1"


def options_json(options: Options) -> dict[str, Any]:
    """What decides a class CSV's bytes (and its shards' compatibility)."""
    body = dataclasses.asdict(options)
    body["names"] = list(options.names) if options.names is not None else None
    return body


def class_json(names: Sequence[str]) -> dict[str, Any]:
    """Which class: how many submissions, and a digest of their names in order."""
    digest = hashlib.sha256("\n".join(names).encode("utf-8", "backslashreplace")).hexdigest()
    return {"submissions": len(names), "submissions_sha256": digest}


@dataclasses.dataclass(frozen=True)
class Metadata:
    options: dict[str, Any]
    shard: tuple[int, int] = (1, 1)
    finished: bool = False
    rows: int = 0
    sha256: str = ""

    def to_json(self) -> str:
        body: dict[str, Any] = {
            "format": FORMAT,
            "options": self.options,
            "shard": "{}/{}".format(*self.shard),
        }
        body |= {"finished": self.finished, "rows": self.rows, "sha256": self.sha256}
        return json.dumps(body, indent=2) + "\n"


def metadata_path(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(out.name + ".json")


def read_metadata(out: str | Path) -> Metadata:
    path = metadata_path(out)
    if not os.path.isfile(out):
        problem = "not a regular file" if os.path.exists(out) else "cannot read (no such file)"
        raise UserError(f"{out}: {problem}")
    if not path.exists():
        raise UserError(f"{out}: not a class CSV of python -m oracle check (no {path.name} beside it)")
    body = parse_json(read_text(path, 2**20), str(path))
    try:
        assert body["format"] == FORMAT and isinstance(body["options"], dict)
        k, n = (int(x) for x in str(body["shard"]).split("/"))
        rows, finished, sha = body["rows"], body["finished"], body["sha256"]
        assert 1 <= k <= n and type(rows) is int and type(finished) is bool and isinstance(sha, str)
    except (AssertionError, KeyError, TypeError, ValueError):
        raise UserError(f"{path}: not class-check metadata as check writes it") from None
    return Metadata(body["options"], (k, n), finished, rows, sha)
