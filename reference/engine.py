"""Reverse mode over the gate table: the ``Value`` node and its one backward algorithm.

Forward happens as you compute: every operation on a ``Value`` runs a gate from
``reference.gates`` and remembers, in the new node, its inputs and the gate's
gradient rules. ``backward`` then walks the graph from the output towards the
inputs. A node's gradient is complete once every node that consumed it has sent
its share (where a value fans out, those shares add), and only then does the
node pass gradients on to its own inputs. The walk uses an explicit stack, so
graph depth is limited by memory, not by Python's recursion limit, and its order
depends only on the graph: the same graph and inputs give the same bits.

A second ``backward()`` does not accumulate: it recomputes and overwrites
``.grad`` of every node it reaches, so calling it twice gives the same result
and no ``zero_grad`` is needed between training steps.

Every gate of the table is a method of ``Value``, by its name: ``x.relu()``,
``x.maximum(y)``, ``x.sum(0, keepdims=True)``, ``x.svm_loss(labels)`` (further inputs
first, then the gate's attributes, by position in declaration order or by name). Only
the operators ``+ - * / @ ** -``, ``reshape(*shape)`` and ``.T`` are written out below.
Each call is checked as a node of a JSON graph would be, before its forward runs:
attributes against their declared types, input shapes against the gate's shape rule;
a problem is a ``GraphError`` naming the gate. Data is float32 or float64: bools and
integers become float64, anything else (None, complex, text) is refused.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from reference.checks import FLOATS, INTEGERS, GraphError, Shape, real_array
from reference.gates import GATES, VJP, Array, Gate


def as_array(data: Any, dtype: Any = None) -> Array:
    """float32 and float64 are kept; bools and integers become float64, or ``dtype`` (float32 or float64)."""
    if dtype is not None and dtype not in FLOATS:
        raise GraphError(f"Value: dtype {np.dtype(dtype).name!r}: the engine computes in float32 or float64")
    try:
        array = real_array(data)
    except ValueError as exc:
        raise GraphError(f"Value: {exc}") from None
    if dtype is not None:
        return array.astype(dtype, copy=False)
    return array if array.dtype in FLOATS else array.astype(np.float64)


def unbroadcast(grad: Array, shape: tuple[int, ...]) -> Array:
    """Sum a gradient back to ``shape``: the backward of numpy broadcasting."""
    if grad.shape == shape:
        return grad
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched, keepdims=True) if stretched else grad


class Value:
    """A node of the computational graph: an array, how it was made, and its gradient."""

    __slots__ = ("_parents", "_vjps", "data", "grad", "op", "requires_grad")
    __array_ufunc__ = None  # numpy arrays on the left defer to our reflected operators

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None) -> None:
        self.data: Array = as_array(data, dtype)
        self.grad: Array | None = None
        self.requires_grad = requires_grad
        self.op = ""  # the gate that made this node ("" for an input or a constant)
        self._parents: tuple[Value, ...] = ()
        self._vjps: tuple[VJP, ...] = ()

    def __repr__(self) -> str:
        return f"Value({self.data!r}, op={self.op or 'input'!r})"

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    # ------------------------------------------------------------- backward

    def backward(self, upstream: Any = None) -> None:
        """Set ``.grad`` of every node this one depends on to d(upstream . self)/d(node)."""
        if upstream is None:
            if self.data.ndim:
                raise ValueError(
                    f"backward() on an output of shape {list(self.data.shape)} needs an upstream "
                    "gradient of that shape; only a scalar output defaults to 1"
                )
            upstream = np.ones_like(self.data)
        upstream = np.array(upstream, dtype=self.data.dtype)  # a copy: .grad never aliases the caller's array
        if upstream.shape != self.data.shape:
            raise ValueError(
                f"upstream gradient has shape {list(upstream.shape)}, the output {list(self.data.shape)}"
            )
        # How many consumers (within this graph) each node waits for before its gradient is complete.
        # Nodes are dict keys by identity (Value defines no __eq__), which is cheaper than id() per edge.
        waiting = {self: 0}
        stack = [self]
        while stack:
            for parent in stack.pop()._parents:
                if parent.requires_grad:
                    if parent not in waiting:
                        waiting[parent] = 0
                        stack.append(parent)
                    waiting[parent] += 1
        grads = {self: upstream}
        ready = [self]
        while ready:
            node = ready.pop()
            node.grad = g = grads.pop(node)
            for parent, vjp in zip(node._parents, node._vjps, strict=True):
                if not parent.requires_grad:
                    continue
                share = unbroadcast(vjp(g), parent.data.shape).astype(parent.data.dtype, copy=False)
                if share is g:  # a pass-through rule (add, reshape of the same shape...): no shared .grad
                    share = share.copy()
                grads[parent] = share if parent not in grads else grads[parent] + share
                waiting[parent] -= 1
                if waiting[parent] == 0:
                    ready.append(parent)

    # ------------------------------------------------------------- the gates

    # Every gate of the table is a method, made by the loop after this class (``gate_method``).
    # __getattr__ covers a gate declared after this module was imported, and tells mypy about them all.

    def __getattr__(self, name: str) -> Callable[..., Value]:
        if name not in GATES:  # also what numpy and copy probe for (__array_interface__, __deepcopy__...)
            raise AttributeError(f"'Value' object has no attribute {name!r}")
        return types.MethodType(gate_method(name), self)

    @property
    def T(self) -> Value:
        return apply("transpose", self)

    def reshape(self, *shape: int | Sequence[int], **attrs: Any) -> Value:
        """``x.reshape(3, 2)`` or ``x.reshape((3, 2))`` as in numpy, or ``x.reshape(shape=(3, 2))``."""
        if shape and "shape" in attrs:
            raise TypeError("reshape() got attr 'shape' twice")
        if shape:
            attrs["shape"] = shape[0] if len(shape) == 1 and not isinstance(shape[0], INTEGERS) else shape
        return apply("reshape", self, **attrs)

    # ------------------------------------------------------------- operators

    def __add__(self, other: Any) -> Value:
        return apply("add", self, other)

    def __radd__(self, other: Any) -> Value:
        return apply("add", other, self)

    def __sub__(self, other: Any) -> Value:
        return apply("sub", self, other)

    def __rsub__(self, other: Any) -> Value:
        return apply("sub", other, self)

    def __mul__(self, other: Any) -> Value:
        return apply("mul", self, other)

    def __rmul__(self, other: Any) -> Value:
        return apply("mul", other, self)

    def __truediv__(self, other: Any) -> Value:
        return apply("div", self, other)

    def __rtruediv__(self, other: Any) -> Value:
        return apply("div", other, self)

    def __matmul__(self, other: Any) -> Value:
        return apply("matmul", self, other)

    def __rmatmul__(self, other: Any) -> Value:
        return apply("matmul", other, self)

    def __neg__(self) -> Value:
        return apply("neg", self)

    def __pow__(self, p: float) -> Value:
        if isinstance(p, Value):
            raise TypeError("the exponent must be a number; write (y * x.log()).exp() for x ** y")
        return apply("pow_const", self, p=p)


def gate_method(name: str) -> Callable[..., Value]:
    """The ``Value`` method of gate ``name``: ``x.name(*other_inputs, *attrs, **attrs)``.

    Positional arguments after the gate's other inputs are its attrs in declaration order,
    so ``x.sum(0, True)`` is ``apply("sum", x, axis=0, keepdims=True)``.
    """

    def method(self: Value, *args: Any, **attrs: Any) -> Value:
        gate = GATES[name]  # looked up at each call: a gate replaced in the table is the one that runs
        inputs = gate.arity - 1
        if len(args) > inputs:
            args, extra = args[:inputs], args[inputs:]
            if len(extra) > len(gate.attrs):
                names = ", ".join(gate.attrs) or "none"
                raise TypeError(
                    f"{name}() takes {inputs} more input(s), then at most {len(gate.attrs)} attr(s) "
                    f"({names}); got {len(args) + len(extra)} positional arguments"
                )
            for attr, value in zip(gate.attrs, extra, strict=False):
                if attr in attrs:
                    raise TypeError(f"{name}() got attr {attr!r} twice")
                attrs[attr] = value
        return apply(gate, self, *args, **attrs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = GATES[name].doc
    return method


for _name in GATES:  # x.relu(), x.maximum(y), x.sum(0, True)... (reshape and the operators are above)
    if not hasattr(Value, _name):
        setattr(Value, _name, gate_method(_name))


def apply(op: str | Gate, *args: Any, **attrs: Any) -> Value:
    """Check one gate call, run its forward, and return the new node that remembers how to go back."""
    try:
        gate = GATES[op] if isinstance(op, str) else op
    except KeyError:
        raise GraphError(f"unknown gate {op!r}") from None
    parents: tuple[Value, ...] = args
    if not all(isinstance(a, Value) for a in args):  # numbers and arrays: constants of the Values' dtype
        dtype = next((a.data.dtype for a in args if isinstance(a, Value)), None)
        parents = tuple(
            a if isinstance(a, Value) else Value(a, requires_grad=False, dtype=dtype) for a in args
        )
    attrs = checked_attrs(gate, [p.data.shape for p in parents], attrs)
    out, vjps = gate.forward(*[p.data for p in parents], **attrs)
    node = Value.__new__(Value)
    node.data = np.asarray(out)
    node.grad = None
    node.op = gate.name
    node.requires_grad = any(p.requires_grad for p in parents)
    node._parents = parents if node.requires_grad else ()
    node._vjps = vjps if node.requires_grad else ()
    return node


def checked_attrs(gate: Gate, shapes: list[Shape], attrs: dict[str, Any]) -> dict[str, Any]:
    """``gate.check`` for one call: the attrs as forward takes them, or a GraphError naming the gate.

    The checks of the attrs given run at every call; the shape rule only at the first call
    with these input shapes and attrs (the later ones find it in ``_CHECKED``).
    """
    try:
        if attrs:
            attrs = gate.check_attrs(attrs)
        key = (gate, *shapes, *attrs.values())
        checked = _CHECKED.get(key)
        if checked is None:
            if len(_CHECKED) >= 10_000:
                _CHECKED.clear()
            checked = _CHECKED[key] = gate.check(shapes, attrs)[0]
    except ValueError as exc:
        raise GraphError(f"{gate.name}: {exc}") from None
    return attrs or checked  # none given: the declared defaults


# (gate, *input shapes, *attrs given) of every call that passed the checks -> the attrs with defaults
_CHECKED: dict[tuple[Any, ...], dict[str, Any]] = {}
