"""The course's ``gc_utils``, for a student's folder that lacks it.

Course 2's "Gradient Checking" notebook imports ``sigmoid``, ``relu``, ``dictionary_to_vector``,
``vector_to_dictionary`` and ``gradients_to_vector`` from a helper file the course ships beside
it. The course declares this module as its stand-in (``COURSE.helper_stand_ins``), served only
when no folder of the student's holds one, and every row says so. What each function does was
read off several public copies of the course's file:

- ``sigmoid(x)`` and ``relu(x)`` return the activation alone (no cache, unlike ``dnn_utils``);
- ``dictionary_to_vector(parameters)`` is ``(theta, keys)``: W1, b1, W2, b2, W3, b3 flattened
  row by row into one column, and each element's parameter name;
- ``vector_to_dictionary(theta)`` cuts such a column back at the assignment's fixed shapes
  (W1 (5, 4), b1 (5, 1), W2 (3, 5), b2 (3, 1), W3 (1, 3), b3 (1, 1));
- ``gradients_to_vector(gradients)`` is the column of dW1, db1... db3, in the same order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

NAMES = ("W1", "b1", "W2", "b2", "W3", "b3")
SHAPES = ((5, 4), (5, 1), (3, 5), (3, 1), (1, 3), (1, 1))  # the assignment's three layers


def sigmoid(x: Any) -> Any:
    """The logistic function of x."""
    return 1 / (1 + np.exp(-x))


def relu(x: Any) -> Any:
    """max(0, x) elementwise."""
    return np.maximum(0, x)


def _column(arrays: list[Any]) -> Any:
    return np.concatenate([np.reshape(a, (-1, 1)) for a in arrays], axis=0)


def dictionary_to_vector(parameters: Any) -> tuple[Any, list[str]]:
    """The parameters as one column, and the name of the parameter each element comes from."""
    arrays = [parameters[name] for name in NAMES]
    keys = [name for name, a in zip(NAMES, arrays, strict=True) for _ in range(np.size(a))]
    return _column(arrays), keys


def vector_to_dictionary(theta: Any) -> dict[str, Any]:
    """The column cut back into the parameters, at the assignment's shapes."""
    parameters, start = {}, 0
    for name, shape in zip(NAMES, SHAPES, strict=True):
        stop = start + int(np.prod(shape))
        parameters[name] = theta[start:stop].reshape(shape)
        start = stop
    return parameters


def gradients_to_vector(gradients: Any) -> Any:
    """dW1, db1, dW2, db2, dW3, db3 as one column, in the order of ``dictionary_to_vector``."""
    return _column([gradients["d" + name] for name in NAMES])
