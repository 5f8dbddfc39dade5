"""A student's HW2P1 scanning MLP, whose layers come from a module that is not beside it."""

from mytorch_layers import *  # noqa: F403  (the handout puts mytorch on sys.path)


class CNN_SimpleScanningMLP:
    def __init__(self):
        self.conv1 = Conv1d(24, 8, 8, 4)  # noqa: F405
        self.layers = [self.conv1]

    def forward(self, A):
        return self.conv1.forward(A)

    def backward(self, dLdZ):
        return self.conv1.backward(dLdZ)
