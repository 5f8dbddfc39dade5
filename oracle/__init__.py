"""JAX as the independent judge of the hand-written gradients in ``reference`` and in course code."""
