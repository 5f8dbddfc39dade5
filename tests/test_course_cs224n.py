"""CS224n's word2vec (``oracle/courses/cs224n``): both years' names, the check's own dataset of draws.

Samples (``course_samples/cs224n/``): ``word2vec.py`` (2019 on, ``np.add.at`` for repeated
negatives), ``q3_word2vec.py`` (2017's names, with CBOW), ``word2vec_buggy.py`` (one classic
mistake per function), ``negatives_with_target.py`` (the outside word among the negatives),
``template.py`` (the starter code, untouched).
"""

from __future__ import annotations

from pathlib import Path

import jax
import numpy as np
import pandas as pd

from oracle import course  # noqa: F401 - loads every course first, as the checker does
from oracle.cli import main
from oracle.core.record import MATCH
from oracle.courses.cs224n import word2vec_jax as w2v
from oracle.courses.cs224n.calls import Draws, softmax_loss
from oracle.courses.cs224n.word2vec import with_draws

SAMPLES = Path(__file__).parent / "course_samples" / "cs224n"


def check(out: Path, path: Path, *options: str) -> tuple[int, pd.DataFrame]:
    code = main(["check", str(path), "--out", str(out), *options])
    frame = pd.read_csv(out, dtype={"input": str, "detail": str, "warning": str})
    return code, frame.fillna({"detail": "", "warning": ""})


def test_correct_files_of_both_years_pass(tmp_path: Path) -> None:
    code, frame = check(tmp_path / "new.csv", SAMPLES / "word2vec.py")
    assert code == 0
    assert set(frame.course) == {"cs224n"}
    assert set(frame.target) == {"naiveSoftmaxLossAndGradient", "negSamplingLossAndGradient", "skipgram"}
    assert set(frame.status) == {MATCH}
    code, frame = check(tmp_path / "old.csv", SAMPLES / "q3_word2vec.py")
    assert code == 0
    assert set(frame.target) == {"softmaxCostAndGradient", "negSamplingCostAndGradient", "skipgram", "cbow"}
    assert set(frame.status) == {MATCH}


def test_each_classic_bug_is_caught_and_named(tmp_path: Path) -> None:
    code, frame = check(tmp_path / "c.csv", SAMPLES / "word2vec_buggy.py")
    assert code == 1
    named = {
        "naiveSoftmaxLossAndGradient": "known bug: softmax(U v) without subtracting y",
        "negSamplingLossAndGradient": "known bug: a word drawn several times as a negative counted once",
        "skipgram": "known bug: the center word's gradient put in another row",
    }
    for target, bug in named.items():
        failing = frame[(frame.target == target) & (frame.status != MATCH)]
        assert len(failing) > 0, target
        assert failing.detail.str.contains(bug, regex=False).all(), target
    code, frame = check(tmp_path / "t.csv", SAMPLES / "negatives_with_target.py")
    assert code == 1
    assert (frame.status != MATCH).all()
    bug = "known bug: the outside word counted among the negatives"
    assert frame.detail.str.contains(bug, regex=False).all()


def test_the_untouched_starter_code_is_not_implemented(tmp_path: Path) -> None:
    code, frame = check(tmp_path / "c.csv", SAMPLES / "template.py")
    assert code == 1
    assert len(frame) == 2  # one row per target
    assert frame.detail.str.startswith("not implemented: ").all()


def test_the_draws_repeat_words_and_hold_the_outside_word() -> None:
    """Every case exercises what the classic bugs get wrong: repeated negatives, the outside word drawn."""
    for seed in range(20):
        _, outside, o, draws = with_draws(np.random.default_rng(seed), ((4,), (6, 4), (), (40,)))
        counts = np.asarray(w2v.negative_counts(o, jax.numpy.asarray(draws), outside))
        assert counts.sum() == w2v.K
        assert counts[int(o)] == 0
        assert counts.max() >= 2
        assert int(o) in draws[: w2v.K + 1]


def test_the_dataset_hands_out_the_draws_in_order_and_no_more() -> None:
    dataset = Draws([3, 1, 3], 5)
    assert [dataset.sampleTokenIdx() for _ in range(3)] == [3, 1, 3]
    try:
        dataset.sampleTokenIdx()
    except Exception as exc:
        assert "drew more than the 3 token indices" in str(exc)
    else:
        raise AssertionError("a fourth draw was handed out")


def test_the_checks_own_loss_for_skipgram_is_the_reference() -> None:
    rng = np.random.default_rng(0)
    center, outside = rng.standard_normal(4), rng.standard_normal((6, 4))
    loss, d_center, d_outside = softmax_loss(center, 2, outside)
    expected, pullback = jax.vjp(lambda v, u: w2v.naive_softmax(v, u, 2), center, outside)
    g_center, g_outside = pullback(1.0)
    np.testing.assert_allclose(loss, float(expected), rtol=1e-12)
    np.testing.assert_allclose(d_center, g_center, rtol=1e-10)
    np.testing.assert_allclose(d_outside, g_outside, rtol=1e-10)
