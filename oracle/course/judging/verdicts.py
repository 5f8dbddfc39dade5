"""A target's records as a person reads them: unfinished code once, kinks in one line, the judge named.

``once_if_unfinished`` turns the rows of a target that is still the assignment's template
(every case says "not implemented") into one row. ``target_summary`` is what ``check``
prints per target: a header with the counts and the judge (JAX, or finite differences of
the student's own forward), the rows that need a look, then one line for the rows that
only differ at kinks (another valid subgradient, or what a course's kink names: not errors)
and one per warning.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from oracle.core.record import KINK, MATCH, STATUSES, UNCHECKED, Record, split_edge
from oracle.core.table import records_table
from oracle.course.calling.calls import FD_KINDS, NOT_IMPLEMENTED
from oracle.course.judging.conventions import CONVENTION


def unfinished(record: Record) -> bool:
    return record.detail.startswith(NOT_IMPLEMENTED)


def once_if_unfinished(records: list[Record]) -> list[Record]:
    """One row instead of one per case when every row says the code is not implemented yet, or
    that the checker cannot call it (``unchecked``: the same reason in every case)."""
    if records and (all(unfinished(r) for r in records) or all(r.status == UNCHECKED for r in records)):
        return records[:1]
    return records


def many(n: int, noun: str) -> str:
    return f"{n} {noun}" + "s" * (n != 1)


def counts(records: Sequence[Record]) -> str:
    counted = Counter(r.status for r in records)
    return ", ".join(f"{counted[s]} {s}" for s in STATUSES if counted[s])


def judge_text(ref: Any) -> str:
    """How the target is judged, for the header: ``JAX relu``, or the finite differences."""
    if ref.kind in FD_KINDS:
        return "judge fd: finite differences of your own forward, which is itself unverified"
    return f"JAX {ref.op}" if ref.op else ""


def target_summary(
    target: Any, records: Sequence[Record], seeds: int, dtype: str, verbose: bool = False
) -> str:
    """The lines ``check`` prints for one target (a ``loading.Target``) and its records."""
    ref = target.ref
    n_cases = 0 if target.problem else len({r.case_id for r in records})
    judge = judge_text(ref)
    kind = ref.kind.removeprefix("fd ")
    lines = [f"{ref.name} ({kind}{', ' + judge if judge else ''}): "]
    if len(records) == 1 and unfinished(records[0]):
        lines[0] += f"{records[0].detail} ({records[0].status})"
        return lines[0]
    lines[0] += f"{many(n_cases, 'case')}, {many(len(records), 'record')}: {counts(records)}"
    kinks = [r for r in records if r.status == KINK]
    shown = list(records) if verbose else [r for r in records if r.status not in (MATCH, KINK)]
    if shown:
        lines.append(records_table(shown, case=True, engine="student"))
    # a kink the judge found between the one-sided slopes is another valid subgradient; a kink a
    # course's Bug(kink=True) named says in its own words why it is none (and why it is no error)
    subgradients = [r for r in kinks if "one-sided slopes" in r.detail]
    if subgradients and not verbose:
        where = ref.kink_text or "a non-differentiable point"
        verb = "differs" if len(subgradients) == 1 else "differ"
        lines.append(
            f"  {many(len(subgradients), 'row')} {verb} from JAX only on {where}, where your value is "
            "another valid subgradient: not errors (-v shows them)"
        )
    named = Counter(split_edge(r.detail)[1] for r in kinks if "one-sided slopes" not in r.detail)
    for text, n in named.items() if not verbose else ():
        lines.append(f"  {many(n, 'row')}, not errors (-v shows them): {text}")
    notes = Counter(part for r in records if r.warning for part in r.warning.split("; "))
    for note, n in notes.items():
        share = f"{n} of {many(len(records), 'row')}"
        if note.startswith(CONVENTION):
            lines.append(f"  {CONVENTION.rstrip(': ')} ({share}): {note.removeprefix(CONVENTION)}")
        else:
            lines.append(f"  warning ({share}, not a failure): {note}")
    return "\n".join(lines)
