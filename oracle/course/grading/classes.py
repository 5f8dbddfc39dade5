"""Checking a whole class: many submissions, one CSV, shards a CI matrix can split and ``--merge`` rejoin.

The class CSV is the course check's CSV (``target`` then the report's columns) after three
more: ``submission`` (its name: a folder or file in ``--submissions DIR``, or the path as
given), ``file`` (which file of the submission) and ``autodiff`` (the autodiff libraries the
submission imported, e.g. ``jax torch``: a course-policy question, noted, never judged).
What a run promises, as campaigns do (``oracle.core.output``):

- submissions are checked in the order of their names and their rows reach the disk one
  submission at a time, whole, in a CSV locked by the run: Ctrl-C, SIGTERM or a full disk
  leave a valid CSV of every submission finished;
- the same options give the same bytes whatever ``--workers``; ``--shard K/N`` takes every
  N-th submission from the K-th;
- ``<csv>.json`` beside the CSV says which options and shard wrote it, whether the run
  finished, and the CSV's row count and SHA-256. ``--merge`` accepts only the finished
  shards 1..N of one set of options, each as its run wrote it, and writes the bytes of
  the unsharded run.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from oracle.campaign.workers import ordered
from oracle.core.case import read_text
from oracle.core.errors import UserError
from oracle.core.output import RowFile, check_writable, write_atomic
from oracle.core.record import COLUMNS, to_frame
from oracle.course.grading import pools
from oracle.course.grading.metadata import Metadata, class_json, metadata_path, options_json, read_metadata
from oracle.course.grading.submission import Submission, SubmissionResult, make_submission
from oracle.course.isolation.sandbox import shared
from oracle.course.isolation.sessions import Options

SOURCES = (".py", ".ipynb")  # a submission that is one file: code or a notebook
SUBMISSION_COLUMNS = ["submission", "file", "autodiff"]
CLASS_COLUMNS = [*SUBMISSION_COLUMNS, "course", "target", *COLUMNS, "location"]
HEADER = ",".join(CLASS_COLUMNS) + "\n"
TEXT_COLUMNS = [
    *SUBMISSION_COLUMNS,
    "course",
    "target",
    "case_id",
    "input",
    "shape",
    "dtype",
    "status",
    "detail",
]
TEXT_COLUMNS += ["worst_index", "ops", "replay", "judge", "warning", "location"]
MAX_SHARD_BYTES = 2**34


def discover(paths: Sequence[str], folder: str | None) -> list[tuple[str, Path]]:
    """(name, path) of every submission, sorted by name: the paths as given, and each entry of ``folder``."""
    found = []
    for text in paths:
        path = Path(text)
        if not path.exists():
            raise UserError(f"{shown_name(text)}: no such file or folder")
        found.append((shown_name(text), path))
    if folder is not None:
        root = Path(folder)
        if not root.is_dir():
            raise UserError(f"--submissions {shown_name(folder)}: not a folder")
        for entry in sorted(root.iterdir()):
            if entry.name.startswith((".", "__")) or not (entry.is_dir() or entry.suffix in SOURCES):
                continue
            if not entry.exists():  # a link to nothing, or a loop of links
                raise UserError(
                    f"--submissions {shown_name(folder)}: {shown_name(entry.name)} is a broken link"
                )
            found.append((shown_name(entry.name), entry))
    if not found:
        raise UserError("no submissions: name .py files or folders, or a folder of them with --submissions")
    names = [name for name, _ in found]
    for name in names:
        if names.count(name) > 1:
            raise UserError(f"two submissions are named {name!r}")
    return sorted(found)


def shown_name(name: str) -> str:
    """A submission's name as a CSV line and a terminal can hold it: what is not printable
    (a newline, a byte that was not UTF-8) written as its escape, so names stay distinct."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in name)


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
    for column in ("detail", "warning", "file", "submission", "input", "replay"):
        frame[column] = frame[column].astype(str).str.replace(r"[\r\n]+", " ", regex=True)
    text: str = frame.to_csv(header=False, index=False, lineterminator="\n")
    return text.encode("utf-8", "backslashreplace").decode("utf-8")  # a path that was not UTF-8


# -------------------------------------------------------------------- run


def results(s: Sequence[Submission], options: Options, workers: int, client: Any = None) -> Iterator[Any]:
    """Each submission's result, in order: here, in ``workers`` processes or on a Dask cluster."""
    if client is not None:
        return pools.results(client, s, options)
    tasks = [(submission, options) for submission in s]
    workers = min(workers, len(tasks))
    if workers <= 1 and options.isolate:
        shared().start()  # it imports the registry while this process gets ready
    return ordered(pools.check_here, tasks, workers, window=2 * workers, describe=pools.describe)


def check_outputs(out: str | Path) -> Path:
    """The class CSV and what comes with it, checked before any work: one line on the first problem."""
    out = check_writable(out)
    for path, what in (
        (metadata_path(out), "its metadata"),
        (out.parent / "class_summary.md", "its summary"),
        (out.parent / "class_grid.png", "its picture"),
    ):
        check_writable(path, f"--out {out}: {what}")
    return out


def run_class(
    entries: Sequence[tuple[str, Path]],
    options: Options,
    out: Path,
    workers: int,
    shard: tuple[int, int],
    everyone: Sequence[str] | None = None,
    confinement: str = "",
    client: Any = None,
) -> Written:
    """Check every submission, its rows appended to ``out`` whole; the CSV's text as judged, and
    when each submission was done (``perf_counter``). ``client``: a Dask client to judge on.

    ``everyone`` names the whole class when ``entries`` is a shard of it: the metadata says
    which class a shard belongs to, so that shards of two classes are never merged. The
    verdict is made from the text kept here, never from the file (``Written``).
    """
    submissions = [make_submission(path, name) for name, path in entries]
    done: list[float] = []
    kept: list[str] = []
    with RowFile(out) as rows:
        settings = options_json(options) | class_json(
            [name for name, _ in entries] if everyone is None else everyone
        )
        settings |= {"confinement": confinement}  # the layers the kernel offered (isolation.confine)
        write_atomic(metadata_path(out), Metadata(settings, shard).to_json())  # not finished, until it is
        rows.append(HEADER)
        kept.append(HEADER)
        count = 0
        interval = 0.5 if os.isatty(2) else 15
        bar = tqdm(total=len(submissions), unit="submission", desc="check", mininterval=interval)
        try:
            for result in results(submissions, options, workers, client):
                kept.append(rows_text(result))
                rows.append(kept[-1])
                count += len(result.rows)
                done.append(time.perf_counter())
                bar.update()
        finally:
            bar.close()
        written = Written("".join(kept), done, confinement)
        written.keep(out)
        write_atomic(metadata_path(out), Metadata(settings, shard, True, count, rows.sha256).to_json())
    return written


@dataclasses.dataclass
class Written:
    """A class CSV as this run judged and wrote it, kept in memory: what its verdict is made of.

    The file on disk is within reach of anything running as the same user while the run
    lasts (a submission, when confinement is off or incomplete). ``keep`` compares it with
    the text judged, and writes the judged text again if they differ (``rewritten``).
    """

    text: str
    done: list[float] = dataclasses.field(default_factory=list)
    confinement: str = ""
    rewritten: bool = False

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    def keep(self, out: Path) -> None:
        try:
            on_disk = hashlib.sha256(out.read_bytes()).hexdigest()
        except OSError:
            on_disk = ""
        if on_disk != self.sha256:
            write_atomic(out, self.text)
            self.rewritten = True

    def frame(self) -> pd.DataFrame:
        return read_class(io.StringIO(self.text))


def read_class(path: str | Path | io.StringIO) -> pd.DataFrame:
    """A class CSV as written: text columns stay text (empty is ""), empty numbers are NaN."""
    numbers = [c for c in CLASS_COLUMNS if c not in TEXT_COLUMNS]
    return pd.read_csv(
        path,
        dtype={c: str for c in TEXT_COLUMNS},
        keep_default_na=False,
        na_values={c: [""] for c in numbers},
    )


# ------------------------------------------------------------------ merge


def merge(paths: Sequence[str], out: Path) -> Written:
    """The shards' rows in submission order, as the unsharded run writes them (and as judged: ``Written``).

    Only the finished shards 1..N of one set of options are merged, each as its run wrote it
    (its rows and SHA-256 as its metadata says); anything else is one line naming the file.
    """
    shards: dict[int, tuple[str, Metadata]] = {}
    rows: dict[str, list[str]] = {}
    owner: dict[str, str] = {}
    for path in paths:
        metadata = read_metadata(path)
        if not metadata.finished:
            raise UserError(f"{path}: its run did not finish (interrupted or failed): run it again")
        text = read_text(path, MAX_SHARD_BYTES)
        if hashlib.sha256(text.encode()).hexdigest() != metadata.sha256:
            raise UserError(f"{path}: not the CSV its run wrote (its SHA-256 differs from its metadata's)")
        lines = text.splitlines(keepends=True)
        if not lines or lines[0] != HEADER:
            raise UserError(f"{path}:1: not a class CSV (its header is not check's for many submissions)")
        if len(lines) - 1 != metadata.rows:
            raise UserError(f"{path}: {len(lines) - 1} rows, its metadata says {metadata.rows}")
        first = next(iter(shards.values()), None)
        if first is not None and (metadata.options, metadata.shard[1]) != (
            first[1].options,
            first[1].shard[1],
        ):
            raise UserError(
                f"{path}: a shard of another check than {first[0]} "
                "(other options, another class of submissions or --shard N)"
            )
        k = metadata.shard[0]
        if k in shards:
            raise UserError(f"{path}: shard {k}/{metadata.shard[1]} again (also {shards[k][0]})")
        shards[k] = (path, metadata)
        for number, line in enumerate(lines[1:], 2):
            fields = next(csv.reader([line]))
            if len(fields) != len(CLASS_COLUMNS):
                raise UserError(f"{path}:{number}: a row of {len(fields)} fields, not {len(CLASS_COLUMNS)}")
            name = fields[0]
            if owner.setdefault(name, path) != path:
                raise UserError(f"{path}: submission {name!r} is also in {owner[name]}: the shards overlap")
            rows.setdefault(name, []).append(line)
    n = next(iter(shards.values()))[1].shard[1]
    missing = sorted(set(range(1, n + 1)) - set(shards))
    if missing:
        raise UserError(f"--merge: shard {missing[0]}/{n} is missing")
    options = next(iter(shards.values()))[1].options
    text = HEADER + "".join("".join(rows[name]) for name in sorted(rows))
    with RowFile(out) as merged:
        write_atomic(metadata_path(out), Metadata(options).to_json())
        merged.append(text)
        count = sum(map(len, rows.values()))
        written = Written(text, confinement=str(options.get("confinement", "")))
        written.keep(out)
        write_atomic(metadata_path(out), Metadata(options, (1, 1), True, count, merged.sha256).to_json())
    return written
