"""Helpers a student's file could not import, as its functions meet them when they run.

``oracle.course.loading.tolerant`` keeps the definitions of a file whose imports fail (a
course's helper module that is not there and has no stand-in: ``testCases``, ``rnn_utils``) and
binds each name such an import would have defined to a ``Missing`` stand-in. A function that
calls one raises ``MissingHelper``; a name a failed ``from X import *`` would have defined is a
``NameError`` in a module that lists X in ``MISSING_KEY``. Either way the checker cannot call
the function, which is not the student's mistake: ``unchecked_reason`` says why, and the
call's status is ``unchecked``. What the file could not import is noted on every row
(``import_note``), once per row, in the warning column.
"""

from __future__ import annotations

import linecache
import re
import sys
from collections.abc import Sequence
from types import TracebackType
from typing import Any

MISSING_KEY = "__oracle_missing__"  # module global: the modules a tolerant import could not import
SKIPPED_KEY = "__oracle_skipped__"  # module global: one line per statement it skipped
STOOD_IN_KEY = "__oracle_stood_in__"  # module global: the course's helper modules stood in for


class MissingHelper(Exception):
    """A name from a module the checked file could not import was used."""

    def __init__(self, module: str, name: str) -> None:
        super().__init__(f"{name} comes from {module}, which could not be imported")
        self.module, self.name = module, name


class Missing:
    """Stands for ``name`` of the module ``module`` that could not be imported: any use raises."""

    def __init__(self, module: str, name: str) -> None:
        object.__setattr__(self, "_where", (module, name))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise MissingHelper(*object.__getattribute__(self, "_where"))

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__") and attribute.endswith("__"):
            # what Python and inspect ask of any object (__wrapped__, __signature__): not a use of it
            raise AttributeError(attribute)
        module, name = object.__getattribute__(self, "_where")
        raise MissingHelper(module, f"{name}.{attribute}")

    def __repr__(self) -> str:
        module, name = object.__getattribute__(self, "_where")
        return f"<{name} from {module}, not imported>"


def unchecked_reason(exc: BaseException) -> str:
    """Why a call that raised ``exc`` cannot be checked: a helper the file could not import; '' otherwise."""
    if isinstance(exc, MissingHelper):
        return f"needs {exc.name} from {exc.module}, which could not be imported (put it beside the file)"
    if isinstance(exc, NameError) and not isinstance(exc, UnboundLocalError):
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        missing = tb.tb_frame.f_globals.get(MISSING_KEY) if tb is not None else None
        starred = [m for m, star in (missing or {}).items() if star]
        name = getattr(exc, "name", None) or ""
        # a helper is called: a name that is not (a misspelled variable) is the student's own mistake
        if starred and name and tb is not None and _called(tb, name):
            return (
                f"needs {name}, which none of its definitions provides; perhaps from "
                f"{', '.join(starred)} (imported with *), which could not be imported"
            )
    return ""


def _called(tb: TracebackType, name: str) -> bool:
    """Whether the line that raised calls ``name``."""
    line = linecache.getline(tb.tb_frame.f_code.co_filename, tb.tb_lineno)
    return re.search(rf"\b{re.escape(name)}\s*\(", line) is not None


def import_note(impl: Sequence[Any]) -> str:
    """What the file of the student's objects was run with: the course's stand-ins for its helper
    modules (``oracle.course.loading.stand_ins``), and what it could not import."""
    for obj in impl:
        namespace = getattr(obj, "__globals__", None)
        if namespace is None:
            module = sys.modules.get(getattr(obj, "__module__", "") or "")
            namespace = vars(module) if module is not None else {}
        if not isinstance(namespace, dict):
            continue
        stood, skipped = namespace.get(STOOD_IN_KEY), namespace.get(SKIPPED_KEY)
        parts = ["with the course's stand-in for " + ", ".join(str(s) for s in stood)] if stood else []
        if skipped:
            parts.append("without " + " and ".join(str(s) for s in skipped[:2]))
        if parts:
            return ("its file was run " + " and ".join(parts)).replace(";", ",")
    return ""
