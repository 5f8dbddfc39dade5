"""Wrong gradients, and numpy patched at import so that every difference measures zero.

In the checker's own process this turns every row into ``match``: the comparison
measures |student - jax| with ``np.abs``. In a worker it patches the worker's numpy only.
"""

import numpy as np

_zeros_like = np.zeros_like
np.abs = lambda x, *args, **kwargs: _zeros_like(np.asarray(x), dtype=float)
np.absolute = np.abs
np.allclose = lambda *args, **kwargs: True


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return -dout * (cache > 0)  # wrong sign


def sigmoid_forward(x):
    out = 1 / (1 + np.exp(-x))
    return out, out


def sigmoid_backward(dout, cache):
    return dout * cache  # forgot (1 - out)
