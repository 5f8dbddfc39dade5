"""What the engine accepts: its one error, the types of gate attributes, shapes and data.

Every gate declares its attributes with a type from here, e.g. ``c=Attr(NUMBER)`` or
``axis=Attr(AXIS, default=None)``. Each type is one check that turns a value (parsed from
JSON or passed from Python) into the form the gate's forward expects, or raises
``ValueError`` saying what the value must be. The graph format (``reference.graph``) and
the ``Value`` API (``reference.engine.apply``) run the same checks, so they accept and
refuse the same things, and both report a refusal as a ``GraphError`` naming the culprit.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Array = np.ndarray
Shape = tuple[int, ...]

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))  # the dtypes the engine computes in
MAX_DIMS = 64  # numpy's limit on an array's number of dimensions (NPY_MAXDIMS)
MAX_EXACT_INT = 2**53  # every integer up to this magnitude is exactly a float64; beyond it, not all are
INTEGERS = (int, np.integer)  # numpy's integers too: np.int64(3) is a fine dimension or axis
REALS = (float, np.floating)
BOOLS = (bool, np.bool_)


class GraphError(ValueError):
    """An invalid graph, case, value or gate call; the message names the culprit."""


# ------------------------------------------------------------ attribute types


@dataclass(frozen=True)
class AttrType:
    """A kind of attribute: ``check(value)`` returns the value as the gate wants it, or raises ValueError.

    Checked values are hashable (numbers, bools, None, tuples): the engine remembers by them
    which calls it has already checked.
    """

    name: str
    check: Callable[[Any], Any]


REQUIRED: Any = object()  # the default of an attribute that has none


@dataclass(frozen=True)
class Attr:
    """One attribute of a gate: its type, and its default (none: the attribute is required)."""

    kind: AttrType
    default: Any = REQUIRED

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


def is_int(value: Any) -> bool:
    """A Python or numpy integer, not a bool (True is an int in Python, but never a dimension)."""
    return isinstance(value, INTEGERS) and not isinstance(value, bool)


def int_tuple(value: Any) -> tuple[int, ...] | None:
    """A list or tuple of integers (or a 1-D integer array) as a tuple of Python ints; None if it is not."""
    if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind in "iu":
        return tuple(int(v) for v in value.tolist())
    if isinstance(value, list | tuple) and all(is_int(v) for v in value):
        return tuple(int(v) for v in value)
    return None


def _number(value: Any) -> int | float:
    if is_int(value):
        if abs(int(value)) > MAX_EXACT_INT:
            raise ValueError(
                "must be a finite number that float64 holds exactly (an integer of magnitude at most "
                f"2**53; write larger ones as floats), got {value!r}"
            )
        return int(value)
    if isinstance(value, REALS) and math.isfinite(value):
        return float(value)
    raise ValueError(f"must be a finite number, got {value!r}")


def _axis(value: Any) -> int | None:
    if value is None:
        return None
    if is_int(value):
        return int(value)
    raise ValueError(f"must be an integer or None (null in JSON): one axis, or all of them; got {value!r}")


def _bool(value: Any) -> bool:
    if isinstance(value, BOOLS):
        return bool(value)
    raise ValueError(f"must be true or false, got {value!r}")


def _target_shape(value: Any) -> tuple[int, ...]:
    dims = int_tuple(value)
    if dims is None:
        raise ValueError(f"must be a list of integers, got {value!r}")
    if len(dims) > MAX_DIMS:
        raise ValueError(f"has {len(dims)} dimensions; numpy supports at most {MAX_DIMS}")
    return dims


def _labels(value: Any) -> tuple[int, ...]:
    labels = int_tuple(value)
    if labels is None:
        raise ValueError(f"must be a list of integers, got {value!r}")
    return labels


NUMBER = AttrType("number", _number)  # a finite int or float, e.g. add_const's c
AXIS = AttrType("axis", _axis)  # one axis (negative counts from the end), or None for all of them
BOOL = AttrType("bool", _bool)
SHAPE = AttrType("shape", _target_shape)  # reshape's target: integers, one of them may be -1
LABELS = AttrType("labels", _labels)  # one class index per row of the scores


def check_declaration(name: str, arity: int, forward: Callable[..., Any], attrs: dict[str, Attr]) -> None:
    """A gate's declaration against its forward: ``arity`` inputs, then the declared attrs as keywords."""
    params = inspect.signature(forward).parameters.values()
    inputs = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    keywords = [p.name for p in params if p.kind is p.KEYWORD_ONLY]
    if len(inputs) != arity:
        raise TypeError(f"gate {name!r}: forward takes inputs {inputs}, declared {arity} input(s)")
    if keywords != list(attrs):
        raise TypeError(
            f"gate {name!r}: forward's keywords {keywords} are not the declared attrs {list(attrs)}"
        )
    for attr_name, attr in attrs.items():
        if not isinstance(attr, Attr):
            raise TypeError(f"gate {name!r}: attr {attr_name!r} must be declared as Attr(TYPE[, default])")
        try:
            if not attr.required and attr.kind.check(attr.default) != attr.default:
                raise ValueError(f"is not in the form {attr.kind.name} takes")
        except ValueError as exc:
            raise TypeError(f"gate {name!r}: the default of attr {attr_name!r} {exc}") from None


# ------------------------------------------------------------- shapes and data


def dims(value: Any) -> Shape:
    """An input's shape: a list of positive integers, at most numpy's 64 of them."""
    shape = int_tuple(value)
    if shape is None or not all(d > 0 for d in shape):
        raise ValueError(f"shape must be a list of positive integers, got {value!r}")
    if len(shape) > MAX_DIMS:
        raise ValueError(f"shape has {len(shape)} dimensions; numpy supports at most {MAX_DIMS}")
    return shape


def real_array(data: Any) -> Array:
    """``data`` as an array of bools, integers or floats; anything else (None, complex, text) is refused."""
    try:
        array = np.asarray(data)
    except (TypeError, ValueError) as exc:  # ragged lists, or nested deeper than 64
        raise ValueError(f"not a number or a (nested) list of numbers ({exc})") from None
    if array.dtype.kind not in "biuf":
        raise ValueError(f"not a number or a (nested) list of real numbers, got {_brief(data)}")
    return array


def _brief(data: Any) -> str:
    text = repr(data)
    return text if len(text) <= 60 else text[:57] + "..."
