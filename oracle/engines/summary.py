"""An engine check's line beside ``check``'s usual one: how many rows each op (each spelling) got."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from oracle.core.record import Record

SEPARATOR = " ; "  # between the forms of a program in the ``ops`` column


def rows_per_form(records: Sequence[Record]) -> Counter[str]:
    counted: Counter[str] = Counter()
    for record in records:
        for form in set(record.ops.split(SEPARATOR)) if record.ops else ():
            counted[form] += 1
    return counted


def summary(records: Sequence[Record]) -> str:
    counted = rows_per_form(records)
    if not counted:
        return ""
    return "rows per op: " + ", ".join(f"`{form}` {n}" for form, n in sorted(counted.items()))
