"""CS224n 2017-2018's q2 (``oracle/courses/cs224n/neural.py``), skip-gram without a window
argument, and Python 2 files in a folder check.

Samples (``course_samples/cs224n/``): ``neural/`` (q1_softmax, q2_sigmoid, q2_neural as the
2017 handout asks: the cost summed), ``neural_mean/`` (the cost averaged, the gradient
divided by M), ``neural_buggy/`` (sigmoid_grad of x, the derivative taken of z); the other
variants, and a CBOW summing a generator (NumPy 1 code), are written per test.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oracle import course  # noqa: F401 - loads every course first, as the checker does
from oracle.cli import main
from oracle.core.record import MATCH
from oracle.courses.cs224n.neural import MEAN

SAMPLES = Path(__file__).parent / "course_samples" / "cs224n"


def check(out: Path, path: Path, *options: str) -> tuple[int, pd.DataFrame]:
    code = main(["check", str(path), "--out", str(out), *options])
    frame = pd.read_csv(out, dtype={"input": str, "detail": str, "warning": str, "target": str})
    return code, frame.fillna({"detail": "", "warning": "", "target": ""})


def test_correct_q2_files_pass_in_either_cost_convention(tmp_path: Path) -> None:
    code, frame = check(tmp_path / "sum.csv", SAMPLES / "neural")
    assert code == 0
    assert set(zip(frame.file, frame.target, strict=True)) == {
        ("q2_sigmoid.py", "sigmoid_grad"),
        ("q2_neural.py", "forward_backward_prop"),
    }
    assert set(frame.status) == {MATCH} and set(frame.course) == {"cs224n"}
    assert not frame.warning.str.contains("convention").any()
    code, frame = check(tmp_path / "mean.csv", SAMPLES / "neural_mean")
    assert code == 0 and set(frame.status) == {MATCH}
    network = frame[frame.target == "forward_backward_prop"]
    assert len(network) > 0 and network.warning.str.contains(MEAN, regex=False).all()


def test_the_classic_q2_bugs_are_caught_and_named(tmp_path: Path) -> None:
    code, frame = check(tmp_path / "c.csv", SAMPLES / "neural_buggy")
    assert code == 1
    named = {
        "sigmoid_grad": "known bug: sigmoid_grad takes x, not s = sigmoid(x)",
        "forward_backward_prop": "known bug: the sigmoid's derivative taken of the pre-activation",
    }
    for target, bug in named.items():
        rows = frame[frame.target == target]
        assert len(rows) > 0 and (rows.status != MATCH).all(), target
        assert rows.detail.str.contains(bug, regex=False).all(), target


def test_a_gradient_divided_by_m_beside_a_summed_cost_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "a1"
    shutil.copytree(SAMPLES / "neural", folder)
    source = (folder / "q2_neural.py").read_text()
    right = "    delta2 = probs - labels\n"
    assert right in source
    (folder / "q2_neural.py").write_text(
        source.replace(right, "    delta2 = (probs - labels) / X.shape[0]\n")
    )
    code, frame = check(tmp_path / "c.csv", folder)
    assert code == 1
    rows = frame[frame.target == "forward_backward_prop"]
    assert len(rows) > 0 and (rows.status != MATCH).all()
    assert rows.detail.str.contains(
        "the cost is summed over the M examples but the gradient divided by M"
    ).all()


def test_the_untouched_q2_starter_code_is_not_implemented(tmp_path: Path) -> None:
    (tmp_path / "q2_sigmoid.py").write_text(
        "import numpy as np\n\n\ndef sigmoid(x):\n    ### YOUR CODE HERE\n    raise NotImplementedError\n"
        "    ### END YOUR CODE\n    return s\n\n\ndef sigmoid_grad(s):\n    ### YOUR CODE HERE\n"
        "    raise NotImplementedError\n    ### END YOUR CODE\n    return ds\n"
    )
    _, frame = check(tmp_path / "c.csv", tmp_path / "q2_sigmoid.py")
    assert set(frame.status) == {"error"}
    assert frame.detail.str.startswith("not implemented").all()


SKIPGRAM_WITHOUT_WINDOW = """import numpy as np


def softmax_grad(center, target, U, dataset=None):
    s = U.dot(center)
    p = np.exp(s - s.max())
    p = p / p.sum()
    cost = -np.log(p[target])
    p[target] -= 1
    return cost, U.T.dot(p), np.outer(p, center)


def skipgram(center_word, context, tokens, V_in, U_out, dataset, cost_fn=softmax_grad):
    cost, gin, gout = 0.0, np.zeros_like(V_in), np.zeros_like(U_out)
    c = tokens[center_word]
    for w in context:
        j, gc, gu = cost_fn(V_in[c], tokens[w], U_out, dataset)
        cost += j
        gin[c] += gc
        gout += gu
    return cost, gin, gout
"""


def test_a_skipgram_of_its_own_signature_without_the_window_is_called_without_it(tmp_path: Path) -> None:
    (tmp_path / "w2v.py").write_text(SKIPGRAM_WITHOUT_WINDOW)
    code, frame = check(tmp_path / "c.csv", tmp_path / "w2v.py", "--course", "cs224n")
    assert code == 0 and set(frame.target) == {"skipgram"} and set(frame.status) == {MATCH}
    assert frame.warning.str.contains(
        "skipgram takes no windowSize (C): called without it", regex=False
    ).all()
    # the same function with its center gradient in the wrong row is still caught
    buggy = SKIPGRAM_WITHOUT_WINDOW.replace("gin[c] += gc", "gin[0] += gc")
    (tmp_path / "w2v.py").write_text(buggy)
    code, frame = check(tmp_path / "d.csv", tmp_path / "w2v.py", "--course", "cs224n")
    assert code == 1 and (frame[frame.input == "centerWordVectors"].status != MATCH).any()


PYTHON2 = """import numpy as np


def sigmoid(x):
    return 1.0 / (1 + np.exp(-x))


def sigmoid_grad(s):
    return s * (1 - s)


if __name__ == "__main__":
    print "sigmoid(0) =", sigmoid(0)
"""


def test_a_python2_file_is_unchecked_in_a_folder_and_exit_2_alone(tmp_path: Path) -> None:
    folder = tmp_path / "assignment1"
    folder.mkdir()
    (folder / "q2_sigmoid.py").write_text(PYTHON2)
    # a Python 3 file that does not compile is the student's error, not an unchecked file
    (folder / "q2_neural.py").write_text(
        "def forward_backward_prop(X, labels, params, dimensions):\n    return f(X\n"
    )
    code, frame = check(tmp_path / "c.csv", folder)
    by_file = {f: set(rows.status) for f, rows in frame.groupby("file")}
    assert by_file == {"q2_sigmoid.py": {"unchecked"}, "q2_neural.py": {"error"}}
    assert code == 1  # the error fails; the unchecked file alone would not
    assert "Python 2 code" in frame[frame.file == "q2_sigmoid.py"].detail.iloc[0]
    assert main(["check", str(folder / "q2_sigmoid.py"), "--out", str(tmp_path / "d.csv")]) == 2
    # a forged message does not make a Python 3 file unchecked: the checker compiles it itself
    from oracle.course.loading.installed import load_status

    forged = "x.py:3: cannot import: SyntaxError: invalid syntax (Python 2 code: run it through 2to3 first)"
    assert load_status(forged, folder / "q2_neural.py") == "error"
    assert load_status(forged, folder / "q2_sigmoid.py") == "unchecked"


def test_the_readmes_q2_example_runs_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(__file__).parent.parent
    command = "python -m oracle check tests/course_samples/cs224n/neural"
    assert f"```\n{command}\n```" in (root / "README.md").read_text()
    monkeypatch.chdir(root)
    out = tmp_path / "check.csv"
    assert main([*command.split()[3:], "--out", str(out)]) == 0
    frame = pd.read_csv(out)
    assert set(frame.course) == {"cs224n"} and set(frame.status) == {MATCH}


CBOW_SUMMING_A_GENERATOR = """import numpy as np


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    scores = outputVectors.dot(predicted)
    probs = np.exp(scores - np.max(scores))
    probs /= np.sum(probs)
    cost = -np.log(probs[target])
    probs[target] -= 1
    return cost, outputVectors.T.dot(probs), np.outer(probs, predicted)


def cbow(currentWord, C, contextWords, tokens, inputVectors, outputVectors, dataset,
         word2vecCostAndGradient=softmaxCostAndGradient):
    gradIn = np.zeros(inputVectors.shape)
    # the context's vectors summed straight from a generator
    predicted = np.sum((inputVectors[tokens[w]] for w in contextWords), axis=0)
    cost, gradPred, gradOut = word2vecCostAndGradient(predicted, tokens[currentWord], outputVectors, dataset)
    for w in contextWords:
        gradIn[tokens[w]] += gradPred
    return cost, gradIn, gradOut
"""


def test_numpy1s_sum_of_a_generator_runs_again_as_numpy_1_did(tmp_path: Path) -> None:
    original = np.sum
    (tmp_path / "q3_word2vec.py").write_text(CBOW_SUMMING_A_GENERATOR)
    # in the checker's own process: np.sum is NumPy 1's only during the second run
    code, frame = check(tmp_path / "c.csv", tmp_path / "q3_word2vec.py", "--target", "cbow", "--no-isolate")
    assert code == 0 and set(frame.status) == {MATCH}
    assert frame.warning.str.contains("run again with NumPy 1's np.sum of a generator", regex=False).all()
    # a wrong gradient behind the same generator is still caught
    buggy = CBOW_SUMMING_A_GENERATOR.replace("gradIn[tokens[w]] += gradPred", "gradIn[tokens[w]] = gradPred")
    (tmp_path / "q3_word2vec.py").write_text(buggy)
    code, frame = check(tmp_path / "d.csv", tmp_path / "q3_word2vec.py", "--target", "cbow")
    assert code == 1 and (frame[frame.input == "centerWordVectors"].status == "mismatch").any()
    assert np.sum is original  # the checker's own numpy is as it was
