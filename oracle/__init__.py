"""JAX as the independent judge of the hand-written gradients in ``reference`` and in course code.

Importing ``oracle`` switches JAX to 64-bit mode, as soon as anything imports JAX (``oracle``
itself does not: a check whose references all come from the cache never needs it, see
``oracle.core.lazy_jax`` and ``oracle.core.jax_hook``): without it JAX silently computes in
float32, and a float64 comparison would measure JAX's rounding, not the engine's gradients.
float32 cases still run in float32 on both sides (JAX keeps the dtype of its inputs).
In a Jupyter or Colab kernel (``IN_KERNEL``) it changes no JAX setting: the student's own
code keeps the config it had, and the checks turn x64 on around their own work only
(``oracle.core.x64``); ``from oracle import check`` is the notebook's check
(``oracle.course.in_kernel``).

It also turns on JAX's persistent compilation cache. Eager JAX compiles every primitive
once per shape, and on random graphs those compilations, not the arithmetic, are most of
a campaign's time; cached on disk, they are paid once per machine instead of once per
process. ``BACKPROP_ORACLE_JAX_CACHE`` names another folder, or ``off``. A folder that
cannot be used (a file, not writable) costs one line on stderr and the run goes on without
the cache (its worker processes inherit ``off`` and say nothing).

Run as ``python -m oracle``, importing JAX takes seconds: Ctrl-C or SIGTERM then is one
line and exit 130 or 143, as later on, not a traceback (``oracle.core.errors``); an address-space
limit too small for JAX is one line and exit 2 before JAX loads (``oracle.core.address_space``).
"""

import os
import sys
from pathlib import Path

from oracle.core import address_space
from oracle.core.errors import exit_on_signals

if "-m" in sys.orig_argv[:-1] and sys.orig_argv[sys.orig_argv.index("-m") + 1] == "oracle":
    exit_on_signals()  # python -m oracle: Ctrl-C or SIGTERM while importing is one line, not a traceback
    address_space.refuse_if_too_small()  # before JAX loads: too small a ulimit -v is exit 2, not an abort
    from oracle import prestart

    if prestart.wanted(sys.argv):  # a one-file isolated check: its zygote imports while we do
        prestart.begin()

from types import ModuleType
from typing import Any

from oracle.core.jax_hook import after_import

IN_KERNEL = "ipykernel" in sys.modules  # a Jupyter or Colab kernel: the student's process


def __getattr__(name: str) -> Any:
    """``from oracle import check``: imported when asked for (a campaign never needs it)."""
    if name == "check":
        from oracle.course.in_kernel import check

        return check
    raise AttributeError(f"module 'oracle' has no attribute {name!r}")


def _cache_problem(folder: Path) -> str:
    """Why ``folder`` cannot hold JAX's cache, or '' if it can."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        return "not a folder"
    except OSError as exc:
        return f"cannot create it ({exc.strerror or exc})"
    if not os.access(folder, os.W_OK | os.X_OK):
        return "not writable"
    return ""


_cache = os.environ.get("BACKPROP_ORACLE_JAX_CACHE") or str(
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "backprop-oracle" / "jax"
)
_use_cache = False
if _cache != "off" and not IN_KERNEL:  # in a kernel, JAX's config stays the student's
    _problem = _cache_problem(Path(_cache))
    if _problem:
        print(f"oracle: JAX cache folder {_cache}: {_problem}; running without the cache", file=sys.stderr)
        os.environ["BACKPROP_ORACLE_JAX_CACHE"] = "off"
    _use_cache = not _problem


def _configure(jax: ModuleType) -> None:
    """JAX's settings: 64-bit mode, and the compilation cache unless it is off."""
    jax.config.update("jax_enable_x64", True)
    if not _use_cache:
        return
    jax.config.update("jax_compilation_cache_dir", _cache)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)  # every primitive counts
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


if not IN_KERNEL:  # set when JAX is imported, by whoever imports it (oracle.core.jax_hook)
    after_import(_configure)
