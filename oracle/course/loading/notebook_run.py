"""Running what a notebook's selection chose (``oracle.course.loading.notebooks``), one statement at a time.

Each cell compiles as a file of its own, ``NOTEBOOK.ipynb#cellN``, so a traceback (and a row's
detail) says the cell and the line, and ``inspect.getsource`` finds a function's text (the
unfinished-template check reads it) in ``linecache``. A statement that fails leaves its names
bound to an ``Unavailable`` that raises, when used, an error naming the cell; so does a name
that only a statement that did not run sets. An import of a module that is not there (a
course's helper module the folder lacks and the course has no stand-in for: ``testCases``,
``rnn_utils``) binds each name it
would have defined to a ``Missing`` instead, as a ``.py`` file's tolerant import does
(``oracle.course.loading.tolerant``): a function that needs it is ``unchecked``, naming the
module, and every row of the notebook notes what it ran without.
"""

from __future__ import annotations

import ast
import linecache
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from oracle.course.calling.missing import MISSING_KEY, SKIPPED_KEY
from oracle.course.loading.notebooks import Cell, Location, Selection, bound_names, select
from oracle.course.loading.tolerant import import_each, without


def cell_file(path: Path, cell: Cell) -> str:
    """The file name a cell's code has: tracebacks say ``layers.ipynb#cell12:7`` (cell 12, line 7)."""
    return f"{path.resolve()}#cell{cell.index}"


def statements(selection: Selection) -> Iterator[tuple[Location, ast.stmt, str, Any]]:
    """Each statement that runs, compiled as its cell's file: (where, the statement, the file, its code)."""
    for cell, node in selection.statements:
        where = Location(cell.index, cell.count, node.lineno)
        module = ast.Module(body=[node], type_ignores=[])
        file = cell_file(selection.path, cell)
        yield where, node, file, compile(module, file, "exec")


class Unavailable:
    """What a name is bound to when the statement that defines it failed, or was not run."""

    def __init__(self, name: str, why: str) -> None:
        object.__setattr__(self, "_why", f"{name}: {why}")

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(object.__getattribute__(self, "_why"))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        self._fail()

    __call__ = __getitem__ = __array__ = __bool__ = __len__ = __iter__ = __float__ = __int__ = _fail
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _fail
    __matmul__ = __rmatmul__ = __pow__ = __neg__ = __gt__ = __lt__ = __ge__ = __le__ = _fail


def execute(selection: Selection, namespace: dict[str, Any], holds_module: Any, hint: Any = None) -> None:
    """Run the selected statements in ``namespace``, one at a time, in document order.

    ``holds_module(name)`` says whether a folder near the notebook holds a module it failed
    to import: then the ``ModuleNotFoundError`` propagates, for the importer to put that
    folder on the path and try again. An import that fails otherwise binds what it would have
    defined to ``Missing`` stand-ins, ``hint(module)`` saying what provides a module; any other
    failure binds the statement's names to an ``Unavailable`` naming the cell and the error.
    """
    for cell in selection.cells:  # what ``inspect.getsource`` reads (the unfinished-template check)
        name = cell_file(selection.path, cell)
        linecache.cache[name] = (len(cell.source), None, cell.source.splitlines(True), name)
    for name, where in selection.dropped_names.items():
        why = f"set by {where}, a statement the check does not run: pass it as an argument"
        namespace[name] = Unavailable(name, why)
    missing: dict[str, bool] = {}  # module -> imported with *
    for where, node, file, compiled in statements(selection):
        try:
            exec(compiled, namespace)
        except ImportError as exc:
            if isinstance(exc, ModuleNotFoundError) and exc.name and holds_module(exc.name):
                raise
            if isinstance(node, ast.Import | ast.ImportFrom):
                import_each(node, file, namespace, missing)
            else:
                _unavailable(
                    namespace, bound_names(node), where, exc, " (the notebook's folder does not hold it)"
                )
        except (Exception, SystemExit) as exc:  # whatever a cell does
            _unavailable(namespace, bound_names(node), where, exc, "")
    namespace[MISSING_KEY] = missing
    namespace[SKIPPED_KEY] = (
        [without(missing, hint or (lambda m: f"{m} is not beside the notebook"))] if missing else []
    )


def _unavailable(
    namespace: dict[str, Any], names: list[str], where: Location, exc: BaseException, also: str
) -> None:
    why = f"{where} failed: {type(exc).__name__}: {str(exc)[:200]}{also}"
    for name in names:
        namespace[name] = Unavailable(name, why)


def module_from(file: Path, name: str, holds_module: Any, hint: Any = None) -> ModuleType:
    """The notebook at ``file`` as a module named ``name`` (in ``sys.modules`` while it runs, and after)."""
    selection = select(file)
    module = ModuleType(name)
    module.__file__ = str(file)
    module.__notebook__ = selection  # type: ignore[attr-defined]
    sys.modules[name] = module
    try:
        execute(selection, module.__dict__, holds_module, hint)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module
