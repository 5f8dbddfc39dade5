"""NumPy 1's ``float()`` and ``int()`` of a one-element array, for course code of its years.

NumPy 1.x turned an array of one element, of any shape, into a Python number: deeplearning.ai's
``conv_single_step`` of 2020 ends ``Z = Z + float(b)`` with ``b`` of shape (1, 1, 1). NumPy 2
refuses it (``TypeError: only 0-dimensional arrays can be converted to Python scalars``). That
code is correct on the NumPy its course ran, and a version change is not the student's bug:
a call that fails with that message is run once more on inputs viewed as ``OneElement``
arrays, which convert as NumPy 1 did (and pass the view on through slicing, arithmetic and
NumPy's functions: ``row, col = np.where(window == window.max())`` then ``int(row)``, a 2019
max-pooling backward, takes an array derived from an input), and what that run gives is
judged (or its next error, an unfinished backward say), the row noting why (``NOTE``, a
warning, not a failure). An array of several elements still refuses, as in every NumPy; a
call refused again keeps its first error, whose detail names the NumPy 2 change
(``oracle.course.calling.hints``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome

REFUSED = "only 0-dimensional arrays can be converted to Python scalars"  # NumPy 2's TypeError
NOTE = (
    "run again with NumPy 1's float()/int() of a one-element array (such as b of shape (1, 1, 1)), which "
    "NumPy 2 refuses with a TypeError: b.item() or np.squeeze(b) works in both"
)


class OneElement(np.ndarray):
    """An array whose ``float()`` and ``int()`` take any one-element shape, as NumPy 1's did."""

    def __float__(self) -> float:
        return float(self.view(np.ndarray).reshape(-1)[0] if self.size == 1 else self.view(np.ndarray))

    def __int__(self) -> int:
        return int(self.view(np.ndarray).reshape(-1)[0] if self.size == 1 else self.view(np.ndarray))

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        """NumPy's function, its arrays (``np.where``'s indices: always plain) viewed as ``OneElement``."""
        return _derived(super().__array_function__(func, types, args, kwargs))

    def nonzero(self) -> Any:
        return _derived(super().nonzero())


def _derived(value: Any) -> Any:
    """An array computed from a ``OneElement`` one, viewed as such (also inside a tuple or list)."""
    if type(value) is np.ndarray:
        return value.view(OneElement)
    if type(value) in (tuple, list):
        return type(value)(_derived(v) for v in value)
    return value


def refused(error: str) -> bool:
    """Whether a call's error is NumPy 2 refusing ``float()`` or ``int()`` of an array that is not 0-d."""
    return REFUSED in error


def lenient(value: Any) -> Any:
    """An input for the second run: an array viewed as ``OneElement``; anything else as it is."""
    return value.view(OneElement) if type(value) is np.ndarray else value


def plain(value: Any) -> Any:
    """``value`` with every ``OneElement`` viewed as a plain array again (what is judged and sent back)."""
    if isinstance(value, OneElement):
        return value.view(np.ndarray)
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(plain(v) for v in value)
    return value


def plain_outcome(outcome: Outcome) -> Outcome:
    outcome.out = plain(outcome.out)
    outcome.grads = plain(outcome.grads)
    outcome.extras = plain(outcome.extras)
    return outcome
