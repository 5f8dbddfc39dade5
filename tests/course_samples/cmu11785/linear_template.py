"""The HW1P1 handout as given: every TODO still None."""

import numpy as np  # noqa: F401  (the handout imports it)


class Linear:
    def __init__(self, in_features, out_features, debug=False):
        self.W = None  # TODO
        self.b = None  # TODO

    def forward(self, A):
        self.A = None  # TODO
        Z = None  # TODO
        return Z

    def backward(self, dLdZ):
        dLdA = None  # TODO
        self.dLdW = None  # TODO
        self.dLdb = None  # TODO
        return dLdA
