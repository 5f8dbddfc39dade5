"""Hypothesis profiles, chosen by HYPOTHESIS_PROFILE: dev (default), ci (derandomized), thorough."""

import os

from hypothesis import HealthCheck, settings

# JAX's eager dispatch makes single examples slow and uneven, so no deadline.
_common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=30, **_common)
settings.register_profile("ci", max_examples=60, derandomize=True, print_blob=True, **_common)
settings.register_profile("thorough", max_examples=1000, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
