"""A file whose import fails, run statement by statement: its definitions are kept, what fails is skipped.

Course code exported from notebooks calls the course's tests at module level
(``linear_backward_test(linear_backward)``) and imports the course's helper modules
(``testCases``, ``public_tests``, ``rnn_utils``), which are often not beside the file (a
course's stand-in serves those it declares one for: ``oracle.course.loading.stand_ins``). When
such a file cannot be imported whole, ``load`` runs its top-level statements one by one in a
fresh module: a statement that raises is skipped; an import that fails binds each name it
would have defined to a ``Missing`` stand-in (``oracle.course.calling.missing``), so a
function that needs it is ``unchecked`` when called, naming the module, and the rest of the
file is still checked. The module records what it ran without (``SKIPPED_KEY``), which every
row of the file notes. A file that does not parse (Python 2) is not run at all.
"""

from __future__ import annotations

import ast
import sys
import tokenize
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from oracle.course.calling.calls import describe_exception
from oracle.course.calling.missing import MISSING_KEY, SKIPPED_KEY, Missing

DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def defines_something(file: Path) -> bool:
    """Whether the file parses and defines a function or a class at its top level."""
    try:
        tree = _parse(file)
    except (SyntaxError, ValueError, OSError):
        return False
    return any(isinstance(node, DEFINITIONS) for node in tree.body)


def _parse(file: Path) -> ast.Module:
    with tokenize.open(file) as handle:  # honours a coding line, like the import system
        return ast.parse(handle.read(), filename=str(file))


def load(file: Path, name: str, hint: Callable[[str], str]) -> ModuleType:
    """The module of ``file`` run statement by statement; ``hint(module)`` names what provides a module."""
    tree = _parse(file)
    module = ModuleType(name)
    module.__file__ = str(file)
    sys.modules[name] = module
    namespace = vars(module)
    missing: dict[str, bool] = {}  # module -> imported with *
    raised: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            import_each(node, str(file), namespace, missing)
            continue
        try:
            exec(compile(ast.Module([node], []), str(file), "exec"), namespace)
        except (Exception, SystemExit) as exc:  # a statement of the student's file may raise anything
            raised.append(f"line {node.lineno}: {describe_exception(exc)}")
    skipped = [without(missing, hint)] if missing else []
    if raised:
        count = f"{len(raised)} module-level statement" + "s" * (len(raised) > 1)
        skipped.append(f"{count} that raised, the first at {raised[0]}")
    namespace[MISSING_KEY] = missing
    namespace[SKIPPED_KEY] = skipped
    return module


def without(missing: dict[str, bool], hint: Callable[[str], str]) -> str:
    """``dnn_utils, testCases (dnn_utils.py is not beside the file, ...)``: what a file ran without."""
    return ", ".join(missing) + " (" + ", ".join(sorted({hint(m) for m in missing})) + ")"


def import_each(
    node: ast.Import | ast.ImportFrom, file: str, namespace: dict, missing: dict[str, bool]
) -> None:
    """Each name of the import on its own: one that cannot be imported is bound to a ``Missing``.

    ``file`` is the name its code compiles under; ``missing`` gets each module that failed
    (True when imported with ``*``).
    """
    if isinstance(node, ast.Import):
        parts: list[ast.stmt] = [ast.Import([alias]) for alias in node.names]
    else:
        parts = [ast.ImportFrom(node.module, [alias], node.level) for alias in node.names]
    for part, alias in zip(parts, node.names, strict=True):
        ast.copy_location(part, node)
        try:
            exec(compile(ast.Module([part], []), file, "exec"), namespace)
        except (Exception, SystemExit):  # an installed module may fail at import too
            source = alias.name if isinstance(node, ast.Import) else "." * node.level + (node.module or "")
            star = alias.name == "*"
            missing[source] = missing.get(source, False) or star
            if not star:
                bound = alias.asname or (
                    alias.name.split(".")[0] if isinstance(node, ast.Import) else alias.name
                )
                namespace[bound] = Missing(source, alias.name)
