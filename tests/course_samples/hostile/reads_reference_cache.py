"""Goes after the checker's cache of JAX's answers (BACKPROP_ORACLE_JAX_CACHE/references).

It tries to list and read the stored answers (a copy of JAX's gradients would let it pass
without deriving anything) and to plant a file of its own among them. Its relu_backward
forgets the mask (wrong on purpose) unless it could read an entry.
"""

import contextlib
import os

import numpy as np

folder = os.path.join(os.environ.get("BACKPROP_ORACLE_JAX_CACHE", "/nonexistent"), "references")
read = []
with contextlib.suppress(OSError):
    for name in os.listdir(folder):
        with contextlib.suppress(OSError), open(os.path.join(folder, name), "rb") as handle:
            read.append(handle.read())
with contextlib.suppress(OSError), open(os.path.join(folder, "planted.entry"), "wb") as handle:
    handle.write(b"backprop-oracle reference v1\n")


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    if read:
        return dout * (cache > 0)
    return dout.copy()
