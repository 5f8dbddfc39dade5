"""One realistic bug in every known gate, layer and loss: each must be caught."""

import numpy as np

# ------------------------------------------------------------------ gates


class AddGate:
    def forward(self, x, y):
        return x + y

    def backward(self, dz):
        return [np.ones_like(dz), np.ones_like(dz)]  # forgot the upstream gradient


class MultiplyGate:
    def forward(self, x, y):
        self.x = x
        self.y = y
        return x * y

    def backward(self, dz):
        return [self.x * dz, self.y * dz]  # swapped


class MaxGate:
    def forward(self, x, y):
        self.x_wins = x >= y
        return np.maximum(x, y)

    def backward(self, dz):
        return [dz * ~self.x_wins, dz * self.x_wins]  # routes the gradient to the loser


class NegGate:
    def forward(self, x):
        return -x

    def backward(self, dz):
        return [dz]  # forgot the sign


class ReciprocalGate:
    def forward(self, x):
        self.x = x
        return 1.0 / x

    def backward(self, dz):
        return [dz / self.x**2]  # forgot the minus


class ExpGate:
    def forward(self, x):
        self.out = np.exp(x)
        return self.out

    def backward(self, dz):
        return [self.out]  # forgot the upstream gradient


class LogGate:
    def forward(self, x):
        self.x = x
        return np.log(x)

    def backward(self, dz):
        return [dz * np.log(self.x)]  # the output, not the local gradient


class SqrtGate:
    def forward(self, x):
        self.out = np.sqrt(x)
        return self.out

    def backward(self, dz):
        return [dz / self.out]  # forgot the factor 1/2


class SquareGate:
    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, dz):
        return [self.x * dz]  # forgot the factor 2


class TanhGate:
    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dz):
        return [dz * (1 - self.out)]  # forgot the square


class SigmoidGate:
    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dz):
        return [self.out * (1 - self.out)]  # forgot the upstream gradient


class ReluGate:
    def forward(self, x):
        self.x = x
        return np.maximum(0, x)

    def backward(self, dz):
        return [np.asarray(dz * (self.x > 0), dtype=np.float32)]  # wrong dtype


class AbsGate:
    def forward(self, x):
        self.x = x
        return np.abs(x)

    def backward(self, dz):
        return [(dz * np.sign(self.x)).ravel()]  # wrong shape


# ----------------------------------------------------------------- layers


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, _ = cache
    dx = dout.dot(w.T)  # missing the reshape to x's shape
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return (cache > 0).astype(float)  # forgot the upstream gradient


def sigmoid_forward(x):
    out = 1 / (1 + np.exp(-x))
    return out, out


def sigmoid_backward(dout, cache):
    return dout * cache * (cache - 1)  # wrong sign


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    return dout * (1 - np.tanh(cache) ** 2)  # the cache already holds tanh(x)


# ------------------------------------------------------------------ losses


def svm_loss(x, y):
    N = x.shape[0]
    margins = np.maximum(0, x - x[np.arange(N), y][:, np.newaxis] + 1.0)
    margins[np.arange(N), y] = 0
    loss = np.sum(margins) / N
    dx = (margins > 0).astype(float)
    dx[np.arange(N), y] -= np.sum(margins > 0, axis=1)
    return loss, dx  # forgot the division by N


def softmax_loss(x, y):
    shifted = x - np.max(x, axis=1, keepdims=True)
    probs = np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True)
    N = x.shape[0]
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    dx = probs / N  # forgot to subtract 1 at the correct class
    return loss, dx
