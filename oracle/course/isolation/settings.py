"""A target's settings across the wire: dicts, lists, tuples, numbers, text and arrays, as JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def put_settings(settings: Any, arrays: list[np.ndarray]) -> Any:
    """The judge's side: a target's settings (dicts, lists, tuples, numbers, text, arrays) as JSON."""
    if isinstance(settings, np.ndarray):
        arrays.append(settings)
        return {"array": len(arrays) - 1}
    if isinstance(settings, np.generic):
        return settings.item()
    if isinstance(settings, Mapping):
        return {"dict": {str(k): put_settings(v, arrays) for k, v in settings.items()}}
    if isinstance(settings, list | tuple):
        kind = "tuple" if isinstance(settings, tuple) else "list"
        return {kind: [put_settings(v, arrays) for v in settings]}
    if settings is None or isinstance(settings, bool | int | float | str):
        return settings
    raise TypeError(f"a setting of type {type(settings).__name__} cannot be sent to a worker")


def get_settings(encoded: Any, arrays: Sequence[np.ndarray]) -> Any:
    """The worker's side of ``put_settings``."""
    if not isinstance(encoded, dict):
        return encoded
    ((kind, value),) = encoded.items()
    if kind == "array":
        return arrays[value].copy()
    if kind == "dict":
        return {k: get_settings(v, arrays) for k, v in value.items()}
    items = [get_settings(v, arrays) for v in value]
    return tuple(items) if kind == "tuple" else items
