"""The second assignment's two-layer network, built from the package's layers (relative imports)."""

import numpy as np

from ..layer_utils import *  # noqa: F403
from ..layers import *  # noqa: F403


class TwoLayerNet:
    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
        self.params = {}
        self.reg = reg
        self.params["W1"] = weight_scale * np.random.randn(input_dim, hidden_dim)
        self.params["b1"] = np.zeros(hidden_dim)
        self.params["W2"] = weight_scale * np.random.randn(hidden_dim, num_classes)
        self.params["b2"] = np.zeros(num_classes)

    def loss(self, X, y=None):
        hidden, cache1 = affine_relu_forward(X, self.params["W1"], self.params["b1"])  # noqa: F405
        scores, cache2 = affine_forward(hidden, self.params["W2"], self.params["b2"])  # noqa: F405
        if y is None:
            return scores
        loss, dscores = softmax_loss(scores, y)  # noqa: F405
        loss += 0.5 * self.reg * (np.sum(self.params["W1"] ** 2) + np.sum(self.params["W2"] ** 2))
        dhidden, dW2, db2 = affine_backward(dscores, cache2)  # noqa: F405
        _, dW1, db1 = affine_relu_backward(dhidden, cache1)  # noqa: F405
        grads = {"W1": dW1 + self.reg * self.params["W1"], "b1": db1}
        grads["W2"] = dW2 + self.reg * self.params["W2"]
        grads["b2"] = db2
        return loss, grads
