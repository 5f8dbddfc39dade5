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
from oracle.core.record import ERROR, MATCH, MISMATCH

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
