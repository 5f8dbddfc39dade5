"""A file whose import failed only on what this Python does not have: a library (PyTorch,
TensorFlow...), or Python 2 itself (CS224n's 2017 files, written for Python 2.7: ``print x``).

Such a file cannot be judged here, which says nothing of its author's gradients: its row in a
folder or class check is ``unchecked``, naming the library or Python 2, not an ``error``. The
message comes from the process that imported the file, so the claim is checked here: the
library really is missing in this Python too; the file itself really does not compile as
Python 3, for a reason of Python 2's. A file checked alone still stops with exit 2, saying
``pip install`` or 2to3.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from oracle.core.record import ERROR, UNCHECKED
from oracle.course.loading.importing import PYTHON2, python2_syntax

# importing._missing's sentence for a module no folder above the file holds
NOT_INSTALLED = re.compile(r"cannot import: ModuleNotFoundError: No module named '([\w.]+)'.*: not installed")


def load_status(message: str, path: Path | None = None) -> str:
    """``unchecked`` when the import of the file at ``path`` failed on a library this Python lacks,
    or on its own Python 2 syntax; else ``error``."""
    if path is not None and message.endswith(PYTHON2):
        return UNCHECKED if _python2_file(path) else ERROR
    found = NOT_INSTALLED.search(message)
    if found is None:
        return ERROR
    try:
        present = importlib.util.find_spec(found.group(1).split(".")[0]) is not None
    except (ImportError, ValueError):
        present = True  # cannot tell: the error stays
    return ERROR if present else UNCHECKED


def _python2_file(path: Path) -> bool:
    """Whether the file fails to compile as Python 3 for a reason of Python 2's (it is never run here)."""
    try:
        compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        return python2_syntax(exc)
    except (OSError, ValueError):
        return False
    return False
