"""Stand-ins for modules a student's file imports but this machine lacks, while the file imports.

- ``past.builtins`` (Python 2's builtins, from the ``future`` package that 2019-2020 CS231n
  starter files import ``xrange`` from), when ``past`` is not installed: ``PY2_BUILTINS``;
- a module that needs a build step and was never built (a Cython extension): the stand-in
  its course declares (``Course.stand_ins``), served only when no other finder finds it;
- a course's helper module that no folder of the student's holds (deeplearning.ai's
  ``dnn_utils``): the stand-in its course declares (``Course.helper_stand_ins``), made afresh
  for each import, its functions bound to the new module as the helper's own would be. The
  names served are listed, for every row of the file to say so.
- NumPy 1's public names that NumPy 2 moved to a private module (``from numpy.lib.npyio import
  savez_compressed``, an unused import a 2022 CS231n solution's softmax.py has, which made every
  classifier of its first assignment fail to import): ``numpy1_modules``.

Nothing stays behind: what is stood in for leaves ``sys.modules`` when the import is done.
"""

from __future__ import annotations

import functools
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from types import FunctionType, ModuleType
from typing import Any

from oracle.course.calling.missing import STOOD_IN_KEY
from oracle.course.reference import Course

# Python 2's builtins as ``past.builtins`` (the ``future`` package) gives them in Python 3, stood in
# for when ``past`` is not installed: the names with Python 2's meaning (range, map, filter and zip
# return lists). A name not here still fails to import, with the usual one line.
PY2_BUILTINS: dict[str, Any] = {
    "xrange": range,
    "range": lambda *args: list(range(*args)),
    "map": lambda *args: list(map(*args)),
    "filter": lambda *args: list(filter(*args)),
    "zip": lambda *args: list(zip(*args, strict=False)),
    "reduce": functools.reduce,
    "basestring": (str, bytes),
    "unicode": str,
    "long": int,
    "unichr": chr,
    "raw_input": input,
    "intern": sys.intern,
}


@contextmanager
def python2_builtins() -> Iterator[None]:
    """``past`` and ``past.builtins`` stood in for while a file imports, unless ``past`` is installed."""
    if "past" in sys.modules or importlib.util.find_spec("past") is not None:
        yield
        return
    past, builtins = ModuleType("past"), ModuleType("past.builtins")
    past.__path__ = []  # a package: past.builtins is its module
    past.__doc__ = builtins.__doc__ = "backprop-oracle's stand-in for the future package's past.builtins"
    vars(builtins).update(PY2_BUILTINS)
    past.builtins = builtins  # type: ignore[attr-defined]
    stand_ins = {"past": past, "past.builtins": builtins}
    sys.modules.update(stand_ins)
    try:
        yield
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


# NumPy 1's public module -> the private one NumPy 2 moved its names to (NEP 52)
NUMPY1_MODULES = {"numpy.lib.npyio": "numpy.lib._npyio_impl"}


@contextmanager
def numpy1_modules() -> Iterator[None]:
    """The names NumPy 2 moved out of NumPy 1's public modules, back in them while a file imports."""
    added: list[tuple[ModuleType, str]] = []
    for public, private in NUMPY1_MODULES.items():
        try:
            old, new = importlib.import_module(public), importlib.import_module(private)
        except ImportError:  # another NumPy: nothing to put back
            continue
        for name in getattr(new, "__all__", ()):
            if not hasattr(old, name):
                setattr(old, name, getattr(new, name))
                added.append((old, name))
    try:
        yield
    finally:
        for module, name in added:
            delattr(module, name)


class StandIns(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves a course's stand-in (``Course.stand_ins``) for a module no other finder finds: last on
    ``sys.meta_path``, so a built extension wins. ``served`` lists the names it made."""

    def __init__(self, table: Mapping[str, ModuleType]) -> None:
        self.table, self.served = dict(table), list[str]()

    def find_spec(
        self, fullname: str, path: Any, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.rpartition(".")[2] not in self.table:
            return None
        self.served.append(fullname)
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        # Copied from the module the course imported: importing it here would put the oracle's
        # modules back in a worker's sys.modules, as if the submission had imported them.
        source = self.table[module.__name__.rpartition(".")[2]]
        vars(module).update({k: v for k, v in vars(source).items() if not k.startswith("__")})


@contextmanager
def stand_ins(courses: Iterable[Course]) -> Iterator[None]:
    """The courses' stand-ins for modules that need a build step, while a file imports."""
    finder = StandIns({k: v for course in courses for k, v in course.stand_ins.items()})
    sys.meta_path.append(finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in finder.served:
            sys.modules.pop(name, None)


class HelperStandIns(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves a course's stand-in (``Course.helper_stand_ins``) for a top-level helper module no other
    finder finds and ``wanted(name)`` allows (no folder of the student's holds it): last on
    ``sys.meta_path``, so a helper beside the file wins. ``served`` lists the names it made."""

    def __init__(self, table: Mapping[str, ModuleType], wanted: Callable[[str], bool]) -> None:
        self.table, self.wanted, self.served = dict(table), wanted, list[str]()

    def find_spec(
        self, fullname: str, path: Any, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.table or not self.wanted(fullname):
            return None
        self.served.append(fullname)
        return importlib.util.spec_from_loader(fullname, self)

    def noted(self, module: ModuleType) -> ModuleType:
        """``module``, noting the stand-ins served while it imported (every row of it says so)."""
        if self.served:
            names = dict.fromkeys(self.served)
            vars(module)[STOOD_IN_KEY] = [f"{m} (no {m}.py beside the file)" for m in names]
        return module

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        # A fresh copy of the course's module: its own functions rebound to this module's globals,
        # so what the student's code does to ``dnn_utils`` stays in it, as with the course's file.
        source, namespace = self.table[module.__name__], vars(module)
        for key, value in vars(source).items():
            if key.startswith("__"):
                continue
            if isinstance(value, FunctionType) and value.__module__ == source.__name__:
                value = _rebound(value, namespace, module.__name__)
            namespace[key] = value
        module.__doc__ = source.__doc__


def _rebound(fn: FunctionType, namespace: dict[str, Any], module: str) -> FunctionType:
    copy = FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)
    copy.__kwdefaults__, copy.__doc__, copy.__qualname__ = fn.__kwdefaults__, fn.__doc__, fn.__qualname__
    copy.__annotations__ = dict(fn.__annotations__)
    copy.__module__ = module
    return copy


@contextmanager
def helpers(courses: Iterable[Course], wanted: Callable[[str], bool]) -> Iterator[HelperStandIns]:
    """The courses' stand-ins for their helper modules while a file imports (``wanted(name)``: no
    folder of the student's holds it); ``noted(module)`` then notes on the module those served."""
    finder = HelperStandIns({k: v for c in courses for k, v in c.helper_stand_ins.items()}, wanted)
    sys.meta_path.append(finder)
    try:
        yield finder
    finally:
        sys.meta_path.remove(finder)
        for name in finder.served:
            sys.modules.pop(name, None)
