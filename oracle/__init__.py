"""JAX as the independent judge of the hand-written gradients in ``reference`` and in course code.

Importing ``oracle`` switches JAX to 64-bit mode: without it JAX silently computes in
float32, and a float64 comparison would measure JAX's rounding, not the engine's gradients.
float32 cases still run in float32 on both sides (JAX keeps the dtype of its inputs).

It also turns on JAX's persistent compilation cache. Eager JAX compiles every primitive
once per shape, and on random graphs those compilations, not the arithmetic, are most of
a campaign's time; cached on disk, they are paid once per machine instead of once per
process. ``BACKPROP_ORACLE_JAX_CACHE`` names another folder, or ``off``.
"""

import os
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

_cache = os.environ.get("BACKPROP_ORACLE_JAX_CACHE") or str(
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "backprop-oracle" / "jax"
)
if _cache != "off":
    jax.config.update("jax_compilation_cache_dir", _cache)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)  # every primitive counts
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
