"""Correct CS231n code of 2016-2023 as public solutions wrote it, each pattern once a false alarm.

The samples are the course samples of ``tests/course_samples/``, edited here into the shape a
real repository had (a file missing from the repository, a NumPy-1 idiom); each test says what
the check now reports, and that a bug beside the pattern still fails.
"""

from __future__ import annotations

from pathlib import Path

from oracle.core.record import UNCHECKED
from oracle.course import check_module

SAMPLES = Path(__file__).parent / "course_samples"


def assignment_missing_fast_layers(root: Path) -> Path:
    """cs231n/ whose layer_utils.py imports a fast_layers.py the repository never committed (nor any
    ``__init__.py``)."""
    package = root / "assignment2" / "cs231n"
    (package / "classifiers").mkdir(parents=True)
    (package / "layer_utils.py").write_text(
        "from cs231n.fast_layers import *\n\n\n"
        "def affine_forward(x, w, b):\n    return x.reshape(x.shape[0], -1) @ w + b, (x, w)\n"
    )
    net = (SAMPLES / "nets.py").read_text()
    calls = "h, affine = _affine_forward(h,"
    assert calls in net
    net = "from cs231n.layer_utils import *\n" + net.replace(calls, "h, affine = affine_forward(h,")
    (package / "classifiers" / "fc_net.py").write_text(net)
    return package / "classifiers" / "fc_net.py"


def test_a_net_with_dropout_that_needs_a_helper_never_imported_is_unchecked_like_the_others(
    tmp_path: Path,
) -> None:
    """2017: layer_utils.py imports fast_layers.py, absent from the repository. The finite-difference
    judge's probe of the dropout variant gave 'accepts none of the inputs tried' (error) where the
    plain and normalized nets, judged against JAX, were unchecked for the same reason."""
    file = assignment_missing_fast_layers(tmp_path)
    targets = ["FullyConnectedNet", "FullyConnectedNet+batchnorm", "FullyConnectedNet+dropout"]
    records = check_module(file, targets=targets, seeds=1, isolate=False)
    assert {r.target for r in records} == set(targets)
    for r in records:
        assert r.status == UNCHECKED, (r.target, r.status, r.detail)
        assert "needs affine_forward" in r.detail and "cs231n.layer_utils" in r.detail
