"""The engines' side of ``oracle.course.plugins``: which files hold an engine, and its check.

``find`` imports the file (``oracle.course.loading.finding.load_module``, as course code is
imported), finds its engines (a declared one, ``ORACLE_ENGINE``, else every class that
``probe.candidates`` finds) and gate-object files (``gates``), and returns one target per
engine, checked by ``drive.check_scalar`` (scalar engines) or ``tensors.check_tensor`` when
its nodes hold arrays. With isolation on (``check``'s default), the student's code runs in a
confined process of its own and the checking stays here (``isolated``): a hang or a crash
is one row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from oracle.core.errors import UserError
from oracle.core.record import Record
from oracle.course.isolation.sessions import Found, Options
from oracle.course.plugins import PluginTarget
from oracle.engines import gates, isolated
from oracle.engines import probe as probing
from oracle.engines.checking import check_module, covers_of, defined_in, engines_of
from oracle.engines.summary import summary

KIND = "engine"


def claims(source: str) -> bool:
    return probing.claims(source) or gates.claims(source)


def find(path: Path, shown: str, options: Options, index: int) -> list[PluginTarget]:
    if options.isolate:
        return _find_isolated(path, shown, options, index)
    from oracle.course.loading.finding import load_module

    try:
        module = load_module(path)
    except UserError:
        return []  # the course machinery's import reports it
    targets = []
    for engine in engines_of(module):
        if options.names is not None and engine.name not in options.names:
            continue
        found = Found(index, engine.name, KIND, "random graphs", "", defined_in(engine.cls))
        covers = covers_of(engine)
        run = partial(check_module, module, engine, shown, options)
        targets.append(PluginTarget(found, run, _summary, covers))
    return targets


def _find_isolated(path: Path, shown: str, options: Options, index: int) -> list[PluginTarget]:
    """The file's engines checked with their code in a process of its own (``isolated``): rows when listed."""
    targets = []
    for checked in isolated.check_file(path, shown, options, _guess_name(path)):
        found = Found(index, checked.name, KIND, "random graphs", "", checked.defined_in)
        targets.append(PluginTarget(found, partial(list, checked.records), _summary, checked.covers))
    return targets


def _guess_name(path: Path) -> str:
    """An engine's class name read from the file's text (for a row when its check could not finish)."""
    try:
        source = path.read_text(errors="replace")
    except OSError:
        return "engine"
    for match in re.finditer(r"^class\s+(\w+)", source, re.M):
        body = source[match.end() :].split("\nclass ", 1)[0]
        if re.search(r"def\s+__(add|mul)__", body):
            return match.group(1)
    return "composed gates" if gates.claims(source) else "engine"


def _summary(records: Sequence[Record]) -> str:
    return summary(records)
