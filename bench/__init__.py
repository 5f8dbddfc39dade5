"""Benchmarks of the engine and the oracle beside their peers: ``python -m bench`` (``nox -s bench``).

Not part of the distribution and not part of the test suite: nothing here is a timed
assertion. Run from the repository's root; see ``bench/__main__.py``.
"""
