"""Reverse-mode autodiff on scalars, for the study group. Nodes keep `val` and `g`; nothing declared."""

import math


class Node:
    def __init__(self, val, parents=(), local=()):
        self.val = val
        self.g = 0.0
        self.parents = parents  # the nodes this one was computed from
        self.local = local  # d self / d parent, one per parent

    def __add__(self, other):
        other = other if isinstance(other, Node) else Node(other)
        return Node(self.val + other.val, (self, other), (1.0, 1.0))

    __radd__ = __add__

    def __mul__(self, other):
        other = other if isinstance(other, Node) else Node(other)
        return Node(self.val * other.val, (self, other), (other.val, self.val))

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-other)

    def tanh(self):
        t = math.tanh(self.val)
        return Node(t, (self,), (1 - t * t,))


def backward(root):
    """Walks the graph in reverse topological order, pushing g down to the parents."""
    order, seen = [], set()

    def visit(n):
        if id(n) not in seen:
            seen.add(id(n))
            for p in n.parents:
                visit(p)
            order.append(n)

    visit(root)
    root.g = 1.0
    for n in reversed(order):
        for p, d in zip(n.parents, n.local, strict=True):
            p.g += d * n.g
