"""Finding the student's code: importing a .py file, its known targets and those without a reference."""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from oracle.core.errors import UserError
from oracle.course.calling.calls import APPLIES, NOT_IMPLEMENTED
from oracle.course.calling.fd import PROBLEM
from oracle.course.calling.missing import Missing
from oracle.course.loading import importing
from oracle.course.loading.unfinished import template_reason
from oracle.course.loading.unknown import find_unknown
from oracle.course.reference import GATE, Reference
from oracle.course.registry import COURSE_OF, COURSES, REFERENCES, course_of, known_names, recognize

NOT_DUE = "not due yet"  # how a problem starts for a template of a later assignment's target: unchecked


@dataclass(frozen=True)
class Target:
    """A known name found in student code: the reference, the code, how to replay one seed."""

    ref: Reference
    impl: tuple[Any, ...]  # gate: (class,); layer: (forward, backward); loss: (function,)
    replay: Callable[[int], str]  # seed -> a command that reproduces that seed's checks
    problem: str = ""  # the code is not checkable: a missing half, not a function
    course: str = ""  # the course whose target it is


def load_module(path: str | Path) -> ModuleType:
    """Import a student's .py file as its assignment would (``oracle.course.loading.importing``),
    or run what defines things of a notebook (``oracle.course.loading.notebooks``).

    A ``UserError`` of one line says why it cannot be: no such file, not a .py file, a
    syntax error, an exception at import, a module that is not installed.
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if path.is_dir():
        raise UserError(f"{path}: is a directory, not a .py file or a notebook")
    if path.suffix not in (".py", importing.NOTEBOOK):
        raise UserError(f"{path}: not a .py file or a notebook (.ipynb)")
    return importing.load(path)


def cli_replay(path: str, name: str, dtype: str) -> Callable[[int], str]:
    extra = "" if dtype == "float64" else f" --dtype {dtype}"
    command = f"python -m oracle check {shlex.quote(path)} --target {name}"
    return lambda seed: f"{command} --seed {seed} --seeds 1{extra}"


def find_targets(
    module: ModuleType,
    names: Sequence[str] | None = None,
    dtype: str = "float64",
    path: str = "",
    course: str = "",
) -> list[Target]:
    """The targets that ``module`` defines (only ``names``, if given): the known ones in the table's
    order, then the pairs and gate classes without a reference (``oracle.course.loading.unknown``).

    Only the targets of the module's course count (``course``, or the one ``registry.recognize``
    reads off the module), and those a user registered. ``path`` is the file as the user named
    it, for the replay commands.
    """
    path = path or getattr(module, "__file__", None) or module.__name__
    followed = recognize(module, course)
    targets = []
    for ref in REFERENCES.values():
        if names is not None and ref.name not in names:
            continue
        if COURSE_OF.get(ref.name, followed) != followed:
            continue
        # a name a failed import stands in for (``Missing``) is not the file's own code
        objects = tuple(_own(getattr(module, n, None)) for n in ref.student_names)
        if all(o is None for o in objects):
            continue
        applies = APPLIES.get(ref.name)
        if applies is not None and not _problem(ref, objects) and not applies(objects):
            continue
        problem = _problem(ref, objects) or _unfinished(ref, objects)
        if problem.startswith(NOT_IMPLEMENTED):
            problem = _not_due(ref.name, course_of(ref.name, followed), module) or problem
        replay = cli_replay(path, ref.name, dtype)
        targets.append(Target(ref, objects, replay, problem, course_of(ref.name, followed)))
    for ref, objects, problem in find_unknown(module, lambda name: _known(name, followed)):
        if names is None or ref.name in names:
            # the fd judge reports what is wrong, in a row labelled judge=fd
            settings = {**ref.settings[0], PROBLEM: problem or _unfinished(ref, objects)}
            ref = dataclasses.replace(ref, settings=(settings,))
            targets.append(Target(ref, objects, cli_replay(path, ref.name, dtype), course=followed))
    return targets


def _own(obj: Any) -> Any:
    return None if isinstance(obj, Missing) else obj


def _known(name: str, course: str) -> bool:
    """Whether ``name`` is a target of ``course`` (or a user's), or one of the names its code defines."""
    ours = [ref for ref in REFERENCES.values() if COURSE_OF.get(ref.name, course) == course]
    return any(name == ref.name or name in ref.student_names for ref in ours)


def _not_due(name: str, course: str, module: ModuleType) -> str:
    """Why a template of ``name`` is not checked in ``module``'s file: in a folder ``assignment<k>``
    of an assignment before the one its course sets it in (``Course.assignments``); else ''."""
    due = COURSES[course].assignments.get(name) if course in COURSES else None
    folders = [p.lower() for p in Path(getattr(module, "__file__", None) or ".").parent.parts]
    k = next((int(p[10:]) for p in reversed(folders) if p[:10] == "assignment" and p[10:].isdigit()), None)
    if due is None or k is None or k >= due:
        return ""
    return (
        f"{NOT_DUE}: {name} is set in assignment {due}; this file of assignment {k} holds the "
        "course's template of it, shipped ahead"
    )


def _unfinished(ref: Reference, objects: Sequence[Any]) -> str:
    for name, obj in zip(ref.student_names, objects, strict=True):
        reason = template_reason(name, obj)
        if reason:
            return f"{NOT_IMPLEMENTED}: {reason}"
    return ""


def select_targets(
    module: ModuleType,
    names: Sequence[str] | None,
    dtype: str = "float64",
    path: str = "",
    course: str = "",
) -> list[Target]:
    """``find_targets``, but a ``UserError`` for an unknown name or when nothing is found."""
    where = path or getattr(module, "__file__", None) or module.__name__
    found = find_targets(module, names, dtype, path, course)
    for name in names or ():
        if name not in REFERENCES and not any(t.ref.name == name for t in found):
            raise UserError(f"--target {name}: not a known name (known: {', '.join(REFERENCES)})")
    if not found and names:
        wanted = ", ".join("/".join(REFERENCES[n].student_names) for n in names)
        raise UserError(f"{where}: defines no {wanted}")
    if not found:
        raise UserError(f"{where}: no known gate, layer or loss; looked for {known_names()}")
    return found


def _problem(ref: Reference, objects: Sequence[Any]) -> str:
    for name, obj in zip(ref.student_names, objects, strict=True):
        if obj is None:
            other = next(n for n, o in zip(ref.student_names, objects, strict=True) if o is not None)
            return f"{name} is missing ({other} is defined)"
        if not callable(obj):
            what = "a class" if ref.kind == GATE else "a function"
            return f"{name} is a {type(obj).__name__}, not {what}"
    return ""
