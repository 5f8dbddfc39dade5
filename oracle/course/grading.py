"""Checking a whole class: many submissions, one CSV, shards a CI matrix can split and ``--merge`` rejoin.

The class CSV is the course check's CSV (``target`` then the report's columns) after three
more: ``submission`` (its name: a folder or file in ``--submissions DIR``, or the path as
given), ``file`` (which file of the submission) and ``autodiff`` (the autodiff libraries the
submission imported, e.g. ``jax torch``: a course-policy question, noted, never judged).
Submissions are checked in the order of their names and their rows reach the disk one
submission at a time, whole (an interrupt waits for the write): Ctrl-C leaves a valid CSV
of every submission finished. The same options give the same bytes whatever ``--workers``;
``--shard K/N`` takes every N-th submission from the K-th, and merging the N shards'
CSVs gives the bytes of the unsharded run.
"""

from __future__ import annotations

import contextlib
import csv
import multiprocessing
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from oracle.core.errors import UserError
from oracle.core.record import COLUMNS, to_frame
from oracle.course.sandbox import shared
from oracle.course.sessions import Options
from oracle.course.submission import Submission, SubmissionResult, check_submission, make_submission

SUBMISSION_COLUMNS = ["submission", "file", "autodiff"]
CLASS_COLUMNS = [*SUBMISSION_COLUMNS, "target", *COLUMNS]
TEXT_COLUMNS = [*SUBMISSION_COLUMNS, "target", "case_id", "input", "shape", "dtype", "status", "detail"]
TEXT_COLUMNS += ["worst_index", "ops", "replay", "judge", "warning"]


def discover(paths: Sequence[str], folder: str | None) -> list[tuple[str, Path]]:
    """(name, path) of every submission, sorted by name: the paths as given, and each entry of ``folder``."""
    found = []
    for text in paths:
        path = Path(text)
        if not path.exists():
            raise UserError(f"{text}: no such file or folder")
        found.append((text, path))
    if folder is not None:
        root = Path(folder)
        if not root.is_dir():
            raise UserError(f"--submissions {folder}: not a folder")
        for entry in sorted(root.iterdir()):
            if entry.name.startswith((".", "__")) or not (entry.is_dir() or entry.suffix == ".py"):
                continue
            found.append((entry.name, entry))
    if not found:
        raise UserError("no submissions: name .py files or folders, or a folder of them with --submissions")
    names = [name for name, _ in found]
    for name in names:
        if names.count(name) > 1:
            raise UserError(f"two submissions are named {name!r}")
    return sorted(found)


def shard_of(entries: Sequence[Any], shard: tuple[int, int]) -> list[Any]:
    """The K-th of N disjoint, interleaved slices (1-based): every N-th entry from the K-th."""
    k, n = shard
    return list(entries[k - 1 :: n])


def rows_text(result: SubmissionResult) -> str:
    """One submission's rows of the class CSV: one line per row, whatever the student's text held."""
    frame = to_frame([record for _, record in result.rows], target=True)
    frame.insert(0, "autodiff", " ".join(result.autodiff))
    frame.insert(0, "file", [file for file, _ in result.rows])
    frame.insert(0, "submission", result.name)
    for column in ("detail", "warning", "file", "submission", "input"):
        frame[column] = frame[column].astype(str).str.replace(r"[\r\n]+", " ", regex=True)
    text: str = frame.to_csv(header=False, index=False, lineterminator="\n")
    return text


@contextlib.contextmanager
def whole_rows() -> Iterator[None]:
    """Ctrl-C waits until the block is done, so the CSV always ends with a whole row."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: caught.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def _check(task: tuple[Submission, Options]) -> SubmissionResult:
    return check_submission(*task)


def _start_judge() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    shared().wait_ready()  # before the first submission: a start-up does not eat into its time


def _results(submissions: Sequence[Submission], options: Options, workers: int) -> Iterator[SubmissionResult]:
    tasks = [(s, options) for s in submissions]
    if workers == 1 or len(tasks) <= 1:
        if options.isolate:
            shared().wait_ready()
        yield from map(_check, tasks)
        return
    context = multiprocessing.get_context("spawn")  # jax is not fork-safe
    initializer = _start_judge if options.isolate else None
    with context.Pool(min(workers, len(tasks)), initializer=initializer) as pool:
        yield from pool.imap(_check, tasks)
        pool.close()  # the judging processes exit on their own, and close their zygotes (at exit)
        pool.join()


def run_class(entries: Sequence[tuple[str, Path]], options: Options, out: Path, workers: int) -> list[float]:
    """Check every submission, appending its rows to ``out``; when each was done (``time.perf_counter``)."""
    submissions = [make_submission(path, name) for name, path in entries]
    done: list[float] = []
    with out.open("w", newline="") as handle:
        handle.write(",".join(CLASS_COLUMNS) + "\n")
        interval = 0.5 if sys.stderr.isatty() else 15
        bar = tqdm(
            total=len(submissions), unit="submission", file=sys.stderr, desc="check", mininterval=interval
        )
        try:
            for result in _results(submissions, options, workers):
                text = rows_text(result)
                with whole_rows():
                    handle.write(text)
                    handle.flush()
                done.append(time.perf_counter())
                bar.update()
        finally:
            bar.close()
    return done


def read_class(path: str | Path) -> pd.DataFrame:
    """A class CSV as written: text columns stay text (empty is ""), empty numbers are NaN."""
    numbers = [c for c in CLASS_COLUMNS if c not in TEXT_COLUMNS]
    return pd.read_csv(
        path,
        dtype={c: str for c in TEXT_COLUMNS},
        keep_default_na=False,
        na_values={c: [""] for c in numbers},
    )


def merge(paths: Sequence[str], out: Path) -> int:
    """The shards' rows in submission order, as the unsharded run writes them; returns the row count."""
    header = ",".join(CLASS_COLUMNS) + "\n"
    rows: dict[str, list[str]] = {}
    owner: dict[str, str] = {}
    for path in paths:
        try:
            lines = Path(path).read_text().splitlines(keepends=True)
        except OSError as exc:
            raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from None
        if not lines or lines[0] != header:
            raise UserError(f"{path}: not a class CSV (its header is not check's for many submissions)")
        mine: dict[str, list[str]] = {}
        for line in lines[1:]:
            name = next(csv.reader([line]))[0]
            mine.setdefault(name, []).append(line)
        for name in mine:
            if name in owner:
                raise UserError(f"{path}: submission {name!r} is also in {owner[name]}: the shards overlap")
            owner[name] = path
        rows.update(mine)
    with out.open("w", newline="") as handle:
        handle.write(header)
        for name in sorted(rows):
            handle.writelines(rows[name])
    return sum(map(len, rows.values()))
