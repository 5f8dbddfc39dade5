"""The HW3 handout's kind of Tanh: derivative() takes the state the cell saved."""

import numpy as np


class Tanh:
    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        self.state = np.tanh(x)
        return self.state

    def derivative(self, state=None):
        return 1 - (self.state if state is None else state) ** 2
