"""My classes with the mistakes I made on the way, one per class."""

import numpy as np


class Layer_Dense:
    def __init__(self, n_inputs, n_neurons):
        self.weights = 0.01 * np.random.randn(n_inputs, n_neurons)
        self.biases = np.zeros((1, n_neurons))

    def forward(self, inputs, training):
        self.inputs = inputs
        self.output = inputs @ self.weights + self.biases

    def backward(self, dvalues):
        self.dweights = self.inputs.T @ dvalues
        self.dbiases = np.sum(dvalues, axis=1, keepdims=True)  # the wrong axis
        self.dinputs = dvalues @ self.weights.T


class Activation_Softmax:
    def forward(self, inputs, training):
        exps = np.exp(inputs - np.max(inputs, axis=1, keepdims=True))
        self.output = exps / np.sum(exps, axis=1, keepdims=True)

    def backward(self, dvalues):
        self.dinputs = dvalues * self.output * (1 - self.output)  # the diagonal only


class Activation_Sigmoid:
    def forward(self, inputs, training):
        self.output = 1 / (1 + np.exp(-inputs))

    def backward(self, dvalues):
        s = 1 / (1 + np.exp(-self.output))  # sigmoid of the output again
        self.dinputs = dvalues * s * (1 - s)


class Layer_Dropout:
    def __init__(self, rate):
        self.rate = 1 - rate

    def forward(self, inputs, training):
        self.binary_mask = np.random.binomial(1, self.rate, size=inputs.shape)  # forgot the scaling
        self.output = inputs * self.binary_mask

    def backward(self, dvalues):
        self.dinputs = dvalues * self.binary_mask


class Loss_MeanSquaredError:
    def forward(self, y_pred, y_true):
        return np.mean((y_true - y_pred) ** 2, axis=-1)

    def backward(self, dvalues, y_true):
        self.dinputs = -2 * (y_true - dvalues) / len(dvalues)  # not divided by the outputs


class Loss_MeanAbsoluteError:
    def forward(self, y_pred, y_true):
        return np.mean(np.abs(y_true - y_pred), axis=-1)

    def backward(self, dvalues, y_true):
        samples, outputs = dvalues.shape
        self.dinputs = np.sign(y_true - dvalues) / outputs / samples  # as printed in the book
