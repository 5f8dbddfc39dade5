"""A correct implementation of every known gate, layer and loss, as a student would write them."""

import numpy as np

# ------------------------------------------------------------------ gates


class AddGate:
    def forward(self, x, y):
        return x + y

    def backward(self, dz):
        return [dz, dz]


class MultiplyGate:
    def forward(self, x, y):
        z = x * y
        self.x = x
        self.y = y
        return z

    def backward(self, dz):
        dx = self.y * dz
        dy = self.x * dz
        return [dx, dy]


class MaxGate:
    def forward(self, x, y):
        self.x_wins = x >= y
        return np.maximum(x, y)

    def backward(self, dz):
        return [dz * self.x_wins, dz * ~self.x_wins]


class NegGate:
    def forward(self, x):
        return -x

    def backward(self, dz):
        return [-dz]


class ReciprocalGate:
    def forward(self, x):
        self.out = 1.0 / x
        return self.out

    def backward(self, dz):
        return [-dz * self.out**2]


class ExpGate:
    def forward(self, x):
        self.out = np.exp(x)
        return self.out

    def backward(self, dz):
        return [dz * self.out]


class LogGate:
    def forward(self, x):
        self.x = x
        return np.log(x)

    def backward(self, dz):
        return [dz / self.x]


class SqrtGate:
    def forward(self, x):
        self.out = np.sqrt(x)
        return self.out

    def backward(self, dz):
        return [dz / (2 * self.out)]


class SquareGate:
    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, dz):
        return [2 * self.x * dz]


class TanhGate:
    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dz):
        return [dz * (1 - self.out**2)]


class SigmoidGate:
    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dz):
        return [dz * self.out * (1 - self.out)]


class ReluGate:
    def forward(self, x):
        self.x = x
        return np.maximum(0, x)

    def backward(self, dz):
        return [dz * (self.x > 0)]


class AbsGate:
    def forward(self, x):
        self.x = x
        return np.abs(x)

    def backward(self, dz):
        return [np.where(self.x >= 0, dz, -dz)]


# ----------------------------------------------------------------- layers


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    x, w, _ = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    x = cache
    dx = dout.copy()
    dx[x <= 0] = 0
    return dx


def sigmoid_forward(x):
    out = 1 / (1 + np.exp(-x))
    return out, out


def sigmoid_backward(dout, cache):
    out = cache
    return dout * out * (1 - out)


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    return dout * (1 - cache**2)


# ------------------------------------------------------------------ losses


def svm_loss(x, y):
    N = x.shape[0]
    correct_class_scores = x[np.arange(N), y]
    margins = np.maximum(0, x - correct_class_scores[:, np.newaxis] + 1.0)
    margins[np.arange(N), y] = 0
    loss = np.sum(margins) / N
    num_pos = np.sum(margins > 0, axis=1)
    dx = np.zeros_like(x)
    dx[margins > 0] = 1
    dx[np.arange(N), y] -= num_pos
    dx /= N
    return loss, dx


def softmax_loss(x, y):
    shifted_logits = x - np.max(x, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted_logits), axis=1, keepdims=True)
    log_probs = shifted_logits - np.log(Z)
    probs = np.exp(log_probs)
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx
