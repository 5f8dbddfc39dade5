"""A file as the book writes them: the book's nnfs package, its data set and a training run at import."""

import nnfs
import numpy as np
from nnfs.datasets import spiral_data

nnfs.init()


class Activation_ReLU:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.maximum(0, inputs)

    def backward(self, dvalues):
        self.dinputs = dvalues.copy()
        self.dinputs[self.inputs <= 0] = 0


X, y = spiral_data(samples=100, classes=3)
activation = Activation_ReLU()
activation.forward(X)
