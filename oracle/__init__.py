"""JAX as the independent judge of the hand-written gradients in ``reference`` and in course code.

Importing ``oracle`` switches JAX to 64-bit mode: without it JAX silently computes in
float32, and a float64 comparison would measure JAX's rounding, not the engine's gradients.
float32 cases still run in float32 on both sides (JAX keeps the dtype of its inputs).
"""

import jax

jax.config.update("jax_enable_x64", True)
