"""Reads every classmate's code, keeps copies in /tmp and the output folder, and uses their relu_backward.

Its own relu_backward forgets the mask (wrong on purpose): it gets a match only if it
could read a classmate's file and borrow the right one.
"""

import contextlib
import os
import shutil

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
borrowed = None

for folder in (HERE, os.path.dirname(HERE)):
    try:
        names = os.listdir(folder)
    except OSError:
        continue
    for name in names:
        path = os.path.join(folder, name)
        if not name.endswith(".py") or os.path.abspath(path) == os.path.abspath(__file__):
            continue
        try:
            with open(path) as f:
                code = f.read()
        except OSError:
            continue
        for copy in ("/tmp", os.environ.get("HOSTILE_OUT", "/tmp")):
            with contextlib.suppress(OSError):
                shutil.copy(path, os.path.join(copy, "stolen-" + name))
        if "def relu_backward" in code and borrowed is None:
            space = {}
            try:
                exec(compile(code, path, "exec"), space)
                borrowed = space["relu_backward"]
            except Exception:
                pass


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    if borrowed is not None:
        return borrowed(dout, cache)
    return dout.copy()
