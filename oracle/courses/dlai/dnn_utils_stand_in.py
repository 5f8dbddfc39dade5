"""The course's ``dnn_utils`` (``dnn_utils_v2``), for a student's folder that lacks it.

Course 1's "Step by Step" notebook imports ``sigmoid``, ``relu``, ``sigmoid_backward`` and
``relu_backward`` from a helper file the course ships beside it; copies of the notebook often
come without it. The course declares this module as its stand-in (``COURSE.helper_stand_ins``),
served only when no folder of the student's holds one, and every row says so. What each function
does was read off several public copies of the course's file:

- ``sigmoid(Z)`` and ``relu(Z)`` return ``(A, cache)``, the cache being ``Z`` itself;
- ``relu_backward(dA, cache)`` is a copy of ``dA`` set to 0 where the cached ``Z <= 0``;
- ``sigmoid_backward(dA, cache)`` is ``dA * s * (1 - s)``, ``s`` the sigmoid of the cached ``Z``;
- the backward functions refuse a ``dZ`` whose shape is not ``Z``'s, as the course's asserts do.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def sigmoid(Z: Any) -> tuple[Any, Any]:
    """The logistic function of Z, and Z as the cache."""
    return 1 / (1 + np.exp(-Z)), Z


def relu(Z: Any) -> tuple[Any, Any]:
    """max(0, Z) elementwise, and Z as the cache."""
    return np.maximum(0, Z), Z


def relu_backward(dA: Any, cache: Any) -> Any:
    """The gradient with respect to Z: dA where the cached Z is positive, 0 elsewhere (0 at Z == 0)."""
    Z = cache
    dZ = np.array(dA)  # a new array, of dA's dtype: dA itself is left as it was
    dZ[Z <= 0] = 0
    return _shaped_like(dZ, Z, "relu_backward")


def sigmoid_backward(dA: Any, cache: Any) -> Any:
    """The gradient with respect to Z: dA times the sigmoid's derivative s (1 - s) at the cached Z."""
    Z = cache
    s = 1 / (1 + np.exp(-Z))
    return _shaped_like(dA * s * (1 - s), Z, "sigmoid_backward")


def _shaped_like(dZ: Any, Z: Any, name: str) -> Any:
    if np.shape(dZ) != np.shape(Z):
        raise AssertionError(f"{name}: dZ has shape {np.shape(dZ)}, the cached Z {np.shape(Z)}")
    return dZ
