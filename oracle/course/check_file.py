"""``python -m oracle check FILE``: one file (or notebook) checked, a line per target, one CSV.

The exit code and the printed counts come from the records in memory, never from the file written.
"""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from oracle.core.errors import EXIT_CLEAN, EXIT_DIVERGENCE, UserError
from oracle.core.output import check_writable, write_atomic
from oracle.core.record import STATUSES, Record, to_frame
from oracle.course.grading.submission import SubmissionCheck, make_submission
from oracle.course.isolation.confine import confinement_for, python_paths
from oracle.course.isolation.provenance import PROJECT
from oracle.course.isolation.sessions import Options
from oracle.course.isolation.worker import OWN_PACKAGES
from oracle.course.judging import result_cache
from oracle.course.judging.verdicts import target_summary
from oracle.course.loading import notebooks
from oracle.verify import FILE_FORMAT, digest_path, write_digest


def counts(records: Sequence[Record]) -> str:
    counts = Counter(r.status for r in records)
    return ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])


def many(n: int, noun: str) -> str:
    return f"{n} {noun}" + "s" * (n != 1)


def run_file(path_text: str, options: Options, out_text: str, verbose: bool) -> int:
    path = Path(path_text)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    out = check_writable(out_text)
    check_writable(digest_path(out), f"--out {out}: its metadata")
    confinement = confinement_for(options)
    submission = make_submission(path, path_text, single=True)
    use_cache([submission.root or path])
    check = SubmissionCheck(submission, options)
    found = check.load()
    last = options.seed + options.seeds - 1
    seeds = f"seed {options.seed}" if options.seeds == 1 else f"seeds {options.seed}-{last}"
    print(f"checking {path}: {many(len(found), 'target')}, {seeds}, {options.dtype}, {confinement}")
    for note in notebooks.notes(path):  # a notebook: what was not run, and why
        print(f"note: {note}")
    records: list[Record] = []
    try:
        for result in check.targets():
            records += result.records
            print_target(result.found, result.records, options, verbose)
            if result.note:  # a plugin's line (an engine's rows per op)
                print(f"  {result.note}")
    finally:  # the records computed so far reach the disk, whatever happens
        check.close()
        result_cache.disable()
        text = to_frame(records, target=True).to_csv(index=False)
        write_atomic(out, text)
        write_digest(out, text, FILE_FORMAT, {"options": options_text(options), "confinement": confinement})
    if check.autodiff:
        print(f"note: the file imports {', '.join(check.autodiff)} (autodiff: a course-policy question)")
    summary = f"{many(len(found), 'target')}, {many(len(records), 'record')}: {counts(records)}"
    print(f"{summary}; wrote {out}")
    return EXIT_DIVERGENCE if any(r.failed for r in records) else EXIT_CLEAN  # from memory, never the file


def use_cache(roots: Sequence[Path | str]) -> None:
    """Turn on the on-disk cache of JAX's answers (``oracle.course.judging.result_cache``) unless a
    worker could read its folder: what any worker may read, and the submissions' ``roots``."""
    readable = [*python_paths(), *(os.path.join(PROJECT, p) for p in OWN_PACKAGES), *map(str, roots)]
    where = result_cache.enable(readable)
    if where.startswith("off: "):
        print(f"note: the cache of JAX's answers is {where}")


def options_text(options: Options) -> dict[str, Any]:
    body = dataclasses.asdict(options)
    body["names"] = list(options.names) if options.names is not None else None
    return body


def print_target(found: Any, records: Sequence[Record], options: Options, verbose: bool) -> None:
    """One line per target (how it was judged, its counts), its problems, kinks as one line
    (every record with ``verbose``): ``oracle.course.judging.verdicts``."""
    from oracle.course.registry import reference_for

    ref = reference_for(found.name, found.course) or SimpleNamespace(
        name=found.name, kind=found.kind, op=found.op, kink_text=""
    )
    target = SimpleNamespace(ref=ref, problem=found.problem)
    print(target_summary(target, records, options.seeds, options.dtype, verbose))
