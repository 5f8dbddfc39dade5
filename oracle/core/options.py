"""argparse types shared by the commands: each turns text into a value or one line of complaint.

The limits every command shares live here too, so the README can name them in one place.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

# Seeds are stored in the CSV's ``seed`` column (a 64-bit integer), so they must fit one.
MAX_SEED = 2**63 - 1
# 4 GiB: what one case (or one graph's batch of input sets) may be estimated to need beyond
# the ~250 MB of the JAX runtime, unless --max-memory raises it (``oracle.core.case.estimate``).
DEFAULT_MAX_MEMORY = 4 * 2**30

_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
_MEMORY = re.compile(r"^\s*([0-9.eE+]+)\s*([KMGT]?)(I?B)?\s*$", re.IGNORECASE)


def _integral(text: str) -> int | None:
    """``text`` as a whole number: digits, or a whole number in scientific notation (``1e6``)."""
    text = text.strip().replace("_", "")
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or value.adjusted() > 30 or value != value.to_integral_value():
        return None  # 1.5, nan, inf; and 1e31 and up (far past every limit) without building it
    return int(value)


def whole_number(minimum: int, maximum: int = MAX_SEED) -> Callable[[str], int]:
    """An argparse type: a whole number from ``minimum`` to ``maximum`` (``1e6`` counts), or one line."""

    def parse(text: str) -> int:
        value = _integral(text)
        if value is None:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        if value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum:,}, got {text}")
        return value

    return parse


def shard(text: str) -> tuple[int, int]:
    """``K/N``: the K-th of N disjoint slices (1-based)."""
    k, _, n = text.partition("/")
    if not (k.isdigit() and n.isdigit() and len(n) <= 9 and 1 <= int(k) <= int(n)):
        raise argparse.ArgumentTypeError(f"expected K/N with 1 <= K <= N (e.g. 2/4), got {text!r}")
    return int(k), int(n)


def memory_size(text: str) -> int:
    """An argparse type: bytes, as ``4G``, ``512M``, ``1.5GB``, ``2GiB`` or a plain number of bytes."""
    found = _MEMORY.match(text)
    try:
        number = Decimal(found[1]) if found else Decimal("nan")
    except InvalidOperation:
        number = Decimal("nan")
    if not found or not number.is_finite() or number.adjusted() > 20:
        raise argparse.ArgumentTypeError(f"expected a size such as 4G, 512M or 1.5GB, got {text!r}")
    value = int(number * _UNITS[found[2].upper()])
    if value < 2**20:
        raise argparse.ArgumentTypeError(f"must be at least 1M, got {text!r}")
    return value


def size_text(n: float) -> str:
    """Bytes for people: ``7.5 GB``, ``120 MB``."""
    for unit, scale in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{int(n)} bytes"


# Worker processes per core, at most: more only costs memory (each holds a JAX runtime, ~250 MB).
WORKERS_PER_CORE = 4
_SCHEDULER = re.compile(r"tcp://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})")


def cluster_address(text: str) -> str:
    """An argparse type: ``local:N`` (a Dask cluster of N processes here) or a scheduler's ``tcp://HOST:PORT``."""
    if text.startswith("local:"):
        cores = os.cpu_count() or 1
        try:
            n = whole_number(1, WORKERS_PER_CORE * cores)(text[len("local:") :])
        except argparse.ArgumentTypeError as exc:
            raise argparse.ArgumentTypeError(
                f"local:N takes N from 1 to {WORKERS_PER_CORE * cores} ({WORKERS_PER_CORE} per core on "
                f"these {cores} cores; each worker holds its own JAX runtime): {exc}"
            ) from None
        return f"local:{n}"
    found = _SCHEDULER.fullmatch(text)
    if not found or not 1 <= int(found[2]) <= 65535:
        raise argparse.ArgumentTypeError(
            f"expected local:N or a Dask scheduler's tcp://HOST:PORT (e.g. tcp://10.0.0.5:8786), got {text!r}"
        )
    return text
