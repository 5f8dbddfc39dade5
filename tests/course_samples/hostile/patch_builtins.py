"""A wrong gradient, and ``builtins.any`` patched at import so that it never finds anything.

In the checker's own process the exit code then says clean (``any(r.failed for r in
records)`` is False), whatever the rows say; in a worker only the worker's builtins change.
"""

import builtins

import numpy as np

builtins.any = lambda iterable: False


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return dout * (cache < 0)  # the mask is the wrong way round
