"""Finding the student's code: importing a .py file and the known target names it defines."""

from __future__ import annotations

import importlib.util
import itertools
import re
import shlex
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from oracle.core.errors import UserError
from oracle.course.calls import APPLIES, NOT_IMPLEMENTED, describe_exception
from oracle.course.refs import GATE, Reference, known_names
from oracle.course.targets import REFERENCES
from oracle.course.unfinished import template_reason
from oracle.course.unknown import find_unknown


@dataclass(frozen=True)
class Target:
    """A known name found in student code: the reference, the code, how to replay one seed."""

    ref: Reference
    impl: tuple[Any, ...]  # gate: (class,); layer: (forward, backward); loss: (function,)
    replay: Callable[[int], str]  # seed -> a command that reproduces that seed's checks
    problem: str = ""  # the code is not checkable: a missing half, not a function


_module_numbers = itertools.count()


def load_module(path: str | Path) -> ModuleType:
    """Import a student's .py file under a fresh module name; a ``UserError`` says why it cannot be."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if path.is_dir():
        raise UserError(f"{path}: is a directory, not a .py file")
    if path.suffix != ".py":
        raise UserError(f"{path}: not a .py file")
    stem = re.sub(r"\W", "_", path.stem)
    name = f"_oracle_checked_{next(_module_numbers)}_{stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UserError(f"{path}: cannot import")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)  # its sibling modules import as they would under ``python PATH``
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(name, None)
        same = exc.filename and Path(exc.filename).resolve() == path.resolve()
        if same:
            raise UserError(f"{path}:{exc.lineno}: cannot import: SyntaxError: {exc.msg}") from None
        raise UserError(
            f"{path}: cannot import: SyntaxError: {exc.msg} ({exc.filename}:{exc.lineno})"
        ) from None
    except (Exception, SystemExit) as exc:  # whatever the file does at import
        sys.modules.pop(name, None)
        raise UserError(f"{path}: cannot import: {describe_exception(exc)}") from None
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    return module


def cli_replay(path: str, name: str, dtype: str) -> Callable[[int], str]:
    extra = "" if dtype == "float64" else f" --dtype {dtype}"
    command = f"python -m oracle check {shlex.quote(path)} --target {name}"
    return lambda seed: f"{command} --seed {seed} --seeds 1{extra}"


def find_targets(
    module: ModuleType, names: Sequence[str] | None = None, dtype: str = "float64", path: str = ""
) -> list[Target]:
    """The targets that ``module`` defines (only ``names``, if given): the known ones in the table's
    order, then the pairs and gate classes without a reference (``oracle.course.unknown``).

    ``path`` is the file as the user named it, for the replay commands.
    """
    path = path or getattr(module, "__file__", None) or module.__name__
    targets = []
    for ref in REFERENCES.values():
        if names is not None and ref.name not in names:
            continue
        objects = tuple(getattr(module, n, None) for n in ref.student_names)
        if all(o is None for o in objects):
            continue
        applies = APPLIES.get(ref.name)
        if applies is not None and not _problem(ref, objects) and not applies(objects):
            continue
        problem = _problem(ref, objects) or _unfinished(ref, objects)
        targets.append(Target(ref, objects, cli_replay(path, ref.name, dtype), problem))
    for ref, objects, problem in find_unknown(module, _known):
        if names is None or ref.name in names:
            problem = problem or _unfinished(ref, objects)
            targets.append(Target(ref, objects, cli_replay(path, ref.name, dtype), problem))
    return targets


def _known(name: str) -> bool:
    """Whether ``name`` is a known target's, or one of the names its code defines."""
    return name in REFERENCES or any(name in ref.student_names for ref in REFERENCES.values())


def _unfinished(ref: Reference, objects: Sequence[Any]) -> str:
    for name, obj in zip(ref.student_names, objects, strict=True):
        reason = template_reason(name, obj)
        if reason:
            return f"{NOT_IMPLEMENTED}: {reason}"
    return ""


def select_targets(
    module: ModuleType, names: Sequence[str] | None, dtype: str = "float64", path: str = ""
) -> list[Target]:
    """``find_targets``, but a ``UserError`` for an unknown name or when nothing is found."""
    where = path or getattr(module, "__file__", None) or module.__name__
    found = find_targets(module, names, dtype, path)
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
