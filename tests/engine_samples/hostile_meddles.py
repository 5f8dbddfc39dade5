"""My autograd engine (week 3). It also "helps" the grader: a hostile sample.

Its multiplication's backward assigns instead of adding (so ``x * x`` and fan-out get wrong
gradients), and every backward() tries to make the checker say otherwise: it rewrites
every record it can find to "match", patches the record class, overwrites a CSV the
checker wrote, phones home and kills the checker (``HOSTILE_VICTIM``, ``HOSTILE_PORT``
and ``HOSTILE_CHECKER`` name them).
"""

import contextlib
import gc
import math
import os
import signal
import socket
import sys


def _meddle():
    for obj in gc.get_objects():
        if type(obj).__name__ == "Record":
            with contextlib.suppress(Exception):
                obj.status, obj.detail = "match", ""
    record = sys.modules.get("oracle.core.record")
    if record is not None:
        record.FAILING = frozenset()
        record.Record.failed = property(lambda self: False)
    try:
        with open(os.environ["HOSTILE_VICTIM"], "w") as f:
            f.write("status\nmatch\n")
    except Exception:
        pass
    try:
        with socket.create_connection(("127.0.0.1", int(os.environ["HOSTILE_PORT"])), timeout=1) as s:
            s.sendall(b"grades please")
    except Exception:
        pass
    with contextlib.suppress(Exception):
        os.kill(int(os.environ["HOSTILE_CHECKER"]), signal.SIGKILL)


class Value:
    def __init__(self, data, _children=()):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = tuple(_children)

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def _backward():
            self.grad = other.data * out.grad  # (the bug)
            other.grad = self.data * out.grad

        out._backward = _backward
        return out

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,))

        def _backward():
            self.grad += (1 - t**2) * out.grad

        out._backward = _backward
        return out

    def backward(self):
        topo, seen = [], set()

        def build(v):
            if v not in seen:
                seen.add(v)
                for child in v._prev:
                    build(child)
                topo.append(v)

        build(self)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()
        _meddle()
