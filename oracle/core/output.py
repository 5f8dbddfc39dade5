"""Output paths: find out before any work starts whether a report can be written."""

from __future__ import annotations

import os
from pathlib import Path

from oracle.core.errors import UserError


def check_writable(path: str | Path) -> Path:
    """Create the parent directory if needed and fail now, with one line, if ``path`` cannot be written."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"--out {path}: is a directory")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"--out {path}: cannot create {path.parent} ({exc.strerror or exc})") from None
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UserError(f"--out {path}: not writable")
    return path
