"""Circuit of gates from the hacker's guide, in Python. Every wire is a Unit."""

import math


class Unit:
    def __init__(self, value, grad):
        self.value = value  # set on the way forward
        self.grad = grad  # d(circuit output) / d(this wire), set on the way back


class MultiplyGate:
    def forward(self, u0, u1):
        self.u0, self.u1 = u0, u1
        self.utop = Unit(u0.value * u1.value, 0.0)
        return self.utop

    def backward(self):
        self.u0.grad += self.u1.value * self.utop.grad
        self.u1.grad += self.u0.value * self.utop.grad


class AddGate:
    def forward(self, u0, u1):
        self.u0, self.u1 = u0, u1
        self.utop = Unit(u0.value + u1.value, 0.0)
        return self.utop

    def backward(self):
        self.u0.grad += self.utop.grad
        self.u1.grad += self.utop.grad


class SigmoidGate:
    def forward(self, u0):
        self.u0 = u0
        self.s = 1 / (1 + math.exp(-u0.value))
        self.utop = Unit(self.s, 0.0)
        return self.utop

    def backward(self):
        self.u0.grad += self.s * (1 - self.s) * self.utop.grad


class TanhGate:
    def forward(self, u0):
        self.u0 = u0
        self.utop = Unit(math.tanh(u0.value), 0.0)
        return self.utop

    def backward(self):
        self.u0.grad += (1 - self.utop.value**2) * self.utop.grad
