"""JAX in 64-bit mode for the duration of a check, whatever the process's own setting.

``import oracle`` turns JAX's x64 mode on for the whole process (``oracle/__init__.py``),
except in a Jupyter or Colab kernel, where the student's own JAX code must keep the
config it had. There the course checks turn it on around their own work only: these
functions are the entry points that compute JAX references (``oracle.course``'s checks and
``oracle.check``). ``jax.enable_x64`` is a context that restores the previous value.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from oracle.core.lazy_jax import jax

P = ParamSpec("P")
R = TypeVar("R")


def in_x64(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` run with JAX's x64 mode on, and the mode as it was afterwards."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with jax.enable_x64(True):
            return fn(*args, **kwargs)

    return wrapper
