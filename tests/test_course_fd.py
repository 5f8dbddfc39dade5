"""Pairs and gates without a reference: their backward against finite differences of their own forward.

Samples: ``course_samples/fd_layers.py`` (correct), ``fd_layers_buggy.py`` (a planted bug
in each). Their rows say ``judge=fd``; ``jax_value`` stays empty and ``fd_value`` holds
the finite difference.
"""

from __future__ import annotations

import shlex
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import jax
import numpy as np
import pandas as pd
import pytest

from oracle import course
from oracle.cli import main
from oracle.core.record import ERROR, KINK, MATCH, MISMATCH
from oracle.course.judging import fd_judge
from oracle.course.registry import REFERENCES

SAMPLES = Path(__file__).parent / "course_samples"


def check(out: Path, sample: str, *options: str) -> tuple[int, pd.DataFrame]:
    code = main(["check", str(SAMPLES / f"{sample}.py"), "--out", str(out), *options])
    frame = pd.read_csv(out, dtype={"input": str, "detail": str, "warning": str})
    return code, frame.fillna({"detail": "", "warning": "", "input": ""})


@pytest.fixture(scope="module")
def correct(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, pd.DataFrame]:
    return check(tmp_path_factory.mktemp("fd") / "check.csv", "fd_layers")


@pytest.fixture(scope="module")
def buggy(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, pd.DataFrame]:
    return check(tmp_path_factory.mktemp("fd_bugs") / "check.csv", "fd_layers_buggy", "--seeds", "1")


@pytest.fixture
def registry() -> Any:
    before = dict(REFERENCES)
    yield
    REFERENCES.clear()
    REFERENCES.update(before)


def test_correct_layers_without_a_reference_pass_as_fd_rows(correct: tuple[int, pd.DataFrame]) -> None:
    code, frame = correct
    assert code == 0
    assert set(frame.target) == {
        "swish",
        "scale_shift",
        "affine_tanh",
        "conv_sum",
        "sqrt",
        "DivideGate",
        "HingeGate",
    }
    assert set(frame.status) == {MATCH} and set(frame.judge) == {"fd"}
    assert frame.jax_value.isna().all() and frame.fd_value.notna().all()
    assert frame.detail.str.startswith("judge fd: <d").all()
    assert set(frame.seed) == {0, 1, 2}


def test_the_inputs_are_the_shapes_the_code_means(correct: tuple[int, pd.DataFrame]) -> None:
    _, frame = correct
    shapes = frame.drop_duplicates(["target", "input"]).set_index(["target", "input"])["shape"]
    assert shapes["scale_shift", "gamma"] == "[4]"  # gamma * x + beta also runs with gamma of x's shape
    assert shapes["affine_tanh", "w"] == "[4, 5]"
    assert shapes["conv_sum", "x"] == "[2, 3, 6, 6]" and shapes["conv_sum", "w"] == "[4, 3, 3, 3]"
    assert set(frame[frame.target == "DivideGate"]["shape"]) == {"[]", "[3, 4]"}  # a gate: both sizes


def test_a_forward_defined_only_for_positive_inputs_gets_positive_ones(
    correct: tuple[int, pd.DataFrame],
) -> None:
    _, frame = correct
    assert set(frame[frame.target == "sqrt"].status) == {MATCH}


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("swish", "<dx, v>"),
        ("scale_shift", "wrong sign: -1 times the finite difference along every direction"),
        ("affine_tanh", "the upstream gradient is not multiplied in"),
        ("cube", "2 times the finite difference along every direction"),
        ("DivideGate", "gradients swapped?"),
    ],
)
def test_planted_bugs_are_caught(buggy: tuple[int, pd.DataFrame], target: str, says: str) -> None:
    code, frame = buggy
    assert code == 1
    rows = frame[frame.target == target]
    assert (rows.status == MISMATCH).any()
    assert rows[rows.status == MISMATCH].detail.str.contains(says, regex=False).all()
    assert set(rows.judge) == {"fd"}


def test_a_forward_that_is_not_a_function_cannot_be_judged(buggy: tuple[int, pd.DataFrame]) -> None:
    _, frame = buggy
    rows = frame[frame.target == "NoisyGate"]
    assert list(rows.status) == [ERROR]
    assert (
        "cannot be checked by finite differences: two calls with the same inputs gave different"
        in rows.iloc[0].detail
    )


def test_the_summary_says_which_judge_each_target_got(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["check", str(SAMPLES / "fd_layers.py"), "--seeds", "1", "--out", str(tmp_path / "c.csv")])
    text = capsys.readouterr().out
    assert (
        "swish (layer, judge fd: finite differences of your own forward, which is itself unverified)" in text
    )
    assert "DivideGate (gate, judge fd:" in text
    main(
        [
            "check",
            str(SAMPLES / "correct.py"),
            "--seeds",
            "1",
            "--target",
            "relu",
            "--out",
            str(tmp_path / "d.csv"),
        ]
    )
    assert "relu (layer, JAX relu)" in capsys.readouterr().out


def test_same_seed_same_bytes_and_the_replay_reproduces(
    tmp_path: Path, correct: tuple[int, pd.DataFrame]
) -> None:
    check(tmp_path / "a.csv", "fd_layers", "--seed", "4", "--seeds", "2")
    check(tmp_path / "b.csv", "fd_layers", "--seed", "4", "--seeds", "2")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    _, frame = correct
    record = frame[(frame.target == "conv_sum") & (frame.seed == 2)].iloc[1]
    argv = shlex.split(record.replay)[3:]
    assert main([*argv, "--out", str(tmp_path / "r.csv")]) == 0
    again = pd.read_csv(tmp_path / "r.csv", dtype={"input": str, "detail": str, "warning": str})
    same = again[again.input == record.input].iloc[0]
    assert same.fd_value == record.fd_value and same.tested_value == record.tested_value


def _counting(log: Counter[str]) -> ModuleType:
    """A module with one unknown layer that counts its forward and backward calls."""

    def blur_forward(x: Any, w: Any) -> Any:
        log["forward"] += 1
        return np.tanh(x) * w, (x, w)

    def blur_backward(dout: Any, cache: Any) -> Any:
        log["backward"] += 1
        x, w = cache
        return dout * w * (1 - np.tanh(x) ** 2), dout * np.tanh(x)

    module = ModuleType("counting")
    blur_forward.__module__ = blur_backward.__module__ = module.__name__
    module.blur_forward, module.blur_backward = blur_forward, blur_backward  # type: ignore[attr-defined]
    return module


def test_the_cost_does_not_grow_with_the_inputs_size() -> None:
    log: Counter[str] = Counter()
    records = course.check_module(_counting(log), seeds=1)
    assert {r.status for r in records} == {MATCH}
    # the probe: 2 forwards and a backward (with its forward) on the first candidate (elementwise, 3 x 4);
    # the case: 1 forward + 1 backward, the same output again, 4 forwards per direction and input
    per_case = 1 + 1 + 4 * fd_judge.DIRECTIONS * 2
    assert log == Counter(forward=3 + per_case, backward=2)


def test_a_planted_bug_in_an_unknown_layer_is_caught_through_the_api() -> None:
    log: Counter[str] = Counter()
    module = _counting(log)
    good = module.blur_backward  # type: ignore[attr-defined]

    def blur_backward(dout: Any, cache: Any) -> Any:
        dx, dw = good(dout, cache)
        return dx, dw + 1e-3 * np.sign(dw)  # off by a tenth of a percent

    blur_backward.__module__ = module.__name__
    module.blur_backward = blur_backward  # type: ignore[attr-defined]
    records = course.check_module(module, seeds=2)
    assert {r.input: r.status for r in records} == {"x": MATCH, "w": MISMATCH}


def test_a_registered_reference_turns_the_rows_into_jax_verdicts(tmp_path: Path, registry: Any) -> None:
    course.register_reference("swish", lambda x: x * jax.nn.sigmoid(x))
    code, frame = check(tmp_path / "s.csv", "fd_layers", "--target", "swish", "--seeds", "1")
    assert code == 0 and set(frame.judge) == {"jax"} and set(frame.status) == {MATCH}


def test_a_layer_whose_forward_takes_nothing_the_probe_tries_is_an_error() -> None:
    def picky_forward(x: Any) -> Any:
        if x.shape != (7, 7):
            raise ValueError(f"expected a 7 x 7 board, got {x.shape}")
        return x, x

    def picky_backward(dout: Any, cache: Any) -> Any:
        return dout

    module = ModuleType("picky")
    picky_forward.__module__ = picky_backward.__module__ = module.__name__
    module.picky_forward, module.picky_backward = picky_forward, picky_backward  # type: ignore[attr-defined]
    (record,) = course.check_module(module, seeds=2)
    assert record.status == ERROR and record.judge == "fd"
    assert record.detail.startswith(
        "picky_forward accepts none of the inputs tried (on [3, 4]: raised ValueError"
    )
    assert "register a reference for it" in record.detail


def test_a_forward_with_steps_is_not_judged_where_it_jumps() -> None:
    def quantize_forward(x: Any) -> Any:
        return np.round(x, 7), None

    def quantize_backward(dout: Any, cache: Any) -> Any:
        return dout  # the straight-through estimator: no finite difference can agree or disagree

    module = ModuleType("steps")
    quantize_forward.__module__ = quantize_backward.__module__ = module.__name__
    module.quantize_forward, module.quantize_backward = quantize_forward, quantize_backward  # type: ignore[attr-defined]
    records = course.check_module(module, seeds=2)
    assert {r.status for r in records} == {KINK}
    assert all("not judged: your forward is not smooth" in r.detail for r in records)


def test_the_printed_table_shows_the_finite_difference_under_its_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    check(tmp_path / "c.csv", "fd_layers_buggy", "--seeds", "1", "--target", "swish")
    header, row = capsys.readouterr().out.splitlines()[2:4]
    assert header.split()[:7] == ["input", "seed", "shape", "status", "student", "fd", "rel_err"]
    frame = pd.read_csv(tmp_path / "c.csv")
    student, fd = frame.tested_value.iloc[0], frame.fd_value.iloc[0]
    assert f" {student:.6g}  {fd:.6g} " in row  # the values as printed: 6 significant digits


HELPERS = """
import numpy as np


def fc_forward(x, w, b, normalization=None, gamma=None, beta=None, bn_param=None):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    cache = (x, w, normalization)
    return out, cache


def fc_backward(dout, cache):
    x, w, normalization = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = np.sum(dout, axis=0)
    dgamma, dbeta = None, None  # only with normalization
    return dx, dw, db, dgamma, dbeta


def fc_norm_relu_forward(x, w, b, gamma, beta, bn_param, norm_type):
    out = np.maximum(0, x.dot(w) + b)
    return out, (x, w, out, norm_type)


def fc_norm_relu_backward(dout, cache):
    x, w, out, norm_type = cache
    da = dout * (out > 0)
    return da.dot(w.T), x.T.dot(da), da.sum(axis=0), None, None
"""


def check_path(folder: Path) -> tuple[int, pd.DataFrame]:
    code = main(["check", str(folder / "layer_helpers.py"), "--out", str(folder / "c.csv"), "--seeds", "1"])
    frame = pd.read_csv(folder / "c.csv", dtype={"input": str, "detail": str}).fillna({"detail": ""})
    return code, frame


def test_a_helper_returning_none_for_its_optional_inputs_is_judged_on_the_others(tmp_path: Path) -> None:
    (tmp_path / "layer_helpers.py").write_text(HELPERS)
    code, frame = check_path(tmp_path)
    fc = frame[frame.target == "fc"]
    assert set(fc.status) == {MATCH} and set(fc.input) == {"x", "w", "b"}, fc.detail.tolist()
    # a string after the parameter dict: the judge cannot call it, which is not the student's fault
    helper = frame[frame.target == "fc_norm_relu"]
    assert helper.status.tolist() == ["unchecked"], helper.detail.tolist()
    assert "cannot tell which arguments of fc_norm_relu_forward are arrays" in helper.detail.iloc[0]
    assert code == 0


def test_a_helper_returning_a_gradient_beyond_its_inputs_is_still_refused(tmp_path: Path) -> None:
    source = HELPERS.replace("dgamma, dbeta = None, None", "dgamma, dbeta = np.ones(1), None")
    (tmp_path / "layer_helpers.py").write_text(source)
    code, frame = check_path(tmp_path)
    fc = frame[frame.target == "fc"]
    assert code == 1 and (fc.status != MATCH).all()
    assert fc.detail.str.contains("returned 5 gradients, expected 3").all(), fc.detail.tolist()
