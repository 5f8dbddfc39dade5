"""An engine whose multiplication ends the interpreter (a hostile sample)."""

import os


class Value:
    def __init__(self, data):
        self.data = data
        self.grad = 0.0

    def __add__(self, other):
        return Value(self.data + other.data)

    def __mul__(self, other):
        os._exit(3)

    def backward(self):
        self.grad = 1.0
