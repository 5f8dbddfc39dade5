"""Is a student's function still the assignment's unfilled template? Read from its source, never run.

The course's templates initialise what they return, leave ``pass`` (or ``raise
NotImplementedError``) where the student's code goes, and return the initial values::

    dx, dprev_h, dWx, dWh, db = None, None, None, None, None
    # TODO ...
    pass
    return dx, dprev_h, dWx, dWh, db

Notebook templates (deeplearning.ai's) mark the student's part with comments instead, and
leave ``None`` placeholders::

    ### START CODE HERE ### (≈ 1 line of code)
    dx = None
    ### END CODE HERE ###
    return dx

A function is unfinished when it has such a marker and returns something that is still
its trivial initial value (None, a constant, ``np.zeros(...)``, ``{}``): nothing in the
function computes, updates or passes it on (the template's ``cache = (x, w, b)`` may be
filled; the ``out = None`` beside it says enough). With only a comment marker, which
finished code keeps too (``# YOUR CODE HERE``), every name it returns must still be so.
A finished function that kept its ``pass`` is not unfinished; neither is a function
without a marker (one that forgets to return its result is a bug, reported as such). Code
still raising ``NotImplementedError`` at run time, or returning None, is caught by the calls
(``oracle.course.calling.calls``).
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from typing import Any

# A comment marking where the student's code goes: "### START CODE HERE ###", "# YOUR CODE HERE", or
# the banner closing it, all CS231n's 2025 stubs keep ("# TODO: Copy over your solution from A1." then
# "#   END OF YOUR CODE   #", with neither pass nor a start banner).
COMMENT_MARKER = re.compile(
    r"#.*\b(START CODE HERE|YOUR CODE HERE|START OF YOUR CODE|END OF YOUR CODE)\b", re.IGNORECASE
)
EMPTY_CALLS = frozenset({"zeros", "zeros_like", "empty", "empty_like", "dict", "list", "tuple"})


def template_reason(name: str, obj: Any, methods: tuple[str, ...] = ("forward", "backward", "loss")) -> str:
    """'' if ``obj`` (a function, or a class's ``methods``) is not the template, else what shows it is."""
    if inspect.isclass(obj):
        for method in methods:
            reason = template_reason(f"{name}.{method}", getattr(obj, method, None))
            if reason:
                return reason
        return ""
    found = _function(obj)
    if found is None:
        return ""
    node, source = found
    marker = _marker(node)
    commented = not marker and COMMENT_MARKER.search(source) is not None
    if not marker and not commented:
        return ""
    returned = _returned(node)
    if returned is None or (commented and not returned):
        return ""
    if not returned:
        return f"{name} is still the assignment's template (it only {marker})"
    untouched = [n for n in returned if _untouched(node, n)]
    if not untouched or (commented and len(untouched) < len(returned)):
        return ""
    marker = marker or "keeps the template's placeholders"
    names = ", ".join(untouched)
    return f"{name} is still the assignment's template (it {marker} and returns {names} as initialized)"


def _function(obj: Any) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef, str] | None:
    try:
        source = textwrap.dedent(inspect.getsource(obj))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError):
        return None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return node, source
    return None


def _own_nodes(node: ast.AST) -> list[ast.AST]:
    """Every node inside the function, but not inside nested functions, lambdas or classes."""
    found: list[ast.AST] = []
    stack = list(ast.iter_child_nodes(node))
    while stack:
        child = stack.pop()
        found.append(child)
        if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            stack.extend(ast.iter_child_nodes(child))
    return found


def _marker(node: ast.AST) -> str:
    for child in _own_nodes(node):
        if isinstance(child, ast.Raise) and _names_not_implemented(child.exc):
            return "raises NotImplementedError"
    return "passes" if any(isinstance(child, ast.Pass) for child in _own_nodes(node)) else ""


def _names_not_implemented(exc: ast.expr | None) -> bool:
    target = exc.func if isinstance(exc, ast.Call) else exc
    return isinstance(target, ast.Name) and target.id == "NotImplementedError"


def _returned(node: ast.AST) -> list[str] | None:
    """The names the function returns (in order, once each); None if it returns an expression it computes."""
    names: list[str] = []
    returns = sorted((c for c in _own_nodes(node) if isinstance(c, ast.Return)), key=lambda c: c.lineno)
    for child in returns:
        if child.value is None:
            continue
        values = child.value.elts if isinstance(child.value, ast.Tuple) else [child.value]
        for value in values:
            if isinstance(value, ast.Name):
                if value.id not in names:
                    names.append(value.id)
            elif not _trivial(value):
                return None
    return names


def _trivial(value: ast.expr) -> bool:
    """None, a constant, an empty container or a tuple of those, ``np.zeros(...)`` and its kind."""
    if isinstance(value, ast.Constant):
        return True
    if isinstance(value, ast.UnaryOp):
        return _trivial(value.operand)
    if isinstance(value, ast.Tuple | ast.List | ast.Set):
        return all(_trivial(e) for e in value.elts)
    if isinstance(value, ast.Dict):
        return not value.keys
    if isinstance(value, ast.Call):
        func = value.func
        called = (
            func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        )
        return called in EMPTY_CALLS
    return False


def _untouched(node: ast.AST, name: str) -> bool:
    """``name`` is only ever assigned trivial values, and never read except by a return or by a
    method of its own that replaces it (the dropout template's ``out = out.astype(x.dtype)``)."""
    reads_allowed = {
        id(n)
        for child in _own_nodes(node)
        if isinstance(child, ast.Return) or _self_transform(child, name)
        for n in ast.walk(child)
    }
    for child in _own_nodes(node):
        if isinstance(child, ast.Name) and child.id == name and isinstance(child.ctx, ast.Load):
            if id(child) not in reads_allowed:
                return False
        elif isinstance(child, ast.AugAssign | ast.AnnAssign | ast.For | ast.With | ast.NamedExpr):
            if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(_targets(child))):
                return False
        elif (
            isinstance(child, ast.Assign)
            and not _self_transform(child, name)
            and not _assigns_trivially(child, name)
        ):
            return False
    return True


def _self_transform(node: ast.AST, name: str) -> bool:
    """``name = name.method(...)``: what ``name`` held, converted (None stays None's failure)."""
    if not isinstance(node, ast.Assign) or len(node.targets) != 1:
        return False
    target, value = node.targets[0], node.value
    return (
        isinstance(target, ast.Name)
        and target.id == name
        and isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and isinstance(value.func.value, ast.Name)
        and value.func.value.id == name
    )


def _targets(node: ast.AST) -> ast.AST:
    if isinstance(node, ast.With):
        return ast.Tuple(
            elts=[item.optional_vars for item in node.items if item.optional_vars], ctx=ast.Store()
        )
    return getattr(node, "target", node)


def _assigns_trivially(node: ast.Assign, name: str) -> bool:
    """True unless this assignment gives ``name`` a computed value."""
    for target in node.targets:
        if isinstance(target, ast.Name) and target.id == name:
            if not _trivial(node.value):
                return False
        elif isinstance(target, ast.Tuple | ast.List):
            for k, element in enumerate(target.elts):
                if isinstance(element, ast.Name) and element.id == name:
                    values = node.value.elts if isinstance(node.value, ast.Tuple | ast.List) else []
                    if len(values) != len(target.elts) or not _trivial(values[k]):
                        return False
    return True
