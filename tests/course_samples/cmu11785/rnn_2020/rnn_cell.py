"""A student's Fall 2020 RNN_Cell, its Tanh from the activation module beside it."""

import numpy as np
from activation import *  # noqa: F403


class RNN_Cell:
    def __init__(self, input_size, hidden_size):
        self.W_ih = np.random.randn(hidden_size, input_size)
        self.W_hh = np.random.randn(hidden_size, hidden_size)
        self.b_ih = np.random.randn(hidden_size)
        self.b_hh = np.random.randn(hidden_size)
        self.activation = Tanh()  # noqa: F405
        self.zero_grad()

    def init_weights(self, W_ih, W_hh, b_ih, b_hh):
        self.W_ih, self.W_hh, self.b_ih, self.b_hh = W_ih, W_hh, b_ih, b_hh

    def zero_grad(self):
        self.dW_ih = np.zeros_like(self.W_ih)
        self.dW_hh = np.zeros_like(self.W_hh)
        self.db_ih = np.zeros_like(self.b_ih)
        self.db_hh = np.zeros_like(self.b_hh)

    def forward(self, x, h):
        return self.activation(x @ self.W_ih.T + self.b_ih + h @ self.W_hh.T + self.b_hh)

    def backward(self, delta, h, h_prev_l, h_prev_t):
        batch = delta.shape[0]
        dz = self.activation.derivative(state=h) * delta
        self.dW_ih += dz.T @ h_prev_l / batch
        self.dW_hh += dz.T @ h_prev_t / batch
        self.db_ih += dz.mean(axis=0)
        self.db_hh += dz.mean(axis=0)
        return dz @ self.W_ih, dz @ self.W_hh
