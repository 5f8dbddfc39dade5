"""Reading a student's notebook: what defines things runs, nothing else does.

A notebook (nbformat 4, at most ``MAX_NOTEBOOK`` bytes) is read with ``nbformat``; its code
cells are taken in document order. Then, statement by statement, on the AST:

- IPython's magics and shell escapes (``%matplotlib inline``, ``%%time``, ``!pip ...``,
  ``x = !ls``, ``f?``) are never executed: a line becomes ``pass``, a cell magic drops
  its cell, and one note lists them;
- what runs is chosen: imports, ``def``, ``class``, and assignments of constants
  (literals, or numpy arrays built from literals); every other top-level statement (a test
  call, a plot, a data load, a training loop) is dropped, and one note lists them;
- a cell that does not parse is named in a note and skipped; the others still run;
- the statements run in document order, so the last definition of a name wins;
- the execution counts, when they say the student ran the cells in another order, give a note.

Statements run one at a time (``oracle.course.loading.notebook_run``): one that fails (a
missing helper module, a class body that raises) leaves its names bound to a stand-in that
raises, when used, an error naming the cell, so the targets that need it get an ``error``
row and the others are still checked. A name that only a dropped statement sets (``X =
np.random.randn(3, 4)`` in a test cell) is bound to a stand-in that says so when a function
reads it, instead of a silent ``NameError``. ``Location`` says where each name's last definition is: the cell
(counting every cell from 1, markdown too), its execution count, the line in the cell.
"""

from __future__ import annotations

import ast
import functools
import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from oracle.core.errors import UserError

MAX_NOTEBOOK = 4 << 20  # bytes: the size a .py file of a class may have (grading's MAX_SOURCE)
MAGIC = re.compile(r"^\s*(%|!)|^\s*[\w.]+\s*=\s*[!%]|^\s*[\w.]+\?\??\s*$|^\s*\?")
NUMPY = frozenset({"np", "numpy"})
ARRAY_MAKERS = frozenset({"array", "asarray", "zeros", "ones", "full", "eye", "arange", "linspace"})
SHOWN = 8  # statements or lines listed in a note before "and N more"


@dataclass(frozen=True)
class Location:
    """Where a statement is: the cell (from 1, every cell counted), its execution count, the line in it."""

    cell: int
    count: int | None
    line: int
    imported: bool = False  # the name is bound there by an import (its code is another file's)

    def __str__(self) -> str:
        run = f"In [{self.count}]" if self.count is not None else "not run"
        return ("imported in " if self.imported else "") + f"cell {self.cell} ({run}) line {self.line}"


@dataclass(frozen=True)
class Cell:
    index: int  # from 1, every cell of the notebook counted
    count: int | None
    source: str


@dataclass
class Selection:
    """What runs of a notebook, where each name was last defined, and what the student should know."""

    path: Path
    cells: list[Cell]
    statements: list[tuple[Cell, ast.stmt]] = field(default_factory=list)
    defined: dict[str, Location] = field(default_factory=dict)  # name -> its last definition's location
    dropped_names: dict[str, Location] = field(default_factory=dict)  # set only by dropped statements
    notes: list[str] = field(default_factory=list)


def read(path: Path) -> list[Cell]:
    """The code cells of a notebook, or a ``UserError`` of one line: too large, not nbformat 4, malformed."""
    import nbformat

    try:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK:
            raise UserError(f"{path}: a notebook of {size:,} bytes, over the limit of {MAX_NOTEBOOK:,}")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read the notebook ({exc})") from None
    try:
        data = json.loads(text)
        major = data.get("nbformat") if isinstance(data, dict) else None
    except (ValueError, RecursionError) as exc:  # not JSON
        raise UserError(f"{path}: not a notebook ({type(exc).__name__}: {str(exc)[:200]})") from None
    if not isinstance(major, int):
        raise UserError(f"{path}: not a notebook (no nbformat version)")
    if major != 4:
        raise UserError(
            f"{path}: nbformat {major}; only nbformat 4 notebooks are read (open and save it in Jupyter)"
        )
    try:
        notebook = nbformat.from_dict(data)
        nbformat.validate(notebook)
    except Exception as exc:
        raise UserError(f"{path}: a malformed notebook ({type(exc).__name__}: {str(exc)[:200]})") from None
    cells = []
    for index, cell in enumerate(notebook.cells, 1):
        if cell.cell_type != "code":
            continue
        source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        count = cell.get("execution_count")
        cells.append(Cell(index, count if isinstance(count, int) else None, source))
    return cells


def select(path: Path, cells: list[Cell] | None = None) -> Selection:
    """What runs of the notebook at ``path`` and the notes about the rest (never executes anything)."""
    selection = Selection(path, read(path) if cells is None else cells)
    magics: list[str] = []
    dropped: list[str] = []
    unparsed: list[str] = []
    for cell in selection.cells:
        if cell.source.lstrip().startswith("%%"):
            magics.append(f"cell {cell.index} ({cell.source.lstrip().splitlines()[0][:40]})")
            continue
        try:
            tree = _parse(cell, magics)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            line = f" line {exc.lineno}" if isinstance(exc, SyntaxError) and exc.lineno else ""
            unparsed.append(f"cell {cell.index}{line} ({type(exc).__name__}: {getattr(exc, 'msg', exc)})")
            continue
        for node in tree.body:
            where = Location(cell.index, cell.count, node.lineno)
            names = bound_names(node)
            if runs(node):
                selection.statements.append((cell, node))
                imported = isinstance(node, ast.Import | ast.ImportFrom)
                for name in names:
                    selection.defined[name] = Location(cell.index, cell.count, node.lineno, imported)
                    selection.dropped_names.pop(name, None)
            elif not isinstance(node, ast.Pass):
                dropped.append(f"cell {cell.index} line {node.lineno} ({_first_line(node)})")
                for name in names:
                    if name not in selection.defined:
                        selection.dropped_names.setdefault(name, where)
    if magics:
        selection.notes.append(f"{_count(magics, 'magic or shell line')} not executed: {_listed(magics)}")
    if dropped:
        what = f"{_count(dropped, 'statement')} not run (only imports, def, class and constants run)"
        selection.notes.append(f"{what}: {_listed(dropped)}")
    if unparsed:
        verb = "does" if len(unparsed) == 1 else "do"
        skipped = f"skipped {_count(unparsed, 'cell')} that {verb} not parse"
        selection.notes.append(f"{skipped}: {_listed(unparsed)}")
    order = [(c.count, c) for c in selection.cells if c.count is not None]
    if any(b[0] < a[0] for a, b in itertools.pairwise(order)):
        counts = ", ".join(f"[{count}]" for count, _ in order[:12]) + (", ..." if len(order) > 12 else "")
        selection.notes.append(
            f"the cells were run in another order than they appear ({counts}); "
            "the check runs them top to bottom, the last definition of a name winning"
        )
    return selection


def _parse(cell: Cell, magics: list[str]) -> ast.Module:
    """A cell's AST; its magic lines become ``pass`` (and are listed) only if it is not Python as it is:
    a line of plain Python may start with ``%`` or ``!=`` (a continued ``a % b`` or ``a != b``)."""
    try:
        return ast.parse(cell.source)
    except SyntaxError:
        pass
    lines = cell.source.splitlines()
    for number, line in enumerate(lines):
        if MAGIC.match(line):
            magics.append(f"cell {cell.index} line {number + 1} ({line.strip()[:40]})")
            lines[number] = line[: len(line) - len(line.lstrip())] + "pass"
    return ast.parse("\n".join(lines))


def runs(node: ast.stmt) -> bool:
    """Whether a top-level statement defines something: an import, a def, a class, a constant."""
    if isinstance(node, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return True
    if isinstance(node, ast.Assign):
        return all(_plain_target(t) for t in node.targets) and constant(node.value)
    if isinstance(node, ast.AnnAssign):
        return _plain_target(node.target) and (node.value is None or constant(node.value))
    return False


def constant(node: ast.expr) -> bool:
    """A literal, a container or arithmetic of literals, ``np.float64``, or ``np.array(...)`` of literals."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return all(constant(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is None or constant(k) for k in node.keys) and all(constant(v) for v in node.values)
    if isinstance(node, ast.UnaryOp):
        return constant(node.operand)
    if isinstance(node, ast.BinOp):
        return constant(node.left) and constant(node.right)
    if isinstance(node, ast.Attribute):  # np.float64, np.pi
        return isinstance(node.value, ast.Name) and node.value.id in NUMPY
    if isinstance(node, ast.Call):
        func = node.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
            return False
        maker = func.value.id in NUMPY and func.attr in ARRAY_MAKERS
        return maker and all(constant(a) for a in node.args) and all(constant(k.value) for k in node.keywords)
    return False


def _plain_target(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return True
    return isinstance(node, ast.Tuple | ast.List) and all(isinstance(e, ast.Name) for e in node.elts)


def bound_names(node: ast.stmt) -> list[str]:
    """The module-level names a top-level statement binds."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.Import):
        return [a.asname or a.name.split(".")[0] for a in node.names]
    if isinstance(node, ast.ImportFrom):
        return [a.asname or a.name for a in node.names if a.name != "*"]
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.For | ast.AsyncFor):
        targets = [node.target]
    names = []
    for target in targets:
        names += [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
    return names


def _first_line(node: ast.stmt) -> str:
    text = ast.unparse(node).splitlines()[0] if not isinstance(node, ast.FunctionDef) else node.name
    return text[:50] + ("..." if len(text) > 50 else "")


def _count(items: list[str], noun: str) -> str:
    return f"{len(items)} {noun}" + "s" * (len(items) != 1)


def _listed(items: list[str]) -> str:
    more = f"; and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
    return "; ".join(items[:SHOWN]) + more


def locate(path: Path, names: Sequence[str]) -> str:
    """Where the notebook at ``path`` last defines each of ``names``, as the CSV's ``location`` says it.

    Read again from the file (nothing runs): the judge's process never imports student code.
    ``''`` for a file that is not a notebook or that cannot be read.
    """
    if path.suffix != ".ipynb":
        return ""
    try:
        status = path.stat()
        defined, _ = _read_again(str(path), status.st_mtime_ns, status.st_size)
    except (OSError, UserError, RecursionError, MemoryError):
        return ""
    return "; ".join(f"{n}: {defined[n]}" for n in names if n in defined)


def notes(path: Path) -> list[str]:
    """What the student should know about how the notebook at ``path`` was read ([] for a .py file)."""
    if path.suffix != ".ipynb":
        return []
    try:
        status = path.stat()
        return list(_read_again(str(path), status.st_mtime_ns, status.st_size)[1])
    except (OSError, UserError, RecursionError, MemoryError):  # its import said what is wrong
        return []


@functools.lru_cache(maxsize=8)
def _read_again(path: str, mtime: int, size: int) -> tuple[dict[str, Location], tuple[str, ...]]:
    selection = select(Path(path))
    return selection.defined, tuple(selection.notes)
