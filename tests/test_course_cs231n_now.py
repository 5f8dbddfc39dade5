"""CS231n as taught in 2024-2025: patterns of correct code seen in public solutions, and the bugs beside them.

Samples: ``course_samples/assignment2_convnet/`` (a 2024-style second assignment:
``classifiers/`` without ``__init__.py``, ``classifiers/cnn.py``'s ``ThreeLayerConvNet`` on
the package's own conv, pool and affine layers). Each test writes its variants to a
temporary copy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from oracle.cli import main
from oracle.core.record import ERROR, KINK, MATCH, MISMATCH

SAMPLES = Path(__file__).parent / "course_samples"
CONVNET = SAMPLES / "assignment2_convnet"


def run_check(out: Path, path: Path, *options: str) -> tuple[int, pd.DataFrame]:
    code = main(["check", str(path), "--out", str(out), "--seeds", "1", *options])
    frame = pd.read_csv(out, dtype={"input": str, "detail": str, "warning": str})
    return code, frame.fillna({"detail": "", "input": "", "warning": ""})


def convnet_variant(tmp_path: Path, *changes: str) -> Path:
    """A copy of the sample's package with ``cnn.py`` changed (old, new, old, new...); its path."""
    root = tmp_path / "assignment2"
    shutil.copytree(CONVNET, root)
    cnn = root / "cs231n" / "classifiers" / "cnn.py"
    text = cnn.read_text()
    for before, after in zip(changes[::2], changes[1::2], strict=True):
        assert text.count(before) == 1, before
        text = text.replace(before, after)
    cnn.write_text(text)
    return cnn


def test_a_correct_three_layer_convnet_matches_on_every_parameter(tmp_path: Path) -> None:
    cnn = CONVNET / "cs231n" / "classifiers" / "cnn.py"
    code, frame = run_check(tmp_path / "c.csv", cnn, "--target", "ThreeLayerConvNet")
    assert code == 0
    assert list(frame.input) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert set(frame.status) == {MATCH} and set(frame.judge) == {"jax"}
    assert frame.warning.str.contains(r"0\.5 \* reg \* sum\(W\*\*2\)").all()  # the convention read off


def test_a_convnet_without_the_regularization_gradient_of_w1_is_caught_on_w1_only(tmp_path: Path) -> None:
    cnn = convnet_variant(tmp_path, '        grads["W1"] += self.reg * W1\n', "")
    code, frame = run_check(tmp_path / "c.csv", cnn, "--target", "ThreeLayerConvNet")
    assert code == 1
    assert set(frame[frame.input != "W1"].status) == {MATCH}
    (row,) = frame[frame.input == "W1"].itertuples()
    assert row.status == MISMATCH and "known bug: the regularization gradient is missing" in row.detail


def test_a_convnet_whose_data_gradient_is_not_divided_by_n_is_named(tmp_path: Path) -> None:
    cnn = convnet_variant(
        tmp_path,
        "loss, dscores = softmax_loss(scores, y)\n",
        "loss, dscores = softmax_loss(scores, y)\n        dscores *= X.shape[0]\n",
    )
    code, frame = run_check(tmp_path / "c.csv", cnn, "--target", "ThreeLayerConvNet")
    assert code == 1 and set(frame.status) == {MISMATCH}
    assert frame.detail.str.contains("known bug: the data gradient is not divided by N").all()


def test_a_convnet_pooling_without_its_relu_is_a_mismatch(tmp_path: Path) -> None:
    # The scores of another architecture: the forward itself differs from the course's.
    root = tmp_path / "assignment2"
    shutil.copytree(CONVNET, root)
    utils = root / "cs231n" / "layer_utils.py"
    text = utils.read_text()
    utils.write_text(text.replace("s, relu_cache = relu_forward(a)", "s, relu_cache = a, a"))
    cnn = root / "cs231n" / "classifiers" / "cnn.py"
    code, frame = run_check(tmp_path / "c.csv", cnn, "--target", "ThreeLayerConvNet")
    assert code == 1 and MATCH not in set(frame.status)


def test_the_untouched_convnet_template_is_not_implemented(tmp_path: Path) -> None:
    start, end = "# " + "*" * 5 + "START OF YOUR CODE", "# " + "*" * 5 + "END OF YOUR CODE"
    cnn = convnet_variant(
        tmp_path,
        "        out1, cache1 = conv_relu_pool_forward(X, W1, b1, conv_param, pool_param)\n"
        "        out2, cache2 = affine_relu_forward(out1, W2, b2)\n"
        "        scores, cache3 = affine_forward(out2, W3, b3)\n",
        f"        scores = None\n        {start}\n\n        pass\n\n        {end}\n",
        "        grads = {}\n        loss, dscores = softmax_loss(scores, y)\n",
        f"        loss, grads = 0, {{}}\n        {start}\n\n        pass\n\n        {end}\n"
        "        return loss, grads\n",
    )
    text = cnn.read_text()
    cnn.write_text(text[: text.index("        return loss, grads\n") + len("        return loss, grads\n")])
    code, frame = run_check(tmp_path / "c.csv", cnn, "--target", "ThreeLayerConvNet")
    assert code == 1 and len(frame) == 1
    (row,) = frame.itertuples()
    assert row.status == ERROR and row.detail.startswith("not implemented: ThreeLayerConvNet.loss is still")


BANNER = "    " + "#" * 75 + "\n"


def stub_2025(signature: str, initial: str, todo: str, returned: str) -> str:
    """A 2025-style stub: the docstring, the initial values, a TODO and the closing banner; no pass."""
    return (
        f"def {signature}:\n"
        '    """What the layer computes (the assignment says)."""\n'
        f"    {initial}\n\n{BANNER}    # TODO: {todo}\n{BANNER}"
        f"    #{'END OF YOUR CODE':^73}#\n{BANNER}    return {returned}\n"
    )


POOL_FORWARD = """import numpy as np


def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    out = np.zeros((N, C, 1 + (H - ph) // s, 1 + (W - pw) // s))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = x[:, :, i * s : i * s + ph, j * s : j * s + pw].max(axis=(2, 3))
    return out, (x, pool_param)


"""


def test_2025_stubs_without_pass_are_not_implemented(tmp_path: Path) -> None:
    # In 2025 the first assignment's layers.py holds the second's layers as stubs with no pass;
    # one student did max pooling's forward only, and svm_loss says to copy it from elsewhere.
    layers = tmp_path / "layers.py"
    layers.write_text(
        POOL_FORWARD
        + stub_2025("max_pool_backward_naive(dout, cache)", "dx = None", "Implement the backward pass", "dx")
        + "\n\n"
        + stub_2025("svm_loss(x, y)", "loss, dx = None, None", "Copy over your solution from A1.", "loss, dx")
    )
    code, frame = run_check(tmp_path / "c.csv", layers)
    assert code == 1 and set(frame.target) == {"max_pool_naive", "svm_loss"}
    assert len(frame) == 2 and set(frame.status) == {ERROR}
    details = dict(zip(frame.target, frame.detail, strict=True))
    assert details["max_pool_naive"] == (
        "not implemented: max_pool_backward_naive is still the assignment's template "
        "(it keeps the template's placeholders and returns dx as initialized)"
    )
    assert details["svm_loss"].startswith("not implemented: svm_loss is still the assignment's template")


def test_a_finished_function_that_keeps_the_closing_banner_is_judged(tmp_path: Path) -> None:
    done = stub_2025(
        "max_pool_backward_naive(dout, cache)",
        "dx = None\n    x, pool_param = cache\n    dx = np.zeros_like(x)\n"
        "    for n, c, i, j in np.ndindex(*dout.shape):\n"
        "        ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']\n"
        "        window = x[n, c, i * s : i * s + ph, j * s : j * s + pw]\n"
        "        r, q = np.unravel_index(np.argmax(window), window.shape)\n"
        "        dx[n, c, i * s + r, j * s + q] += dout[n, c, i, j]",
        "Implement the backward pass",
        "dx",
    )
    layers = tmp_path / "layers.py"
    layers.write_text(POOL_FORWARD + done)
    code, frame = run_check(tmp_path / "c.csv", layers)
    assert code == 0 and set(frame.status) <= {MATCH, KINK} and len(frame) > 1


def test_2025_first_assignment_net_without_normalization_and_dropout_says_not_implemented(
    tmp_path: Path,
) -> None:
    # 2025 moved the net to the first assignment; its normalization and dropout come with the second.
    code, frame = run_check(tmp_path / "c.csv", SAMPLES / "nets_2025_a1.py")
    assert code == 1
    assert set(frame[frame.target == "FullyConnectedNet"].status) == {MATCH}
    options = frame[frame.target.str.startswith("FullyConnectedNet+")]
    assert sorted(options.target) == [f"FullyConnectedNet+{v}" for v in ("batchnorm", "dropout", "layernorm")]
    assert set(options.status) == {ERROR}  # one row each
    assert options.detail.str.match(r"not implemented: FullyConnectedNet\(\w+=.*\) changes nothing").all()
    yet = "the code of FullyConnectedNet has no (?:normalization|dropout) yet"
    assert options.detail.str.contains(yet).all()


def test_a_normalization_called_under_a_condition_that_never_holds_is_a_bug(tmp_path: Path) -> None:
    # A layer norm the code reaches for but never applies: the option is attempted, so a mismatch.
    text = (SAMPLES / "nets_2025_a1.py").read_text()
    old = "            if i < self.num_layers:\n                h = h * relu_mask\n"
    assert text.count(old) == 1
    new = (
        '            if i < self.num_layers and self.normalization == "layer_norm":\n'
        "                h, _ = layernorm_forward(h, 1.0, 0.0, {})\n" + old
    )
    sample = tmp_path / "fc_net.py"
    sample.write_text(text.replace(old, new))
    code, frame = run_check(tmp_path / "c.csv", sample, "--target", "FullyConnectedNet+layernorm")
    assert code == 1 and set(frame.status) == {MISMATCH}
    assert frame.detail.str.contains(r"normalization='layernorm'\) changes nothing").all()
    assert not frame.detail.str.contains("not implemented").any()


def test_a_2025_net_whose_init_has_no_gamma_yet_is_not_implemented(tmp_path: Path) -> None:
    text = (SAMPLES / "nets_2025_a1.py").read_text()
    old = "            if i < self.num_layers - 1 and normalization is not None:\n"
    assert text.count(old) == 1
    sample = tmp_path / "fc_net.py"
    sample.write_text(text.replace(old, "            if False:\n"))
    code, frame = run_check(tmp_path / "c.csv", sample, "--target", "FullyConnectedNet+batchnorm")
    assert code == 1 and len(frame) == 1 and set(frame.status) == {ERROR}
    assert frame.detail.str.match(r"not implemented: FullyConnectedNet.params has no gamma1, beta1").all()
    assert frame.detail.str.endswith("the code of FullyConnectedNet has no normalization yet").all()


def test_a_batch_norm_reading_its_running_mean_in_test_mode_is_run_after_training(tmp_path: Path) -> None:
    # The running averages exist once the net has trained, as in the course; the check's loss(X)
    # (test mode) came first on a fresh net: a KeyError on correct code.
    text = (SAMPLES.parent / "course_samples" / "nets_2018.py").read_text()
    old = "        mu = a.mean(axis=axis, keepdims=True)\n"
    assert text.count(old) == 1
    new = (
        old + '        if norm == "batchnorm" and bn_param["mode"] == "train":\n'
        '            bn_param["running_mean"] = mu\n'
        '        if norm == "batchnorm" and bn_param["mode"] == "test":\n'
        '            mu = bn_param["running_mean"]\n'
    )
    sample = tmp_path / "fc_net.py"
    sample.write_text(text.replace(old, new))
    code, frame = run_check(tmp_path / "c.csv", sample, "--target", "FullyConnectedNet+batchnorm")
    assert code == 0 and set(frame.status) == {MATCH}


DROPOUT = """import numpy as np


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    elif mode == "test":
        out = x
    return out.astype(x.dtype, copy=False), (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask
    return dout
"""


def test_a_dropout_mask_drawn_with_randn_is_named_as_such(tmp_path: Path) -> None:
    layers = tmp_path / "layers.py"
    layers.write_text(DROPOUT.replace("np.random.rand(*x.shape) < p", "np.random.randn(*x.shape) < p"))
    code, frame = run_check(tmp_path / "c.csv", layers)
    assert code == 1
    wrong = frame[frame.status != MATCH]
    assert len(wrong) >= 1 and set(wrong.input) == {"x"}
    assert wrong.detail.str.contains("known bug: the mask is drawn with np.random.randn").all()
    assert not frame.detail.str.contains("1 - keep").any()


def test_a_dropout_mask_keeping_1_minus_p_is_still_named_so(tmp_path: Path) -> None:
    layers = tmp_path / "layers.py"
    layers.write_text(DROPOUT.replace("np.random.rand(*x.shape) < p", "np.random.rand(*x.shape) > p"))
    code, frame = run_check(tmp_path / "c.csv", layers)
    wrong = frame[frame.status != MATCH]
    assert code == 1 and len(wrong) == 2  # both cases: p = 0.3 and p = 0.8
    assert wrong.detail.str.contains("known bug: the mask and the scale disagree on p").all()
    assert not frame.detail.str.contains("randn").any()


def test_a_correct_dropout_matches(tmp_path: Path) -> None:
    layers = tmp_path / "layers.py"
    layers.write_text(DROPOUT)
    code, frame = run_check(tmp_path / "c.csv", layers)
    assert code == 0 and set(frame.status) == {MATCH}


def test_a_net_calling_a_layer_still_stubbed_in_its_layers_file_is_not_implemented(tmp_path: Path) -> None:
    # 2025: a first-assignment net done ahead, whose batchnorm_forward is still the stub there.
    text = (SAMPLES / "nets_2025_a1.py").read_text()
    old = "            relu_mask = h > 0\n"
    assert text.count(old) == 1
    call = (
        '            if self.normalization == "batchnorm" and i < self.num_layers:\n'
        '                g, b = self.params["gamma%d" % i], self.params["beta%d" % i]\n'
        "                h, _ = batchnorm_forward(h, g, b, self.bn_params[i - 1])\n"
    )
    stub = stub_2025(
        "batchnorm_forward(x, gamma, beta, bn_param)", "out, cache = None, None", "the forward", "out, cache"
    )
    sample = tmp_path / "fc_net.py"
    sample.write_text(text.replace(old, call + old) + "\n\n" + stub)
    code, frame = run_check(tmp_path / "c.csv", sample, "--target", "FullyConnectedNet+batchnorm")
    assert code == 1 and len(frame) == 1 and set(frame.status) == {ERROR}
    assert frame.detail.iloc[0].startswith(
        "not implemented: FullyConnectedNet built with it calls batchnorm_forward, which is still the "
        "assignment's template"
    )
