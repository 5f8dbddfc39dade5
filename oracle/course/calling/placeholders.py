"""A call that fails on a template's ``None`` placeholder: unfinished code, not a bug.

deeplearning.ai's templates leave ``None`` where the student's code goes (``n_x, m = None``,
``gradients = None``, ``dWax += None``, ``for i in range(None)``). A function the student
filled only in part is not the template any more as a whole (``oracle.course.loading.unfinished``
reads the function's source and finds code that computes), but running it stops at the first
placeholder left, with a ``TypeError`` about ``NoneType``. ``placeholder_reason`` tells that
case apart: the error is such a ``TypeError``, the student's function that raised it marks
its part with the course's comments (``### START CODE HERE ###``), and the line that raised
holds a ``None`` literal or reads a name the function sets to ``None``. The call is then
``not implemented``, naming the line, as an unfilled notebook is.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
import traceback
from types import FrameType

MARKER = re.compile(r"#.*\b(START CODE HERE|YOUR CODE HERE|START OF YOUR CODE)\b", re.IGNORECASE)


def placeholder_reason(exc: BaseException, own: tuple[str, ...]) -> str:
    """'' unless ``exc`` is a template's ``None`` placeholder failing; else the line, for the row.

    ``own`` holds the path prefixes that are not the student's (oracle, the libraries).
    """
    try:
        return _reason(exc, own)
    except Exception:  # an exception of the student's making, its message or frames hostile
        return ""


def _reason(exc: BaseException, own: tuple[str, ...]) -> str:
    if not isinstance(exc, TypeError) or "NoneType" not in str(exc):
        return ""
    frame, lineno = _last_student_frame(exc, own)
    if frame is None:
        return ""
    try:
        lines, first = inspect.getsourcelines(frame.f_code)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return ""
    function = tree.body[0] if tree.body else None
    if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) or not MARKER.search("".join(lines)):
        return ""
    line = lineno - first + 1  # in the parsed source
    statement = _statement_at(function, line)
    if statement is None:
        return ""
    set_to_none = {
        t.id
        for node in ast.walk(function)
        if isinstance(node, ast.Assign) and _is_none(node.value)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    literal = any(_is_none(n) and not _compared(statement, n) for n in ast.walk(statement))
    reads = [n.id for n in ast.walk(statement) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
    left = next((name for name in reads if name in set_to_none), "")
    if not literal and not left:
        return ""
    text = lines[line - 1].strip()
    text = text[:70] + "..." if len(text) > 70 else text
    what = f"line {lineno}: {text}" + (f", {left} still None" if left and not literal else "")
    return f"{function.name} still holds the template's None placeholders ({what})"


def _last_student_frame(exc: BaseException, own: tuple[str, ...]) -> tuple[FrameType | None, int]:
    found: tuple[FrameType | None, int] = (None, 0)
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        name = frame.f_code.co_filename
        if not name.startswith(own) and not name.startswith("<"):
            found = (frame, lineno)
    return found


def _statement_at(function: ast.AST, line: int) -> ast.stmt | None:
    """The innermost statement of ``function`` that spans ``line`` (a loop's header: the loop itself)."""
    best: ast.stmt | None = None
    for node in ast.walk(function):
        if isinstance(node, ast.stmt) and node is not function:
            end = node.end_lineno or node.lineno
            if isinstance(node, ast.For | ast.While | ast.If | ast.With):
                end = node.body[0].lineno - 1 if node.body else end
            if node.lineno <= line <= end and (best is None or node.lineno >= best.lineno):
                best = node
    return best


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _compared(statement: ast.AST, none: ast.AST) -> bool:
    """Whether this ``None`` is compared against (``x is None``), not a placeholder."""
    return any(
        isinstance(n, ast.Compare) and any(c is none for c in n.comparators) for n in ast.walk(statement)
    )
