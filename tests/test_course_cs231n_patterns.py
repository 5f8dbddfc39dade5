"""Patterns of correct CS231n code seen in public solutions, each once flagged, and the bugs beside them.

Each test checks one of the course's samples written in a pattern that real solutions use
(``tests/course_samples/``): the pattern is not flagged, and a bug next to it still is.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from oracle.cli import main
from oracle.core.record import ERROR, FORWARD_MISMATCH, KINK, MATCH, MISMATCH
from oracle.course import load_module
from oracle.course.calling.calls import describe_exception
from oracle.course.loading.stand_ins import python2_builtins
from oracle.courses.cs231n import cython_stand_ins

SAMPLES = Path(__file__).parent / "course_samples"


def run_check(out: Path, sample: Path | str, *options: str) -> tuple[int, pd.DataFrame]:
    path = sample if isinstance(sample, Path) else SAMPLES / f"{sample}.py"
    code = main(["check", str(path), "--out", str(out), "--seeds", "1", *options])
    frame = pd.read_csv(out, dtype={"input": str, "warning": str})
    frame = frame.fillna({"detail": "", "input": "", "warning": ""})
    return code, frame


def test_a_size_computed_with_python2_division_says_that_floor_division_is_meant(tmp_path: Path) -> None:
    code, frame = run_check(tmp_path / "c.csv", "py2_sizes")
    assert code == 1 and set(frame.target) == {"conv_naive", "max_pool_naive"}
    assert set(frame.status) == {ERROR}
    assert frame.detail.str.contains("'float' object cannot be interpreted as an integer").all()
    assert frame.detail.str.contains(r"a size computed with /, .*: // is meant").all()
    assert frame.detail.str.contains(r"py2_sizes\.py:(?:12|44)\)").all()  # the line of the /


def test_the_division_hint_is_only_for_a_float_where_an_integer_is_needed() -> None:
    def describe(fn: Any) -> str:
        try:
            fn()
        except Exception as exc:
            return describe_exception(exc)
        raise AssertionError("did not raise")

    assert describe(lambda: np.zeros((2, 6 / 4))).endswith(": // is meant")
    assert describe(lambda: range(7 / 2)).endswith(": // is meant")
    assert "//" not in describe(lambda: np.zeros((2, "3")))
    assert "//" not in describe(lambda: len(5))  # a TypeError of another kind
    # the same float where numpy needs an index or a size
    for fn in (
        lambda: np.take(np.arange(4), np.arange(3) * 3 / 2),
        lambda: np.arange(4)[: 7 / 2],
        lambda: np.zeros((2, np.float64(6) / 4)),
    ):
        assert describe(fn).endswith("// is meant"), describe(fn)
    # code of the course's NumPy 1.x years
    assert describe(lambda: np.reshape(np.ones(4), newshape=(2, 2))).endswith(
        "renamed reshape's newshape to shape"
    )
    assert "NumPy 1.x allowed" in describe(lambda: int(np.array([3])))
    assert "removed in NumPy 1.24" in describe(lambda: np.int(3))  # type: ignore[attr-defined]
    assert re.fullmatch(
        r"TypeError: object of type 'int' has no len\(\) \(\S+:\d+\)", describe(lambda: len(5))
    )


def test_a_loss_returned_as_an_array_of_one_element_is_judged_not_a_crash(tmp_path: Path) -> None:
    # The loss summed over a (N, 1) column keeps a shape (1,): numpy 2 refuses float() of it.
    sample = tmp_path / "softmax.py"
    sample.write_text(
        "import numpy as np\n\n\n"
        "def softmax_loss_vectorized(W, X, y, reg):\n"
        "    scores = X.dot(W)\n"
        "    scores -= scores.max(axis=1, keepdims=True)\n"
        "    p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)\n"
        "    picked = p[np.arange(X.shape[0]), y].reshape(-1, 1)\n"
        "    loss = -np.sum(np.log(picked), axis=0) / X.shape[0] + reg * np.sum(W * W)\n"
        "    p[np.arange(X.shape[0]), y] -= 1\n"
        "    dW = X.T.dot(p) / X.shape[0] + 2 * reg * W\n"
        "    return loss, dW\n"
    )
    code, frame = run_check(tmp_path / "c.csv", sample)
    assert code in (0, 1) and set(frame.target) == {"softmax_loss_vectorized"}
    assert ERROR not in set(frame.status)


def test_a_2019_starter_file_importing_past_builtins_is_checked_with_no_setup(tmp_path: Path) -> None:
    # Without the future package installed (as here), the stand-in is what imports.
    svm = SAMPLES / "assignment1_2019" / "cs231n" / "classifiers" / "linear_svm.py"
    code, frame = run_check(tmp_path / "c.csv", svm)
    assert code in (0, 1) and set(frame.target) == {"svm_loss_naive", "svm_loss_vectorized"}
    assert set(frame.status) <= {MATCH, KINK}
    assert "past" not in sys.modules and "past.builtins" not in sys.modules  # nothing stays behind


def test_the_python2_builtins_stand_in_keeps_python2s_meanings() -> None:
    with python2_builtins():
        from past.builtins import filter, map, range, xrange  # type: ignore[import-not-found]

        assert list(xrange(3)) == [0, 1, 2] and range(3) == [0, 1, 2]
        assert map(abs, [-1, 2]) == [1, 2] and filter(None, [0, 3]) == [3]
    assert "past" not in sys.modules


def test_a_file_importing_its_course_package_with_no_package_beside_it_names_the_layout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alone = tmp_path / "layer_utils.py"
    alone.write_text("from cs231n.layers import *\nfrom cs231n.fast_layers import *\n")
    code = main(["check", str(alone), "--out", str(tmp_path / "c.csv")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "pip install" not in err
    assert "cs231n is the course's own package" in err and "assignment2/cs231n/layer_utils.py" in err


def variant(tmp_path: Path, sample: str, old: str, new: str, *more: str) -> Path:
    """The sample with a line changed (or more: old, new, old, new...): the bug next to its pattern."""
    text = (SAMPLES / f"{sample}.py").read_text()
    changes = (old, new, *more)
    for before, after in zip(changes[::2], changes[1::2], strict=True):
        assert text.count(before) == 1
        text = text.replace(before, after)
    path = tmp_path / f"{sample}_variant.py"
    path.write_text(text)
    return path


def statuses(frame: pd.DataFrame, target: str) -> set[str]:
    return set(frame[frame.target == target].status)


# ------------------------------------------------------------------ batch norm


def test_running_averages_kept_as_1_by_d_match_with_a_warning_naming_the_shape(tmp_path: Path) -> None:
    code, frame = run_check(tmp_path / "c.csv", "bn_keepdims")
    assert code == 0 and set(frame.status) == {MATCH}
    assert set(frame.target) == {"batchnorm", "batchnorm_alt", "spatial_batchnorm"}
    warned = dict(zip(frame.target + frame["shape"], frame.warning, strict=False))
    assert "in shape [1, 5], not the docstring's [5]" in warned["batchnorm[5]"]
    assert "in shape [1, 3, 1, 1], not the docstring's [3]" in warned["spatial_batchnorm[3]"]


def test_running_averages_of_wrong_values_or_shape_and_a_1_by_d_gradient_still_fail(tmp_path: Path) -> None:
    swapped = variant(
        tmp_path,
        "bn_keepdims",
        "        running_mean = momentum * running_mean + (1 - momentum) * sample_mean\n",
        "        running_mean = (1 - momentum) * running_mean + momentum * sample_mean\n",
    )
    _, frame = run_check(tmp_path / "a.csv", swapped, "--target", "batchnorm")
    assert statuses(frame, "batchnorm") == {FORWARD_MISMATCH}
    assert frame.detail.str.contains(
        "known bug: the momentum weighs the batch statistic in running_mean"
    ).all()
    # (C,) averages plus (1, C, 1, 1) statistics broadcast to (1, C, 1, C): no layout of the course's
    grown = variant(
        tmp_path,
        "bn_keepdims",
        '    running_mean = bn_param.get("running_mean", np.zeros((1, C, 1, 1), dtype=x.dtype))\n',
        '    running_mean = bn_param.get("running_mean", np.zeros(C, dtype=x.dtype))\n',
    )
    _, frame = run_check(tmp_path / "b.csv", grown, "--target", "spatial_batchnorm")
    assert statuses(frame, "spatial_batchnorm") == {ERROR}  # test mode cannot broadcast what it keeps
    assert frame.detail.str.contains("mode 'test'.* could not be broadcast").all()
    # a (1, D) gradient for a (D,) parameter: the course's sgd (w -= lr * dw) raises for it
    kept = variant(
        tmp_path,
        "bn_keepdims",
        "    dgamma = np.sum(dout * x_norm, axis=0)\n",
        "    dgamma = np.sum(dout * x_norm, axis=0, keepdims=True)\n",
    )
    _, frame = run_check(tmp_path / "c.csv", kept, "--target", "batchnorm")
    rows = frame[frame.input == "gamma"]
    assert set(rows.status) == {MISMATCH} and rows.detail.str.contains(r"shape \[1, 5\]").any()
    assert set(frame[frame.input != "gamma"].status) == {MATCH}


def test_test_mode_with_eps_outside_the_root_is_noted_not_failed(tmp_path: Path) -> None:
    code, frame = run_check(tmp_path / "c.csv", "bn_eps_outside")
    assert code == 0 and set(frame.status) == {MATCH}
    assert set(frame.target) == {"batchnorm", "spatial_batchnorm"}
    assert frame.warning.str.startswith("convention: test mode divides by sqrt(running_var) + eps").all()


def test_test_mode_without_eps_is_noted_and_on_the_batch_statistics_still_fails(tmp_path: Path) -> None:
    line = "        xhat = (x - running_mean) / (np.sqrt(running_var) + eps)\n"
    path = variant(
        tmp_path, "bn_eps_outside", line, "        xhat = (x - running_mean) / np.sqrt(running_var)\n"
    )
    _, frame = run_check(tmp_path / "n.csv", path, "--target", "batchnorm")
    assert set(frame.status) == {MATCH}
    assert frame.warning.str.startswith(
        "convention: test mode divides by sqrt(running_var), without eps"
    ).all()
    batch = "        xhat = (x - x.mean(axis=0)) / (np.sqrt(x.var(axis=0)) + eps)\n"
    _, frame = run_check(
        tmp_path / "b.csv", variant(tmp_path, "bn_eps_outside", line, batch), "--target", "batchnorm"
    )
    assert set(frame.status) == {FORWARD_MISMATCH}
    assert frame.detail.str.contains("the test-mode output differs").all()
    assert not frame.warning.str.contains("convention").any()
    # the running variance where the running mean belongs: no placement of eps makes it right
    swapped = "        xhat = (x - running_var) / (np.sqrt(running_var) + eps)\n"
    _, frame = run_check(
        tmp_path / "s.csv", variant(tmp_path, "bn_eps_outside", line, swapped), "--target", "batchnorm"
    )
    assert set(frame.status) == {FORWARD_MISMATCH}


def test_the_alternative_backward_is_called_with_its_own_files_alternative_forward(tmp_path: Path) -> None:
    code, frame = run_check(tmp_path / "c.csv", "bn_alt_forward")
    assert code == 0 and set(frame.status) == {MATCH}
    assert set(frame.target) == {"batchnorm", "batchnorm_alt"}
    wrong = variant(
        tmp_path,
        "bn_alt_forward",
        "    dx = gamma * istd / N * (N * dout - dbeta - xhat * dgamma)\n",
        "    dx = gamma * istd / N * (N * dout - dbeta)\n",
    )
    _, frame = run_check(tmp_path / "w.csv", wrong)
    assert statuses(frame, "batchnorm") == {MATCH}
    assert statuses(frame, "batchnorm_alt") == {MATCH, MISMATCH}  # dx fails, dgamma and dbeta do not
    assert set(frame[frame.status == MISMATCH].input) == {"x"}


def test_a_file_without_the_alternative_backward_has_no_such_target(tmp_path: Path) -> None:
    # assignment 3's copy of layers.py, and 2016's, define batchnorm_forward but no alternative backward
    alt = "def batchnorm_backward_alt(dout, cache):\n    return batchnorm_backward(dout, cache)\n"
    code, frame = run_check(tmp_path / "c.csv", variant(tmp_path, "bn_keepdims", alt, ""))
    assert code == 0 and set(frame.target) == {"batchnorm", "spatial_batchnorm"}


# ------------------------------------------------------------------ max pooling


def test_pooling_that_gives_every_tied_maximum_the_gradient_is_a_kink_saying_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, frame = run_check(tmp_path / "c.csv", "pool_mask")
    printed = capsys.readouterr().out
    # the summary repeats the kink's own reason, never "another valid subgradient" for it
    assert "not errors (-v shows them): differs only at windows with tied maxima" in printed
    assert "valid subgradient" not in printed
    assert code == 0 and set(frame.target) == {"max_pool_naive"}
    edge = frame[frame.detail.str.startswith("edge case")]
    assert set(frame.status) == {MATCH, KINK} and set(edge.status) == {KINK}
    assert set(frame[~frame.index.isin(edge.index)].status) == {MATCH}  # no ties: the same gradient
    assert edge.detail.str.contains("goes whole to every tied maximum").all()
    assert edge.detail.str.contains("no subgradient").all()


def test_pooling_wrong_away_from_the_ties_still_fails(tmp_path: Path) -> None:
    # the mask of the maxima, but the gradient assigned (=) where windows overlap: wrong without ties
    assigned = variant(
        tmp_path,
        "pool_mask",
        "            dx[:, :, i * stride : i * stride + HH, j * stride : j * stride + WW] += (\n",
        "            dx[:, :, i * stride : i * stride + HH, j * stride : j * stride + WW] = (\n",
    )
    _, frame = run_check(tmp_path / "a.csv", assigned)
    overlapping = frame[frame["shape"] == "[2, 2, 5, 5]"]  # 3x3 windows with stride 2
    random = overlapping[~overlapping.detail.str.startswith("edge case")]
    assert set(random.status) == {MISMATCH}
    assert random.detail.str.contains("a later window overwrites").all()
    # the mask, but dout not multiplied in: wrong everywhere
    unscaled = variant(
        tmp_path,
        "pool_mask",
        "                mask * dout[:, :, i, j][:, :, None, None]\n",
        "                mask * 1.0\n",
    )
    _, frame = run_check(tmp_path / "b.csv", unscaled)
    assert set(frame.status) == {MISMATCH}


# ------------------------------------------------------------------ networks


def test_a_2018_net_whose_dropout_is_the_keep_probability_is_built_without_dropout(tmp_path: Path) -> None:
    # dropout=1 (its default) is no dropout: built with dropout=0 the net would drop every unit
    code, frame = run_check(tmp_path / "c.csv", "nets_2018")
    assert code == 0 and set(frame.status) == {MATCH}
    assert set(frame.target) == {
        "FullyConnectedNet",
        "FullyConnectedNet+batchnorm",
        "FullyConnectedNet+layernorm",
        "FullyConnectedNet+dropout",
    }


def test_a_dropout_option_that_changes_nothing_in_training_mode_fails_naming_it(tmp_path: Path) -> None:
    # mode compared with "training", which the course never sets: the masks are never drawn
    ignored = variant(
        tmp_path,
        "nets_2018",
        '            if self.use_dropout and mode == "train":\n',
        '            if self.use_dropout and self.dropout_param["mode"] == "training":\n',
        "            if self.use_dropout:\n                dh = dh * masks[i - 1]\n",
        "            if masks:\n                dh = dh * masks[i - 1]\n",
    )
    code, frame = run_check(tmp_path / "c.csv", ignored)
    dropout = frame[frame.target == "FullyConnectedNet+dropout"]
    assert code == 1 and set(dropout.status) == {MISMATCH}
    assert dropout.detail.str.contains(
        r"FullyConnectedNet\(dropout=0.5\) changes nothing in training mode: .* never applied"
    ).all()
    assert set(frame[frame.target != "FullyConnectedNet+dropout"].status) == {MATCH}
    # the mask applied in the forward but not in the backward: the fd judge still catches it
    forgotten = variant(
        tmp_path, "nets_2018", "                dh = dh * masks[i - 1]\n", "                pass\n"
    )
    _, frame = run_check(tmp_path / "d.csv", forgotten, "--target", "FullyConnectedNet+dropout")
    assert MISMATCH in set(frame.status) and not frame.detail.str.contains("changes nothing").any()


# ------------------------------------------------------------------ folders

RELU = """import numpy as np


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return dout * (cache > 0)
"""


def _tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_a_classifier_in_a_folder_without_init_reaches_its_package_by_relative_imports(
    tmp_path: Path,
) -> None:
    # later years: cs231n/__init__.py, but classifiers/ is a namespace package; fc_net imports ..layers
    _tree(
        tmp_path,
        {
            "assignment2/cs231n/__init__.py": "",
            "assignment2/cs231n/layers.py": RELU,
            "assignment2/cs231n/classifiers/fc_net.py": "from ..layers import *\n\n\nclass Net:\n    pass\n",
        },
    )
    code, frame = run_check(
        tmp_path / "c.csv", tmp_path / "assignment2" / "cs231n" / "classifiers" / "fc_net.py"
    )
    assert code == 0 and set(frame.target) == {"relu"} and set(frame.status) == {MATCH}


def test_a_package_without_any_init_is_imported_and_forgotten_without_a_crash(tmp_path: Path) -> None:
    # 2017: no __init__.py at all; linear_classifier imports cs231n.classifiers.linear_svm
    svm = (SAMPLES / "assignment1_2019" / "cs231n" / "classifiers" / "linear_svm.py").read_text()
    _tree(
        tmp_path,
        {
            "assignment1/cs231n/classifiers/linear_svm.py": svm,
            "assignment1/cs231n/classifiers/linear_classifier.py": (
                "from cs231n.classifiers.linear_svm import *\n\n\nclass LinearSVM(object):\n    pass\n"
            ),
        },
    )
    path = tmp_path / "assignment1" / "cs231n" / "classifiers" / "linear_classifier.py"
    before = set(sys.modules)
    module = load_module(path)
    assert callable(module.svm_loss_naive)
    assert not [m for m in set(sys.modules) - before if m.split(".")[0] == "cs231n"]
    code, frame = run_check(tmp_path / "c.csv", path)
    assert code in (0, 1) and set(frame.status) <= {MATCH, KINK}


def test_conv_layers_over_the_unbuilt_cython_extension_are_checked(tmp_path: Path) -> None:
    # fast_layers.py imports im2col_cython, never built here: the course's numpy stand-in serves it
    path = SAMPLES / "assignment2_unbuilt" / "cs231n" / "layer_utils.py"
    code, frame = run_check(tmp_path / "c.csv", path)
    assert code == 0 and set(frame.target) == {"conv_relu"} and set(frame.status) == {MATCH}
    assert "cs231n.im2col_cython" not in sys.modules


def test_the_stand_in_has_the_extensions_layouts() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 5, 6))
    fh, fw, pad, stride = 3, 2, 1, 2
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out_h, out_w = (5 + 2 * pad - fh) // stride + 1, (6 + 2 * pad - fw) // stride + 1
    cols = cython_stand_ins.im2col_cython(x, fh, fw, pad, stride)
    assert cols.shape == (3 * fh * fw, out_h * out_w * 2)
    for c, i, j, y, z, n in np.ndindex(3, fh, fw, out_h, out_w, 2):  # row (c, i, j), column (y, x, n)
        assert (
            cols[(c * fh + i) * fw + j, (y * out_w + z) * 2 + n]
            == padded[n, c, y * stride + i, z * stride + j]
        )
    # col2im is im2col's adjoint: <im2col(x), g> == <x, col2im(g)>
    g = rng.standard_normal(cols.shape)
    back = cython_stand_ins.col2im_cython(g, 2, 3, 5, 6, fh, fw, pad, stride)
    assert np.isclose(np.sum(cols * g), np.sum(x * back))
    six = g.reshape(3, fh, fw, out_h, out_w, 2).transpose(0, 1, 2, 5, 3, 4)  # (C, HH, WW, N, H', W')
    assert np.allclose(cython_stand_ins.col2im_6d_cython(six, 2, 3, 5, 6, fh, fw, pad, stride), back)


def test_a_sandwich_over_a_layer_its_assignment_lacks_is_not_a_target(tmp_path: Path) -> None:
    # 2018's assignment 3: layer_utils.py's affine_ln_relu calls layernorm_forward, which its layers.py lacks
    path = SAMPLES / "assignment3_2018" / "cs231n" / "layer_utils.py"
    code, frame = run_check(tmp_path / "c.csv", path)
    assert code == 0 and "affine_ln_relu" not in set(frame.target) and "affine_relu" in set(frame.target)
    # a name that is no course function (a typo) is still the student's error
    typo = tmp_path / "typo" / "cs231n"
    typo.mkdir(parents=True)
    (typo / "layers.py").write_text(path.with_name("layers.py").read_text())
    (typo / "layer_utils.py").write_text(
        path.read_text().replace("out, relu_cache = relu_forward(a)", "out, relu_cache = relu_foward(a)")
    )
    _, frame = run_check(tmp_path / "t.csv", typo / "layer_utils.py")
    rows = frame[frame.target == "affine_relu"]
    assert set(rows.status) == {ERROR} and rows.detail.str.contains("relu_foward").all()
