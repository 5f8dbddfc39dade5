"""``python -m oracle verify CSV...``: is each CSV, byte for byte, the one its run wrote?

Every command that writes a CSV writes ``<csv>.json`` beside it with the CSV's SHA-256,
computed from the rows it judged in memory: ``report`` and ``merge`` (campaigns), ``check``
of one file, of a class (``class.csv.json``) and ``check --merge``. While a check runs,
the submissions' code runs too, as the same user; a CSV edited then or afterwards (a
``mismatch`` turned into a ``match``) no longer matches its digest, and ``verify`` says
so: exit 0 when every CSV is as written, 2 naming the first that is not (or that has no
digest: a run that did not finish, or no metadata at all).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

from oracle.core.case import parse_json, read_text
from oracle.core.errors import EXIT_CLEAN, UserError
from oracle.core.output import write_atomic

FILE_FORMAT = "backprop-oracle check of a file 1"
KNOWN = ("backprop-oracle campaign 1", "backprop-oracle class check 1", FILE_FORMAT)
MAX_CSV_BYTES = 2**34


def digest_path(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(out.name + ".json")


def write_digest(out: Path, text: str, form: str, body: dict[str, Any]) -> Path:
    """``<out>.json``: ``body``, the CSV's row count and the SHA-256 of ``text`` (the CSV as judged)."""
    digest = hashlib.sha256(text.encode()).hexdigest()
    rows = max(len(text.splitlines()) - 1, 0)
    whole = {"format": form, **body, "finished": True, "rows": rows, "sha256": digest}
    return write_atomic(digest_path(out), json.dumps(whole, indent=2) + "\n")


def verified(path: str) -> str:
    """One line saying ``path`` is as its run wrote it, or ``UserError`` naming it."""
    meta = digest_path(path)
    if not Path(path).is_file():
        raise UserError(f"{path}: not a regular file")
    if not meta.is_file():
        raise UserError(f"{path}: no {meta.name} beside it (not a CSV of python -m oracle)")
    body = parse_json(read_text(meta, 2**20), str(meta))
    if not isinstance(body, dict) or body.get("format") not in KNOWN:
        raise UserError(f"{meta}: not metadata python -m oracle writes")
    sha = body.get("sha256")
    if body.get("finished") is not True or not isinstance(sha, str) or len(sha) != 64:
        raise UserError(f"{path}: its run did not finish (no digest to compare with)")
    data = Path(path).read_bytes() if Path(path).stat().st_size <= MAX_CSV_BYTES else b""
    if hashlib.sha256(data).hexdigest() != sha:
        raise UserError(f"{path}: not the CSV its run wrote (its SHA-256 differs from {meta.name}'s)")
    return f"{path}: as its run wrote it ({body.get('rows')} rows, sha256 {sha[:16]}...)"


def register(subparsers: Any, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="check that CSVs are byte for byte what their runs wrote",
        description="Compare each CSV with the SHA-256 its run wrote beside it (<csv>.json). "
        "Exit 0: every CSV is as written; 2: one is not, or has no digest.",
    )
    parser.add_argument("paths", nargs="+", metavar="CSV", help="CSVs of report, merge or check")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    for path in args.paths:
        print(verified(path))
    return EXIT_CLEAN
