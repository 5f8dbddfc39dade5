"""Run a function on ``jax`` right after it is imported, by whoever imports it first.

``oracle/__init__.py`` sets JAX up (64-bit mode, the compilation cache) this way instead of
importing JAX itself, so a check that never needs JAX never pays for it
(``oracle.core.lazy_jax``), while every ``import jax`` (ours, or a student's in a worker)
still gets the settings before its first computation.

This module imports nothing of JAX's.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any


class _Then(importlib.abc.Loader):
    """JAX's own loader, then ``after(jax)``."""

    def __init__(self, loader: Any, after: Callable[[ModuleType], None]) -> None:
        self.loader, self.after = loader, after

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        created: ModuleType | None = self.loader.create_module(spec)
        return created

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        self.after(module)

    def __getattr__(self, name: str) -> Any:  # resource readers and the like: JAX's loader's
        return getattr(self.loader, name)


class _Finder(importlib.abc.MetaPathFinder):
    """Finds ``jax`` as the other finders do, once, and wraps its loader."""

    def __init__(self, after: Callable[[ModuleType], None]) -> None:
        self.after = after

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name != "jax":
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)  # once, and not while the others search
        spec = importlib.util.find_spec(name)  # the finders after this one
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _Then(spec.loader, self.after)
        return spec


def after_import(after: Callable[[ModuleType], None]) -> None:
    """``after(jax)`` now if JAX is imported, else right after its import."""
    if "jax" in sys.modules:
        after(sys.modules["jax"])
    else:
        sys.meta_path.insert(0, _Finder(after))
