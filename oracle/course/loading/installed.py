"""A file whose import failed only on a library this Python does not have (PyTorch, TensorFlow...).

Such a file cannot be judged here, which says nothing of its author's gradients: its row in a
folder or class check is ``unchecked``, naming the library, not an ``error``. The message comes
from the process that imported the file, so the claim is checked here: the library really is
missing in this Python too. A file checked alone still stops with exit 2 and ``pip install``.
"""

from __future__ import annotations

import importlib.util
import re

from oracle.core.record import ERROR, UNCHECKED

# importing._missing's sentence for a module no folder above the file holds
NOT_INSTALLED = re.compile(r"cannot import: ModuleNotFoundError: No module named '([\w.]+)'.*: not installed")


def load_status(message: str) -> str:
    """``unchecked`` when a file's import failed on a library this Python lacks, else ``error``."""
    found = NOT_INSTALLED.search(message)
    if found is None:
        return ERROR
    try:
        present = importlib.util.find_spec(found.group(1).split(".")[0]) is not None
    except (ImportError, ValueError):
        present = True  # cannot tell: the error stays
    return ERROR if present else UNCHECKED
