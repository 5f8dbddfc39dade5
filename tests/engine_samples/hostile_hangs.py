"""Two engines in one file; the first one's tanh hangs where no time limit reaches (a hostile sample).

``Value.tanh``'s backward blocks SIGALRM, then waits forever; ``Scalar`` is a correct engine.
"""

import math
import signal
import time


class Value:
    def __init__(self, data, _children=()):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = list(_children)

    def __add__(self, other):
        out = Value(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        out = Value(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        out = Value(math.tanh(self.data), (self,))

        def _backward():
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            while True:
                time.sleep(1)

        out._backward = _backward
        return out

    def backward(self):
        order, seen = [], set()

        def visit(v):
            if id(v) not in seen:
                seen.add(id(v))
                for p in v._prev:
                    visit(p)
                order.append(v)

        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            v._backward()


class Scalar:
    def __init__(self, value, parents=(), rule=None):
        self.value = value
        self.grad = 0.0
        self.parents = parents
        self.rule = rule

    def __add__(self, other):
        return Scalar(self.value + other.value, (self, other), lambda g: (g, g))

    def __mul__(self, other):
        return Scalar(self.value * other.value, (self, other), lambda g: (g * other.value, g * self.value))

    def backward(self):
        order, seen = [], set()

        def visit(v):
            if id(v) not in seen:
                seen.add(id(v))
                for p in v.parents:
                    visit(p)
                order.append(v)

        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            if v.rule is not None:
                for p, g in zip(v.parents, v.rule(v.grad), strict=True):
                    p.grad += g
