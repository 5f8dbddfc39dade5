"""Checking one submission: its files imported where its code runs, each known target judged here.

A *submission* is a .py file or a folder laid out as the course's assignments are
(``cs231n/layers.py``, ``cs231n/classifiers/fc_net.py``...). ``check_submission`` imports
its files in a session (``oracle.course.isolation.sessions``: a worker process of its own, or this
process), finds the known targets each file defines and judges every case of every
target (``oracle.course.judging.judge``): the student's code runs in the session, the JAX
reference and the comparison here. A target that hangs past the time limit, or during
which the worker dies, gets one ``timeout`` or ``error`` row, and the check goes on.

A folder's files are the .py files whose text names a known target (``def affine_forward``...);
a target that a file only imports from another file of the submission (``from .layers
import *``) is checked in the file that defines it.
"""

from __future__ import annotations

import hashlib
import re
import shlex
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from oracle.core.errors import UserError
from oracle.core.record import ERROR, Record
from oracle.course import check_target, plugins
from oracle.course.calling.calls import FD_KINDS
from oracle.course.isolation.isolated import Isolated
from oracle.course.isolation.sandbox import Zygote
from oracle.course.isolation.sessions import Found, InProcess, LoadFailed, Options, Stopped
from oracle.course.isolation.specs import stand_in_reference
from oracle.course.judging.cases import CourseCase, cases_for
from oracle.course.judging.fd_judge import judge_fd_target
from oracle.course.judging.judge import Judgement
from oracle.course.judging.verdicts import once_if_unfinished
from oracle.course.loading import notebooks
from oracle.course.loading.finding import Target, cli_replay
from oracle.course.loading.importing import reading_roots
from oracle.course.registry import REFERENCES, reference_for

SKIPPED = re.compile(r"^(setup|conftest|__init__|__main__|test_.*|.*_test)\.py$")


@dataclass(frozen=True)
class File:
    path: Path
    shown: str  # as the user would type it: in messages and replay commands
    name: str  # relative to the submission's folder: the class CSV's ``file`` column


@dataclass(frozen=True)
class Submission:
    """One student's work: its name in the class CSV and its files."""

    name: str
    files: tuple[File, ...]
    single: bool = False  # one .py file named by the user: import problems are the user's (exit 2)
    root: Path | None = None  # what its confined worker may read of the disk (make_submission)


@dataclass
class TargetResult:
    found: Found
    file: File
    records: list[Record]
    note: str = ""  # a plugin target's summary line (an engine's rows per op)


@dataclass
class SubmissionResult:
    name: str
    rows: list[tuple[str, Record]] = field(default_factory=list)  # (File.name, record), in order
    autodiff: list[str] = field(default_factory=list)


class SubmissionCheck:
    """One submission: ``load`` its files, then ``targets()`` yields each target's records as it is done."""

    def __init__(self, submission: Submission, options: Options, zygote: Zygote | None = None) -> None:
        self.submission, self.options = submission, options
        self.session = Isolated(options, zygote, submission.root) if options.isolate else InProcess(options)
        self.found: list[Found] = []
        self.problems: list[tuple[File, str, str]] = []  # files that failed to import: status, detail
        self.plugged: dict[tuple[int, str], plugins.PluginTarget] = {}  # targets checked by a plugin

    def load(self) -> list[Found]:
        """Import every file; a single file's import problem is the user's (``UserError``), else a row."""
        loaded: dict[str, int] = {}
        found: list[Found] = []
        for index, file in enumerate(self.submission.files):
            extra = plugins.find(file.path, file.shown, self.options, index)  # engines...: plugins' own
            self.plugged.update({(t.found.file, t.found.name): t for t in extra})
            found += [t.found for t in extra]
            try:
                found += self.session.load(index, file.path, file.shown, self.submission.single and not extra)
            except LoadFailed as failed:
                if self.submission.single:
                    self.close()
                    raise UserError(failed.detail) from None
                self.problems.append((file, failed.status, failed.detail))
                continue
            loaded[str(file.path.resolve())] = index
        covered = {(t.found.file, name) for t in self.plugged.values() for name in t.covers}
        found = [f for f in found if (f.file, f.name) not in covered or (f.file, f.name) in self.plugged]
        self.found = [f for f in found if not _defined_elsewhere(f, loaded)]
        return self.found

    def targets(self) -> Iterator[TargetResult]:
        for found in self.found:
            file = self.submission.files[found.file]
            plugged = self.plugged.get((found.file, found.name))
            if plugged is not None:
                records = plugged.run()
                note = plugged.summary(records)
            else:
                records, note = self._check(found, file.shown), ""
            where = notebooks.locate(file.path, _student_names(found))  # '' for a .py file
            for record in records:
                record.course = found.course
                record.location = where
            yield TargetResult(found, file, records, note)

    def _check(self, found: Found, shown: str) -> list[Record]:
        """The records of one target, as ``judging.judge.judge_target`` makes them; a stop is a row."""
        o = self.options
        replay = cli_replay(shown, found.name, o.dtype)
        seeds = range(o.seed, o.seed + o.seeds)
        ref = reference_for(found.name, found.course)
        if ref is None and found.kind in FD_KINDS and found.spec is not None:
            try:  # a pair without a reference, found in the file: as its worker describes it
                ref = stand_in_reference(found.spec)
            except (ValueError, TypeError, KeyError) as exc:
                detail = f"the worker's description of {found.name} is unusable: {exc}"[:300]
                row = _row(ERROR, detail, replay(o.seed), o)
                row.target, row.ops = found.name, found.name
                return [row]
        if ref is None:  # the file registered it: only its process has the reference
            try:
                return self.session.judge_self(found.file, found.name, replay)
            except Stopped as stop:
                return [_stopped(found.name, o, stop, replay, None)]
        if found.problem:
            return check_target(Target(ref, (), replay, found.problem), o.seed, o.seeds, o.dtype)
        runner = self.session.runner(found.file, found.name, found.name)
        if ref.kind in FD_KINDS:  # finite differences of the student's own forward, computed here
            try:
                return judge_fd_target(ref, (), seeds, o.dtype, replay, runner)
            except Stopped as stop:
                return [_stopped(found.name, o, stop, replay, None)]
        records: list[Record] = []
        for case in cases_for(
            ref, seeds, o.dtype
        ):  # judge_target's loop, case by case: a stop keeps the rest
            try:
                records += Judgement(case, (), replay(case.seed), runner).records()
            except Stopped as stop:
                records.append(_stopped(found.name, o, stop, replay, case))
                break
        return once_if_unfinished(records)

    def import_rows(self) -> list[tuple[str, Record]]:
        """One row per file that could not be imported, and one if nothing was found at all."""
        rows = []
        for file, status, detail in self.problems:
            replay = f"python -m oracle check {shlex.quote(file.shown)}"
            rows.append((file.name, _row(status, detail, replay, self.options)))
        if not self.found and not self.problems:
            detail = "no known gate, layer or loss in the submission"
            if self.options.names:
                detail += f" (looked for {', '.join(self.options.names)})"
            rows.append(("", _row(ERROR, detail, "", self.options)))
        return rows

    @property
    def autodiff(self) -> list[str]:
        return list(self.session.autodiff)

    def close(self) -> None:
        self.session.close()


def check_submission(
    submission: Submission, options: Options, zygote: Zygote | None = None
) -> SubmissionResult:
    """Every record of one submission, as rows of the class CSV: import problems first."""
    check = SubmissionCheck(submission, options, zygote)
    rows: list[tuple[str, Record]] = []
    try:
        check.load()
        for target in check.targets():
            rows += [(target.file.name, r) for r in target.records]
    finally:
        check.close()
    return SubmissionResult(submission.name, check.import_rows() + rows, check.autodiff)


def _student_names(found: Found) -> tuple[str, ...]:
    """The names the student's code defines for a target: its reference's, or what its worker said."""
    ref = REFERENCES.get(found.name)
    if ref is not None:
        return ref.student_names
    names = (found.spec or {}).get("names")
    return tuple(str(n) for n in names) if isinstance(names, list) else (found.name,)


def _defined_elsewhere(found: Found, loaded: dict[str, int]) -> bool:
    """Whether every object of the target is defined in another file of the submission (checked there)."""
    owners = {loaded.get(d) for d in found.defined_in}
    return bool(found.defined_in) and None not in owners and found.file not in owners


def _stopped(
    name: str, o: Options, stop: Stopped, replay: Callable[[int], str], case: CourseCase | None
) -> Record:
    if case is not None:
        key, seed = case.case_id, case.seed
    else:
        key, seed = hashlib.sha256(f"{name}|{stop.detail}".encode()).hexdigest()[:12], o.seed
    record = Record(key, "", "", o.dtype, stop.status, stop.detail, ops=name, n_nodes=1, seed=seed)
    record.replay, record.target = replay(seed), name
    return record


def _row(status: str, detail: str, replay: str, o: Options) -> Record:
    key = hashlib.sha256(detail.encode()).hexdigest()[:12]
    return Record(key, "", "", o.dtype, status, detail, n_nodes=1, replay=replay)


# ------------------------------------------------------------- submissions


def known_words() -> set[str]:
    """The names a file must mention to be imported: every known target's, as the student writes them."""
    return {n for ref in REFERENCES.values() for n in ref.student_names}


MAX_SOURCE = 4 << 20  # bytes of a .py file the judge reads to see whether it names a target


def submission_files(folder: Path) -> list[Path]:
    """The .py files of a folder that name a known target, in sorted order (hidden folders skipped)."""
    words = known_words()
    files = []
    for path in sorted([*folder.rglob("*.py"), *folder.rglob("*.ipynb")]):
        parts = path.relative_to(folder).parts
        if any(p.startswith((".", "__pycache__")) for p in parts) or SKIPPED.match(path.name):
            continue
        try:
            status = path.stat()
            if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_SOURCE:
                files.append(path)  # not read here (a device, a pipe, a huge file): its import, in the
                continue  # worker and within its limits, says what it is
            source = path.read_text(errors="replace")
        except OSError:
            continue
        if path.suffix == ".ipynb":  # JSON: a line break inside a cell's source is written \n
            source = re.sub(r"\\[nrt]", " ", source)
        if words & set(re.findall(r"\w+", source)) or plugins.claims(source):
            files.append(path)
    return files


def make_submission(path: Path, name: str, *, single: bool = False) -> Submission:
    """A file, or a folder of the course's layout, as one submission named ``name``."""
    if path.is_dir() and not single:
        files = tuple(File(p, str(p), p.relative_to(path).as_posix()) for p in submission_files(path))
        return Submission(name, files, root=path)
    # one file named alone may import its siblings and the folders above it that hold what it
    # imports (its assignment folder); one file of a class is all its worker reads: its siblings
    # are classmates
    if single:
        root = min(reading_roots(path), key=lambda folder: len(folder.parts))  # each is above the file
        return Submission(name, (File(path, str(path), path.name),), single, root=root)
    return Submission(name, (File(path, str(path), path.name),), single, root=path)
