"""Where a submission's code came from: the autodiff libraries it imported, where each object was defined."""

from __future__ import annotations

import os
import sys
from typing import Any

# the folder that holds the project's packages (oracle/, reference/)
PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

# Libraries a submission may have used to compute its gradients instead of deriving them:
# the name reported in the class CSV's ``autodiff`` column -> the top-level modules that show it.
AUTODIFF = {
    "autograd": ("autograd",),
    "jax": ("jax", "jaxlib"),
    "micrograd": ("micrograd",),
    "mxnet": ("mxnet",),
    "oracle": ("oracle",),  # the checker itself: its JAX references are one import away
    "reference": ("reference",),  # this project's engine (only when it is this project's: see autodiff())
    "tensorflow": ("tensorflow",),
    "tinygrad": ("tinygrad",),
    "torch": ("torch",),
}


def autodiff() -> list[str]:
    """The autodiff libraries this process has imported, by their names in ``AUTODIFF``."""
    found = [name for name, tops in AUTODIFF.items() if any(top in sys.modules for top in tops)]
    engine = getattr(sys.modules.get("reference"), "__file__", None) or ""
    if "reference" in found and not os.path.abspath(engine).startswith(os.path.join(PROJECT, "")):
        found.remove("reference")  # a module of the submission's own that happens to be called so
    return found


def defined_in(obj: Any) -> str:
    """The file that defines a function or class ('' if it cannot be told): which file of a folder owns it."""
    try:
        code = getattr(obj, "__code__", None)
        if code is not None:
            return os.path.realpath(code.co_filename)
        module = sys.modules.get(str(getattr(obj, "__module__", "")))
        path = getattr(module, "__file__", None)
        return os.path.realpath(path) if isinstance(path, str) else ""
    except Exception:  # an object that misbehaves when asked
        return ""
