"""An engine that keeps its number private: the probe cannot read it without a declaration."""


class Scalar:
    def __init__(self, number, inputs=()):
        self._number = number
        self.grad = 0.0
        self._inputs = inputs
        self._push = lambda: None

    def __add__(self, other):
        out = Scalar(self._number + other._number, (self, other))

        def push():
            self.grad += out.grad
            other.grad += out.grad

        out._push = push
        return out

    def __mul__(self, other):
        out = Scalar(self._number * other._number, (self, other))

        def push():
            self.grad += other._number * out.grad
            other.grad += self._number * out.grad

        out._push = push
        return out

    def backward(self):
        order, seen = [], set()

        def visit(v):
            if id(v) not in seen:
                seen.add(id(v))
                for u in v._inputs:
                    visit(u)
                order.append(v)

        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            v._push()
