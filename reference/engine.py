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
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from reference.gates import GATES, VJP, Array, Gate

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def as_array(data: Any, dtype: Any = None) -> Array:
    """float32 and float64 are kept; anything else becomes float64 unless ``dtype`` says otherwise."""
    array = np.asarray(data)
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

    def exp(self) -> Value:
        return apply("exp", self)

    def log(self) -> Value:
        return apply("log", self)

    def sqrt(self) -> Value:
        return apply("sqrt", self)

    def square(self) -> Value:
        return apply("square", self)

    def reciprocal(self) -> Value:
        return apply("reciprocal", self)

    def tanh(self) -> Value:
        return apply("tanh", self)

    def sigmoid(self) -> Value:
        return apply("sigmoid", self)

    def relu(self) -> Value:
        return apply("relu", self)

    def abs(self) -> Value:
        return apply("abs", self)

    def maximum(self, other: Any) -> Value:
        return apply("maximum", self, other)

    def minimum(self, other: Any) -> Value:
        return apply("minimum", self, other)

    def sum(self, axis: int | None = None, keepdims: bool = False) -> Value:
        return apply("sum", self, axis=axis, keepdims=keepdims)

    def mean(self, axis: int | None = None, keepdims: bool = False) -> Value:
        return apply("mean", self, axis=axis, keepdims=keepdims)

    def max(self, axis: int | None = None, keepdims: bool = False) -> Value:
        return apply("max", self, axis=axis, keepdims=keepdims)

    def transpose(self) -> Value:
        return apply("transpose", self)

    @property
    def T(self) -> Value:
        return apply("transpose", self)

    def reshape(self, *shape: int | Sequence[int]) -> Value:
        target = shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape
        return apply("reshape", self, shape=tuple(target))

    def svm_loss(self, labels: Sequence[int]) -> Value:
        return apply("svm_loss", self, labels=labels)

    def softmax_loss(self, labels: Sequence[int]) -> Value:
        return apply("softmax_loss", self, labels=labels)

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


def apply(op: str | Gate, *args: Any, **attrs: Any) -> Value:
    """Run one gate forward and return the new node that remembers how to go back."""
    gate = GATES[op] if isinstance(op, str) else op
    parents: tuple[Value, ...] = args
    if not all(isinstance(a, Value) for a in args):  # numbers and arrays: constants of the Values' dtype
        dtype = next((a.data.dtype for a in args if isinstance(a, Value)), None)
        parents = tuple(
            a if isinstance(a, Value) else Value(a, requires_grad=False, dtype=dtype) for a in args
        )
    out, vjps = gate.forward(*[p.data for p in parents], **attrs)
    node = Value.__new__(Value)
    node.data = np.asarray(out)
    node.grad = None
    node.op = gate.name
    node.requires_grad = any(p.requires_grad for p in parents)
    node._parents = parents if node.requires_grad else ()
    node._vjps = vjps if node.requires_grad else ()
    return node
