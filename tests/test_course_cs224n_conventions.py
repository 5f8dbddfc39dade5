"""CS224n word2vec code that differs from the handout where the course's own tools accept it.

- CBOW whose context vectors are averaged (the original word2vec's), not summed: read off
  the student's loss and noted; a gradient that forgets the average is still caught.
- A cost of shape (1,) and a center gradient of shape (1, d), which a center vector reshaped
  to a column gives: judged as the values they hold and noted; a wrong value is still caught.
Each file here is written per test in a student's style.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from oracle import course  # noqa: F401 - loads every course first, as the checker does
from oracle.cli import main
from oracle.core.record import MATCH
from oracle.courses.cs224n.word2vec import CBOW_MEAN


def check(out: Path, path: Path, *options: str) -> tuple[int, pd.DataFrame]:
    code = main(["check", str(path), "--out", str(out), "--course", "cs224n", *options])
    frame = pd.read_csv(out, dtype={"input": str, "detail": str, "warning": str})
    return code, frame.fillna({"detail": "", "warning": ""})


AVERAGED_CBOW = """import numpy as np


def cbow(currentWord, C, contextWords, tokens, inputVectors, outputVectors, dataset,
         word2vecCostAndGradient=None):
    ids = [tokens[w] for w in contextWords]
    v_hat = np.mean(inputVectors[ids], axis=0)  # average of the context
    cost, g_hat, gradOut = word2vecCostAndGradient(v_hat, tokens[currentWord], outputVectors, dataset)
    gradIn = np.zeros_like(inputVectors)
    for i in ids:
        gradIn[i] += g_hat / len(ids)
    return cost, gradIn, gradOut
"""


def test_an_averaging_cbow_is_a_convention_and_its_missing_division_a_bug(tmp_path: Path) -> None:
    (tmp_path / "q3_word2vec.py").write_text(AVERAGED_CBOW)
    code, frame = check(tmp_path / "c.csv", tmp_path / "q3_word2vec.py")
    assert code == 0 and set(frame.target) == {"cbow"} and set(frame.status) == {MATCH}
    assert frame.warning.str.contains(CBOW_MEAN, regex=False).all()
    (tmp_path / "q3_word2vec.py").write_text(AVERAGED_CBOW.replace("g_hat / len(ids)", "g_hat"))
    code, frame = check(tmp_path / "d.csv", tmp_path / "q3_word2vec.py")
    assert code == 1
    assert (frame[frame.input == "centerWordVectors"].status == "mismatch").all()


COLUMN_SOFTMAX = """import numpy as np


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    v = predicted.reshape(-1, 1)  # a column
    scores = outputVectors.dot(v)
    p = np.exp(scores - np.max(scores))
    p = p / np.sum(p)
    cost = -np.log(p[target])  # shape (1,)
    p[target] -= 1
    gradPred = p.T.dot(outputVectors)  # shape (1, d)
    grad = p.dot(v.T)
    return cost, gradPred, grad
"""


def test_a_cost_of_shape_1_and_a_row_gradient_are_judged_as_their_values(tmp_path: Path) -> None:
    (tmp_path / "q3_word2vec.py").write_text(COLUMN_SOFTMAX)
    code, frame = check(tmp_path / "c.csv", tmp_path / "q3_word2vec.py")
    assert code == 0 and set(frame.status) == {MATCH}
    note = "returns its loss of shape (1,) and its center gradient of shape (1, 4): judged as the values"
    assert frame.warning.str.contains(note, regex=False).all()
    # the same shapes around a wrong gradient: still caught
    (tmp_path / "q3_word2vec.py").write_text(COLUMN_SOFTMAX.replace("    p[target] -= 1\n", ""))
    code, frame = check(tmp_path / "d.csv", tmp_path / "q3_word2vec.py")
    assert code == 1 and (frame.status != MATCH).all()
    assert frame.detail.str.contains("known bug: softmax(U v) without subtracting y", regex=False).all()
