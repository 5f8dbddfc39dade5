"""Checkers of code that is not a course target (an autograd engine...), behind one small interface.

The machinery knows no plugin's subject, as it knows no course: it asks each plugin whether
a file's text may hold something of its kind (``claims``: folders pick up such files), and
which targets an imported file holds (``find``); each target is then checked by the plugin
itself (``PluginTarget.run``: its records, ordinary rows) and printed with the plugin's
summary line. A plugin is a module with::

    def claims(source: str) -> bool
    def find(path: Path, shown: str, options: Options, index: int) -> list[PluginTarget]

The built-in plugins are listed in ``BUILT_IN``; an installed package adds one in the
``backprop_oracle.plugins`` entry-point group.
"""

from __future__ import annotations

import importlib
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

from oracle.core.record import Record

BUILT_IN = ("oracle.engines.plugin",)
ENTRY_POINTS = "backprop_oracle.plugins"
MAX_SOURCE = 4 << 20  # bytes of a file read to ask the plugins whether they claim it


@dataclass
class PluginTarget:
    """One target a plugin found in a file: how the check lists it, and how it is checked."""

    found: Any  # an ``oracle.course.isolation.sessions.Found``
    run: Callable[[], list[Record]]
    summary: Callable[[Sequence[Record]], str] = lambda records: ""
    covers: tuple[str, ...] = ()  # course targets of the same file this check replaces (they are not run)


@cache
def plugins() -> tuple[ModuleType, ...]:
    names = list(BUILT_IN) + sorted(ep.value for ep in entry_points(group=ENTRY_POINTS))
    return tuple(importlib.import_module(name) for name in dict.fromkeys(names))


def claims(source: str) -> bool:
    """Whether some plugin may find something in a file of this text."""
    return any(plugin.claims(source) for plugin in plugins())


def find(path: Path, shown: str, options: Any, index: int) -> list[PluginTarget]:
    """Every plugin target in one file (the file is read only if some plugin claims its text)."""
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_SOURCE:
            return []  # a device, a pipe, a huge file: never opened here (a worker imports it)
        source = path.read_text(errors="replace")
    except OSError:
        return []
    return [
        t for plugin in plugins() if plugin.claims(source) for t in plugin.find(path, shown, options, index)
    ]
