"""Looks through the checker's temporary files (its worker's parent folder, /tmp/oracle-*).

Its relu_backward forgets the mask (wrong on purpose) unless it could list the
checker's folder: what it found is also copied to HOSTILE_OUT.
"""

import contextlib
import os
import shutil

import numpy as np


def folders():
    yield os.path.dirname(os.getcwd())  # the checker's folder for its workers
    try:
        names = os.listdir("/tmp")
    except OSError:
        return
    yield from (os.path.join("/tmp", n) for n in names if n.startswith("oracle-"))


seen = []
for folder in folders():
    with contextlib.suppress(OSError):
        seen += [os.path.join(folder, n) for n in os.listdir(folder)]
for path in seen:
    with contextlib.suppress(OSError):
        copy = os.path.join(os.environ.get("HOSTILE_OUT", "/tmp"), "peek-" + os.path.basename(path))
        shutil.copy(path, copy)


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    if seen:
        return dout * (cache > 0)
    return dout.copy()
