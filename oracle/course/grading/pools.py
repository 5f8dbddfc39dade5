"""The tasks of a class check: one submission each, in a judging process or on a Dask cluster.

``check_here`` is the task of the local pool (``--workers``, ``oracle.campaign.workers``).
On a cluster (``check --submissions DIR --cluster ...``) the same check runs in a Dask
worker: the judging (the JAX references, the comparisons) happens there, and the
submission's code in a process forked from a zygote that the Dask worker started
(``oracle.course.isolation.sandbox``), never in the Dask worker's own process, with the
same limits as on one machine. A Dask worker may run several tasks at once (``--nthreads``), so
each of its threads has a zygote of its own. Files travel by absolute path: every worker
must see the submissions at the same path as the checker (a shared file system, or the same
copy on every host).
"""

from __future__ import annotations

import atexit
import dataclasses
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from oracle.core import cluster
from oracle.course.grading.submission import Submission, SubmissionResult, check_submission
from oracle.course.isolation.sandbox import Zygote
from oracle.course.isolation.sessions import Options

_zygotes = threading.local()


def check_here(task: tuple[Submission, Options]) -> SubmissionResult:
    """One submission, checked in this process (isolated by its shared zygote, or not)."""
    return check_submission(*task)


def check_on_worker(task: tuple[Submission, Options]) -> SubmissionResult:
    """One submission, checked on a Dask worker, isolated by this thread's zygote."""
    if not hasattr(_zygotes, "zygote"):
        _zygotes.zygote = Zygote()
        atexit.register(_zygotes.zygote.dispose)
    return check_submission(*task, zygote=_zygotes.zygote)


def absolute(submission: Submission) -> Submission:
    """Its files by absolute path: a Dask worker's working folder is not the checker's."""
    files = tuple(dataclasses.replace(f, path=f.path.absolute()) for f in submission.files)
    return dataclasses.replace(submission, files=files)


def results(client: Any, submissions: Sequence[Submission], options: Options) -> Iterator[SubmissionResult]:
    """Each submission's result, in order, computed on the cluster of ``client``."""
    return cluster.ordered(
        client,
        check_on_worker,
        [(absolute(s), options) for s in submissions],
        window=2 * cluster.width(client) + 2,
        describe=describe,
    )


def describe(task: tuple[Submission, Options]) -> str:
    return f"submission {task[0].name}"
