"""Rewrites what its worker tells the judge about the pairs the oracle has no reference for.

The judge draws the inputs of such a pair from the worker's description: a description
without its inputs, one with shapes of 9e10 elements, one with a shape of text. Each
pair must become one ``error`` row, and the class must go on.
"""

import numpy as np

import oracle.course.isolation.worker as _worker

_describe = _worker._spec
FORGERIES = {
    "scale": lambda spec: {k: v for k, v in spec.items() if k != "inputs"},
    "double": lambda spec: {**spec, "shapes": [[[300000, 300000]]]},
    "triple": lambda spec: {**spec, "shapes": [[["x"]]]},
}


def _forged(ref):
    spec = _describe(ref)
    return FORGERIES[spec["name"]](spec) if spec and spec["name"] in FORGERIES else spec


_worker._spec = _forged


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def scale_forward(x):
    return 2 * x, x


def scale_backward(dout, cache):
    return 2 * dout


def double_forward(x):
    return 2 * x, x


def double_backward(dout, cache):
    return 2 * dout


def triple_forward(x):
    return 3 * x, x


def triple_backward(dout, cache):
    return 3 * dout
