"""A handle on one worker process: send it requests, read its answers, end it."""

from __future__ import annotations

import socket
import time
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from oracle.course.isolation import wire


class Ends(Protocol):
    """What a handle needs of its zygote (``oracle.course.isolation.sandbox.Zygote``)."""

    def end(self, pid: int, kill: bool) -> str: ...


class WorkerHandle:
    """One worker process: ask it things until it is ended."""

    def __init__(self, zygote: Ends, pid: int, sock: socket.socket) -> None:
        self.zygote, self.pid, self.sock = zygote, pid, sock
        self.ended = ""

    def send(self, header: dict[str, Any], arrays: Sequence[np.ndarray], deadline: float) -> None:
        """Send a request (``wire.Timeout`` past ``deadline``, a ``time.monotonic`` time; ``wire.Gone``)."""
        wire.send(self.sock, header, arrays, deadline=deadline)

    def answer(self, deadline: float) -> tuple[dict[str, Any], list[np.ndarray]]:
        """The answer to the request sent last (``wire.Timeout``, ``wire.Gone``, ``wire.ProtocolError``)."""
        return wire.receive(self.sock, deadline=deadline)

    def end(self, kill: bool = True) -> str:
        """Stop the worker (at once if ``kill``, else it was told to exit); how it ended."""
        if not self.ended:
            if not kill:
                try:
                    wire.send(self.sock, {"op": "bye"}, deadline=time.monotonic() + 1.0)
                except (wire.Gone, wire.Timeout):
                    kill = True
            self.sock.close()
            self.ended = self.zygote.end(self.pid, kill)
        return self.ended
