"""A student's HW3P1 RNNCell, right: gradients added to, divided by the batch size."""

import numpy as np


class RNNCell:
    def __init__(self, input_size, hidden_size):
        self.W_ih = np.random.randn(hidden_size, input_size)
        self.W_hh = np.random.randn(hidden_size, hidden_size)
        self.b_ih = np.random.randn(hidden_size)
        self.b_hh = np.random.randn(hidden_size)
        self.zero_grad()

    def init_weights(self, W_ih, W_hh, b_ih, b_hh):
        self.W_ih, self.W_hh, self.b_ih, self.b_hh = W_ih, W_hh, b_ih, b_hh

    def zero_grad(self):
        self.dW_ih = np.zeros_like(self.W_ih)
        self.dW_hh = np.zeros_like(self.W_hh)
        self.db_ih = np.zeros_like(self.b_ih)
        self.db_hh = np.zeros_like(self.b_hh)

    def forward(self, x, h_prev_t):
        return np.tanh(x @ self.W_ih.T + self.b_ih + h_prev_t @ self.W_hh.T + self.b_hh)

    def backward(self, delta, h_t, h_prev_l, h_prev_t):
        N = delta.shape[0]
        dz = delta * (1 - h_t**2)
        self.dW_ih += dz.T @ h_prev_l / N
        self.dW_hh += dz.T @ h_prev_t / N
        self.db_ih += dz.sum(axis=0) / N
        self.db_hh += dz.sum(axis=0) / N
        return dz @ self.W_ih, dz @ self.W_hh
