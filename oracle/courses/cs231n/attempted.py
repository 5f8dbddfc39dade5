"""Whether a network class's code attempts an option at all, read from its source, never run.

A ``FullyConnectedNet`` built with dropout or a normalization that gives the loss and
gradients of the plain net never applies the option. Whether that is work not done yet
(``not implemented``: the 2025 first assignment's net, whose dropout and normalization
come with the second) or a bug (a condition that never holds) shows in the code: the
methods but ``__init__`` mention the option (a ``dropout_forward``, ``self.dropout_param``'s
``p``, ``gamma1``) or do not. The starter code's own lines that set each layer's mode
(``self.dropout_param["mode"] = mode`` under ``if self.use_dropout:``, the loop over
``self.bn_params``) are not the student's attempt and are not read.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Iterator, Sequence
from typing import Any

from oracle.course.loading.unfinished import template_reason


def mentions(cls: Any, words: Sequence[str]) -> bool:
    """Whether the class's methods but ``__init__`` name one of ``words`` (True when unreadable).

    A word of three letters or fewer must be a whole part of a name between underscores
    (``affine_bn_relu_forward``); a longer one may be anywhere in it (``dropout_param``).
    """
    methods = []
    # each method's own source (the class's would need its module, which the check has forgotten)
    for klass in inspect.getmro(cls)[:-1]:
        for key, value in vars(klass).items():
            if key == "__init__" or not inspect.isfunction(value):
                continue
            try:
                methods.append(ast.parse(textwrap.dedent(inspect.getsource(value))))
            except (OSError, TypeError, SyntaxError, IndentationError):
                return True  # nothing to read: not called unfinished
    for method in methods:
        for name in _names(method):
            parts = name.lower().split("_")
            if any(w in parts or (len(w) > 3 and w in name.lower()) for w in words):
                return True
    return False


def _names(node: ast.AST) -> Iterator[str]:
    """Names, attributes and strings in ``node``, the starter's mode lines left out."""
    if isinstance(node, ast.stmt) and _sets_mode(node):
        return
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):  # a docstring
        return
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, ast.Attribute):
        yield node.attr
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    for child in ast.iter_child_nodes(node):
        yield from _names(child)


def _sets_mode(node: ast.stmt) -> bool:
    """``p["mode"] = mode``, or an ``if`` or ``for`` that holds only such lines."""
    if isinstance(node, ast.Assign):
        return all(
            isinstance(t, ast.Subscript) and isinstance(t.slice, ast.Constant) and t.slice.value == "mode"
            for t in node.targets
        )
    if isinstance(node, ast.If | ast.For):
        return not node.orelse and all(_sets_mode(s) for s in node.body)
    return False


def template_called(cls: Any, words: Sequence[str]) -> str:
    """What shows that a function the class's methods call, named for the option, is still the template.

    The 2025 first assignment's layers.py holds the second's normalization and dropout layers as
    stubs: a net done ahead of them calls ``batchnorm_forward`` and gets None back. '' if none is.
    """
    for klass in inspect.getmro(cls)[:-1]:
        for key, value in vars(klass).items():
            if key == "__init__" or not inspect.isfunction(value):
                continue
            try:
                tree = ast.parse(textwrap.dedent(inspect.getsource(value)))
            except (OSError, TypeError, SyntaxError, IndentationError):
                continue
            for node in ast.walk(tree):
                name = node.func.id if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else ""
                if not any(w in name.lower().split("_") or (len(w) > 3 and w in name.lower()) for w in words):
                    continue
                reason = template_reason(name, value.__globals__.get(name))
                if reason:
                    return reason
    return ""
