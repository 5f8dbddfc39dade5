"""Hypothesis profiles, chosen by HYPOTHESIS_PROFILE: dev (default), ci (derandomized), thorough."""

import os

# On two cores numpy's threaded BLAS and JAX's threads fight: one BLAS thread makes the
# suite about twice as fast (numpy is not imported yet, so this still takes effect).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from hypothesis import HealthCheck, settings

# JAX's eager dispatch makes single examples slow and uneven, so no deadline.
_common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=30, **_common)
settings.register_profile("ci", max_examples=60, derandomize=True, print_blob=True, **_common)
settings.register_profile("thorough", max_examples=1000, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
