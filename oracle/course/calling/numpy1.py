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

Two more names of NumPy 1 that NumPy 2 removed get the same rerun, under ``api()``: the
aliases ``np.int``, ``np.float``... (``np.int(H / 2)`` in a 2020 ``ThreeLayerConvNet``),
``np.lib.pad`` (a 2016 ``conv_forward_naive`` ported to Python 3) and
reshape's ``newshape`` keyword (``np.reshape(dx, newshape=x.shape)``, a 2020
``affine_backward``); ``api()`` puts them back on the numpy module for the rerun only, in
the process that runs the student's code, and the row says so (``API_NOTE``).

The same for ``np.sum`` of a generator (CS224n 2017's ``np.sum((v[i] for i in ...), axis=0)``):
NumPy 1 warned and returned Python's ``sum`` of its items; NumPy 2 raises a TypeError. A call
that fails with it runs once more with ``np.sum`` doing what NumPy 1 did (``generator_sum``),
noted on the row (``GENERATOR_NOTE``).
"""

from __future__ import annotations

import builtins
import contextlib
import re
import types
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome

REFUSED = "only 0-dimensional arrays can be converted to Python scalars"  # NumPy 2's TypeError
NOTE = (
    "run again with NumPy 1's float()/int() of a one-element array (such as b of shape (1, 1, 1)), which "
    "NumPy 2 refuses with a TypeError: b.item() or np.squeeze(b) works in both"
)
# NumPy 1's names that NumPy 2 removed: the error each gives, and what the rerun restores.
REMOVED = re.compile(
    r"unexpected keyword argument 'newshape'|module '(numpy(?:\.lib)?)' has no attribute '(\w+)'"
)
BUILTINS = {"int": int, "float": float, "complex": complex, "object": object, "str": str}  # gone in 1.24
ALIASES: dict[tuple[str, str], Any] = {("numpy", n): t for n, t in BUILTINS.items()}  # (module, name) -> it
ALIASES["numpy.lib", "pad"] = np.pad  # gone in NumPy 2.0
API_NOTE = (
    "run again with NumPy 1's np.int, np.float..., np.lib.pad and reshape(newshape=...), which NumPy 2 "
    "removed: int, float, np.pad and reshape(x, shape) work in both"
)


GENERATOR = "Calling np.sum(generator) is deprecated"  # NumPy 2's TypeError
GENERATOR_NOTE = (
    "run again with NumPy 1's np.sum of a generator (Python's sum of its items), which NumPy 2 refuses "
    "with a TypeError: np.sum([...]) of a list works in both"
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
    """Whether a call's error is NumPy 2 refusing ``float()`` or ``int()`` of an array that is not 0-d,
    or one of NumPy 1's names that NumPy 2 removed."""
    return REFUSED in error or removed(error)


def removed(error: str) -> bool:
    """Whether a call's error is a name of NumPy 1 that NumPy 2 removed (``api()`` restores it)."""
    found = REMOVED.search(error)
    return found is not None and (found.group(1) is None or found.group(1, 2) in ALIASES)


@contextlib.contextmanager
def api() -> Iterator[None]:
    """NumPy 1's ``np.int``, ``np.float``..., ``np.lib.pad``, ``np.reshape(a, newshape=...)``, until exit."""
    plain_reshape = np.reshape
    modules = {"numpy": np, "numpy.lib": np.lib}
    added = [(modules[m], name) for m, name in ALIASES if name not in vars(modules[m])]

    def reshape(a: Any, *args: Any, newshape: Any = None, **kwargs: Any) -> Any:
        if newshape is not None and not args and "shape" not in kwargs:
            kwargs["shape"] = newshape
        return plain_reshape(a, *args, **kwargs)

    try:
        for module, name in added:
            setattr(module, name, ALIASES[module.__name__, name])
        np.reshape = reshape
        yield
    finally:
        np.reshape = plain_reshape
        for module, name in added:
            vars(module).pop(name, None)


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


@contextlib.contextmanager
def generator_sum() -> Iterator[None]:
    """``np.sum`` of a generator as NumPy 1 computed it, Python's ``sum`` (axis ignored), meanwhile."""
    original = np.sum

    def numpy1_sum(a: Any, *args: Any, **kwargs: Any) -> Any:
        return builtins.sum(a) if isinstance(a, types.GeneratorType) else original(a, *args, **kwargs)

    np.sum = numpy1_sum
    try:
        yield
    finally:
        np.sum = original


def retried(outcome: Outcome, rerun: Callable[[bool], Outcome]) -> Outcome:
    """``outcome``, or a second run's (``rerun(lenient)``) where NumPy 2 refused what NumPy 1 did:
    judged, or its next error, noted on the row; refused again, the first error stays."""
    if refused(outcome.error):
        note = API_NOTE if removed(outcome.error) else NOTE
        with api():
            again = rerun(True)
        if not refused(again.error):  # past the conversion
            again = plain_outcome(again)
            again.warning = "; ".join(w for w in (again.warning, note) if w)
            return again
    elif GENERATOR in outcome.error:
        with generator_sum():
            again = rerun(False)
        if GENERATOR not in again.error:
            again.warning = "; ".join(w for w in (again.warning, GENERATOR_NOTE) if w)
            return again
    return outcome
