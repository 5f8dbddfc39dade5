"""JAX's names, imported on first use: ``from oracle.core.lazy_jax import jax, jnp``.

A check whose references all come from the cache of JAX's answers
(``oracle.course.judging.result_cache``) never runs JAX, and importing it is most of such a
check's time. The course modules and the judging machinery name JAX this way instead of
``import jax`` and ``import jax.numpy as jnp``, so importing them imports no JAX.

- ``jnp.tanh``, ``jax.nn.gelu``, ``jax.Array``: once JAX is imported (by anyone), the real
  object, so code that runs after JAX loads sees no difference.
- Before that, a ``Lazy`` name. Calling it imports JAX and calls the real function (a
  ``Lazy`` among its arguments is resolved first, as in ``jnp.asarray(x, jnp.float64)``),
  so a reference stored at import time (``REFS = {"tanh": jnp.tanh}``) costs nothing until
  it is called. Anything else (arithmetic on ``jnp.pi``, ``isinstance(x, jax.Array)``)
  fails loudly with a TypeError: such uses import JAX first (``load()``).

The same functions run, so the same bits. JAX's settings (64-bit mode, the compilation
cache) are applied wherever JAX is imported, by ``oracle/__init__.py``'s import hook.
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any


def load() -> Any:
    """Import JAX (configured by ``oracle``'s hook) and jax.numpy; returns ``jax``."""
    importlib.import_module("jax.numpy")
    return sys.modules["jax"]


def _resolve(path: str) -> Any:
    """The object a dotted path names, importing modules along the way (``jax.nn.gelu``)."""
    first, *rest = path.split(".")
    found: Any = importlib.import_module(first)
    if first == "jax":
        load()
    done = first
    for part in rest:
        done = f"{done}.{part}"
        try:
            found = getattr(found, part)
        except AttributeError:
            found = importlib.import_module(done)
    return found


class Lazy:
    """A dotted name in JAX, resolved when called or once JAX is imported."""

    __slots__ = ("_found", "_path")

    def __init__(self, path: str) -> None:
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_found", None)

    def resolve(self) -> Any:
        if self._found is None:
            object.__setattr__(self, "_found", _resolve(self._path))
        return self._found

    def __getattr__(self, name: str) -> Any:
        if name in Lazy.__slots__:  # an unpickled or half-made instance: no recursion
            raise AttributeError(name)
        if "jax" in sys.modules:  # loaded: the real thing
            return getattr(self.resolve(), name)
        if name.startswith("__"):  # copy, inspect, pickle ask for these: not JAX names
            raise AttributeError(name)
        return Lazy(f"{self._path}.{name}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        args = tuple(a.resolve() if isinstance(a, Lazy) else a for a in args)
        kwargs = {k: v.resolve() if isinstance(v, Lazy) else v for k, v in kwargs.items()}
        return self.resolve()(*args, **kwargs)

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return Lazy, (self._path,)

    def __repr__(self) -> str:
        return f"<JAX's {self._path}, imported on first use>"


def dotted_name(obj: Any) -> str:
    """What ``obj`` is called, JAX imported or not: a ``Lazy``'s path (``jax.numpy.tanh``), else
    its module and qualified name."""
    if isinstance(obj, Lazy):
        return str(object.__getattribute__(obj, "_path"))
    return f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}"


def jitted(fn: Callable[..., Any], **options: Any) -> Callable[..., Any]:
    """``jax.jit(fn, **options)``, made on the first call: for a jitted function declared at import."""
    made: list[Callable[..., Any]] = []

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        if not made:
            made.append(load().jit(fn, **options))
        return made[0](*args, **kwargs)

    return run


def made_on_first_call(maker: Callable[..., Callable[..., Any]]) -> Callable[..., Callable[..., Any]]:
    """A maker of JAX functions (``jax.custom_jvp`` and the like), deferred: the function it
    returns makes the real one (with the same arguments) on its first call, and calls it."""

    @functools.wraps(maker)
    def deferred(*args: Any, **kwargs: Any) -> Callable[..., Any]:
        made: list[Callable[..., Any]] = []

        def run(*inner: Any, **named: Any) -> Any:
            if not made:
                made.append(maker(*args, **kwargs))
            return made[0](*inner, **named)

        return run

    return deferred


if TYPE_CHECKING:
    import jax
    import jax.numpy as jnp
    from jax import lax
else:
    jax = Lazy("jax")
    jnp = Lazy("jax.numpy")
    lax = Lazy("jax.lax")
