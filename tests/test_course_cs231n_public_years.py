"""Correct CS231n code of 2016-2023 as public solutions wrote it, each pattern once a false alarm.

The samples are the course samples of ``tests/course_samples/``, edited here into the shape a
real repository had (a file missing from the repository, a NumPy-1 idiom); each test says what
the check now reports, and that a bug beside the pattern still fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from oracle.core.errors import UserError
from oracle.core.record import ERROR, FORWARD_MISMATCH, KINK, MATCH, MISMATCH, UNCHECKED
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


POOL_WHERE = """import numpy as np


def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    Ho, Wo = (H - ph) // s + 1, (W - pw) // s + 1
    out = np.zeros((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, Ho, Wo = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    window = x[n, c, i * s:i * s + ph, j * s:j * s + pw]
                    r, q = np.where(window == np.max(window))
                    dx[n, c, i * s + int(r), j * s + int(q)] += dout[n, c, i, j]
    return dx
"""


def test_int_of_a_one_element_array_np_where_derived_from_an_input_is_judged_as_on_numpy_1(
    tmp_path: Path,
) -> None:
    """2019: ``row, col = np.where(window == np.max(window))`` then ``int(row)``. NumPy 1 turned the
    one-element index array into a number; NumPy 2 refuses it, and the rerun with NumPy 1's
    conversion gave its inputs only, not np.where's indices: every row was an error."""
    file = tmp_path / "layers.py"
    file.write_text(POOL_WHERE)
    records = check_module(file, targets=["max_pool_naive"], seeds=1, isolate=False)
    ties = [r for r in records if "tied maxima" in r.detail]
    plain = [r for r in records if r not in ties]
    assert plain and ties
    for r in plain:  # judged, the rerun noted
        assert r.status == MATCH, (r.status, r.detail)
        assert "NumPy 1's float()/int() of a one-element array" in r.warning
    for r in ties:  # two maxima in a window: int() of two indices, wrong in any NumPy
        assert r.status == ERROR and "only 0-dimensional arrays" in r.detail
    # the same code with a wrong gradient (dout not routed) still fails after the rerun
    wrong = POOL_WHERE.replace("+= dout[n, c, i, j]", "+= 1.0")
    file.write_text(wrong)
    records = check_module(file, targets=["max_pool_naive"], seeds=1, isolate=False)
    assert {r.status for r in records if "tied maxima" not in r.detail} == {MISMATCH}


AFFINE_NUMPY1 = """import numpy as np


def affine_forward(x, w, b):
    flat = np.reshape(x, newshape=(x.shape[0], np.int(np.prod(x.shape[1:]))))
    out = np.lib.pad(flat, ((0, 0), (0, 0)), "constant").dot(w) + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    dx = np.reshape(dout.dot(w.T), newshape=x.shape)
    dw = np.reshape(x, (x.shape[0], -1)).T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db
"""


def test_numpy_1_names_that_numpy_2_removed_are_judged_on_a_rerun_that_restores_them(tmp_path: Path) -> None:
    """2020: ``np.reshape(dx, newshape=x.shape)`` in affine_backward (85 error rows of one public
    solution, through every sandwich and net that calls it) and ``np.int(H / 2)``; 2016 (ported to
    Python 3): ``np.lib.pad`` in conv_forward_naive. Right on the NumPy of the course's years,
    removed in NumPy 2: the rerun restores them, for its call only."""
    import numpy as np

    file = tmp_path / "layers.py"
    file.write_text(AFFINE_NUMPY1)
    reshape = np.reshape
    records = check_module(file, targets=["affine"], seeds=1, isolate=False)
    assert records and {r.status for r in records} == {MATCH}
    assert all(
        "NumPy 1's np.int, np.float..., np.lib.pad and reshape(newshape=...)" in r.warning for r in records
    )
    assert np.reshape is reshape and "int" not in vars(np) and "pad" not in vars(np.lib)  # numpy as it was
    file.write_text(AFFINE_NUMPY1.replace("db = np.sum(dout, axis=0)", "db = np.sum(dout, axis=0) * 2"))
    records = check_module(file, targets=["affine"], seeds=1, isolate=False)
    assert {r.status for r in records if r.input == "b"} == {MISMATCH}


def test_a_name_numpy_2_moved_out_of_a_public_module_still_imports(tmp_path: Path) -> None:
    """2022: ``from numpy.lib.npyio import savez_compressed`` (an editor's unused import) in
    softmax.py; NumPy 2 keeps only DataSource and NpzFile there, so the file, and every
    classifier importing it through classifiers/__init__.py, could not be imported."""
    import numpy.lib.npyio

    package = tmp_path / "assignment1" / "cs231n"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    file = package / "layers.py"
    file.write_text(
        "import numpy as np\nfrom numpy.lib.npyio import savez_compressed\n\n\n"
        "def relu_forward(x):\n    return np.maximum(0, x), x\n\n\n"
        "def relu_backward(dout, cache):\n    return dout * (cache > 0)\n"
    )
    records = check_module(file, targets=["relu"], seeds=1, isolate=False)
    assert records and {r.status for r in records} <= {MATCH, KINK}
    assert not hasattr(numpy.lib.npyio, "savez_compressed")  # put back for the import only
    file.write_text(file.read_text().replace("savez_compressed", "no_such_function"))
    with pytest.raises(UserError, match="no_such_function"):  # a name NumPy never had still fails
        check_module(file, targets=["relu"], seeds=1, isolate=False)


LAYERS_2022_A1 = """import numpy as np


def relu_forward(x):
    out = None
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    out = np.maximum(x, 0)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return out, x


def relu_backward(dout, cache):
    dx, x = None, cache
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    dx = dout * (x > 0)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return dx


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    mask = None
    out = None
    if mode == "train":
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

        pass

        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    elif mode == "test":
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

        pass

        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    cache = (dropout_param, mask)
    return out, cache


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    dx = None
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    pass

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return dx
"""


def test_a_later_assignments_template_in_the_first_assignments_layers_is_not_due(tmp_path: Path) -> None:
    """2022-2023: the first assignment's layers.py ships the second's layers (conv, pooling, the
    norms, dropout) as templates; a first assignment done right leaves them so, and each was an
    error row ('not implemented'). In the second assignment's folder, or outside any, it still is."""
    for folder, status in (("assignment1", UNCHECKED), ("assignment2", ERROR), ("mine", ERROR)):
        package = tmp_path / folder / "cs231n"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "layers.py").write_text(LAYERS_2022_A1)
        records = check_module(package / "layers.py", targets=["relu", "dropout"], seeds=1, isolate=False)
        assert {r.status for r in records if r.target == "relu"} <= {MATCH, KINK}
        (dropout,) = [r for r in records if r.target == "dropout"]
        assert dropout.status == status, (folder, dropout.status, dropout.detail)
        if status == UNCHECKED:
            assert dropout.detail.startswith(
                "not due yet: dropout is set in assignment 2; this file of assignment 1"
            )
        else:
            assert dropout.detail.startswith(
                "not implemented: dropout_forward is still the assignment's template"
            )


def test_a_penalty_on_the_biases_or_without_the_last_weights_is_named(tmp_path: Path) -> None:
    """Regularization on other parameters than the course's: the biases too (2018, 2020: W1 and b1
    stacked into one matrix, its squares summed) and every W but the last (both 2021 solutions
    tried: the penalty added in the loop over the hidden layers). Each was a forward_mismatch with
    no name, the convention 'assumed' since neither fitted."""
    net = (SAMPLES / "nets.py").read_text()
    edits = {
        "biases": (
            ("np.sum(W1 * W1) + np.sum(W2 * W2))",
             "np.sum(W1 * W1) + np.sum(b1 * b1) + np.sum(W2 * W2) + np.sum(b2 * b2))"),
            ('"b2": dscores.sum(axis=0)}', '"b2": dscores.sum(axis=0) + 2 * reg * b2}'),
            ('grads["b1"] = dhidden.sum(axis=0)', 'grads["b1"] = dhidden.sum(axis=0) + 2 * reg * b1'),
        ),
        "last": (
            ('weights = [self.params[f"W{k}"] for k in range(1, self.num_layers + 1)]',
             'weights = [self.params[f"W{k}"] for k in range(1, self.num_layers)]'),
            ("        for k in range(1, L + 1):\n", "        for k in range(1, L):\n"),
        ),
    }  # fmt: skip
    for bug, target, named in (
        ("biases", "TwoLayerNet", "the biases are regularized too (reg * sum(b * b) in the loss)"),
        (
            "last",
            "FullyConnectedNet",
            "W3 is left out of the regularization (a loop over the hidden layers only)",
        ),
    ):
        source = net
        for old, new in edits[bug]:
            assert old in source
            source = source.replace(old, new)
        file = tmp_path / f"{bug}.py"
        file.write_text(source)
        records = check_module(file, targets=[target], seeds=1, isolate=False)
        assert records and {r.status for r in records} == {FORWARD_MISMATCH}, bug
        assert all(f"known bug: {named}" in r.detail for r in records), (bug, records[0].detail)
    # the sample itself, which regularizes every W and no b, is matched
    records = check_module(
        SAMPLES / "nets.py", targets=["TwoLayerNet", "FullyConnectedNet"], seeds=1, isolate=False
    )
    assert {r.status for r in records} == {MATCH}


def test_a_convolution_backward_that_assigns_each_receptive_field_is_named(tmp_path: Path) -> None:
    """2017: ``dx_pad[:, :, h:h + HH, w:w + WW] = dout[:, :, i, j].dot(w...)``, = where += is meant:
    with a 3x3 filter at stride 1 or 2 the fields overlap, and dx keeps only the last one's share.
    It was an unnamed mismatch."""
    source = (SAMPLES / "vision_correct.py").read_text()
    old = "dpadded[:, :, rows, cols] += np.tensordot(g, w, axes=([1], [0]))"
    assert old in source
    file = tmp_path / "layers.py"
    file.write_text(source.replace(old, old.replace("+=", "=")))
    records = check_module(file, targets=["conv_naive"], seeds=1, isolate=False)
    x_rows = [r for r in records if r.input == "x"]
    assert x_rows and {r.status for r in x_rows} == {MISMATCH}
    assert all(
        "known bug: where receptive fields overlap, a later output position overwrites" in r.detail
        for r in x_rows
    )
    assert {r.status for r in records if r.input != "x"} == {MATCH}  # dw and db are right
    records = check_module(SAMPLES / "vision_correct.py", targets=["conv_naive"], seeds=1, isolate=False)
    assert {r.status for r in records} == {MATCH}


def test_a_module_beside_the_file_that_climbs_out_of_its_package_is_imported_as_python_3_does(
    tmp_path: Path,
) -> None:
    """2021: classifiers/__init__.py imports linear_classifier.py, which imports
    ``..classifiers.linear_svm``; one public solution has no cs231n/__init__.py. Python 3 makes
    cs231n a namespace package, so the notebook's imports work; the check imported linear_svm.py
    as ``classifiers.linear_svm`` and failed ('attempted relative import beyond top-level package')."""
    classifiers = tmp_path / "assignment1" / "cs231n" / "classifiers"
    classifiers.mkdir(parents=True)
    (classifiers / "__init__.py").write_text("from .linear_classifier import *\n")
    (classifiers / "linear_classifier.py").write_text(
        "from ..classifiers.linear_svm import *\n\n\nclass LinearSVM:\n"
        "    def loss(self, W, X, y, reg):\n        return svm_loss_vectorized(W, X, y, reg)\n"
    )
    sample = SAMPLES / "assignment1" / "cs231n" / "classifiers" / "linear_svm.py"
    (classifiers / "linear_svm.py").write_text(sample.read_text())
    records = check_module(classifiers / "linear_svm.py", seeds=1, isolate=False)
    assert {r.target for r in records} >= {"svm_loss_naive", "svm_loss_vectorized"}
    assert {r.status for r in records} <= {MATCH, KINK}


def test_a_classifier_loss_of_one_element_in_an_array_is_read_as_that_element(tmp_path: Path) -> None:
    """2018 and 2021: ``loss -= np.log(probs[[y[i]]])`` (a row taken from a (N, 1) column) makes the
    loss an array of shape (1,) where the docstring says 'loss as single float'; NumPy 1 made it a
    float wherever the notebook used it. It was a forward_mismatch ('has shape [1], expected []')
    that hid the gradient; now judged, with a warning. A gradient in a wrong shape still fails."""
    source = (SAMPLES / "assignment1" / "cs231n" / "classifiers" / "softmax.py").read_text()
    old = "loss -= np.log(probs[y[i]])"
    assert old in source
    one = source.replace(old, "loss -= np.log(probs[[y[i]]])")
    file = tmp_path / "softmax.py"
    file.write_text(one)
    records = check_module(file, targets=["softmax_loss_naive"], seeds=1, isolate=False)
    assert records and {r.status for r in records} == {MATCH}
    assert all(
        "softmax_loss_naive's loss has shape [1]: read as its one element" in r.warning for r in records
    )
    file.write_text(one.replace("dW = dW / num_train + reg * W", "dW = dW / num_train + 2 * W"))
    records = check_module(file, targets=["softmax_loss_naive"], seeds=1, isolate=False)
    assert {r.status for r in records} == {MISMATCH}  # the gradient's bug, no longer hidden


GROUPNORM_HELPER = """import numpy as np


def groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    N, D = x.shape
    xg = x.reshape(N, G, -1)
    var = xg.var(axis=2, keepdims=True)
    xhat = ((xg - xg.mean(axis=2, keepdims=True)) / np.sqrt(var + eps)).reshape(N, D)
    return gamma * xhat + beta, (xhat, gamma, var, eps, G)


def groupnorm_backward(dout, cache):
    xhat, gamma, var, eps, G = cache
    N, D = dout.shape
    dxhat = (dout * gamma).reshape(N, G, -1)
    xh = xhat.reshape(N, G, -1)
    dx = dxhat - dxhat.mean(axis=2, keepdims=True) - xh * (dxhat * xh).mean(axis=2, keepdims=True)
    dx = dx / np.sqrt(var + eps)
    return dx.reshape(N, D), (dout * xhat).sum(axis=0), dout.sum(axis=0)
"""


def test_a_students_own_pair_with_the_number_of_groups_gets_the_courses_g(tmp_path: Path) -> None:
    """2019: a file's own ``groupnorm_forward(x, gamma, beta, G, gn_param)`` (for the fully connected
    net) beside the course's spatial one. The finite-difference judge gave G an array, so every
    input it tried failed in the student's reshape: an error on code it could not call."""
    file = tmp_path / "layers.py"
    file.write_text(GROUPNORM_HELPER)
    records = check_module(file, targets=["groupnorm"], seeds=1, isolate=False)
    assert records and {r.status for r in records} == {MATCH} and {r.judge for r in records} == {"fd"}
    file.write_text(GROUPNORM_HELPER.replace("dout.sum(axis=0)\n", "dout.sum(axis=0) * 2\n"))
    records = check_module(file, targets=["groupnorm"], seeds=1, isolate=False)
    assert {r.status for r in records if r.input == "beta"} == {MISMATCH}
