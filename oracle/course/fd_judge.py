"""Placeholder, replaced in step B."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from oracle.core.record import Record


def judge_fd_target(
    ref: Any, impl: Sequence[Any], seeds: Sequence[int], dtype: str, replay: Callable[[int], str]
) -> list[Record]:
    raise NotImplementedError
