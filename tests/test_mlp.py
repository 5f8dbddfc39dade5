"""The lecture's two-layer network: the hand-derived numpy backward, the engine's and JAX's agree."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oracle import cli, mlp_lockstep
from oracle.core import errors
from oracle.core.compare import compare
from reference import mlp as ref
from reference.gates import GATES

SMALL = ["--n", "8", "--d-in", "20", "--hidden", "10", "--d-out", "3", "--lr", "1e-3", "--seed", "3"]

sizes = st.tuples(st.integers(1, 8), st.integers(1, 20), st.integers(1, 10), st.integers(1, 5))
seeds = st.integers(0, 2**32 - 1)
learning_rates = st.floats(-6, -2).map(lambda e: 10.0**e)


@given(sizes=sizes, seed=seeds, lr=learning_rates)
def test_the_three_gradients_agree_at_every_step(
    sizes: tuple[int, int, int, int], seed: int, lr: float
) -> None:
    n, d_in, hidden, d_out = sizes
    lockstep = mlp_lockstep.Lockstep(
        mlp_lockstep.Config(steps=4, seed=seed, n=n, d_in=d_in, hidden=hidden, d_out=d_out, lr=lr)
    )
    for step in range(4):
        results = lockstep.step()
        jax_loss, jax_grads = results["jax"]
        allowed = mlp_lockstep.TOLERANCE * mlp_lockstep.cancellation(jax_loss, lockstep.y_norm)
        for name in mlp_lockstep.CHECKED:
            loss, grads = results[name]
            assert mlp_lockstep.deviation(loss, jax_loss) <= allowed, (name, step, loss, jax_loss)
            for w, grad, jax_grad, weight in zip(
                ("w1", "w2"), grads, jax_grads, lockstep.weights[name], strict=True
            ):
                jax_grad = np.asarray(jax_grad)
                assert grad.shape == jax_grad.shape == weight.shape
                assert mlp_lockstep.deviation(grad, jax_grad) <= allowed, (name, w, step)
                if step == 0:  # the same weights everywhere: the project's float64 comparison holds too
                    assert compare(grad, jax_grad, "float64").ok, (name, w)


@given(sizes=sizes, seed=seeds)
def test_numpy_and_engine_gradients_agree_at_the_same_weights(
    sizes: tuple[int, int, int, int], seed: int
) -> None:
    x, y, w1, w2 = ref.init(seed, *sizes)
    before = [a.copy() for a in (x, y, w1, w2)]
    loss_numpy, grads_numpy = ref.numpy_step(w1, w2, x, y)
    loss_engine, grads_engine = ref.engine_step(w1, w2, x, y)
    assert loss_engine == pytest.approx(loss_numpy, rel=1e-13)
    for a, b in zip(grads_numpy, grads_engine, strict=True):
        assert compare(b, a, "float64").ok
    for a, b in zip(before, (x, y, w1, w2), strict=True):
        assert np.array_equal(a, b)  # the steps leave their inputs alone


def test_init_is_the_lectures_draw() -> None:
    x, y, w1, w2 = ref.init(7, 3, 4, 5, 2)
    assert [a.shape for a in (x, y, w1, w2)] == [(3, 4), (3, 2), (4, 5), (5, 2)]
    assert all(a.dtype == np.float64 for a in (x, y, w1, w2))
    rng = np.random.default_rng(7)
    assert np.array_equal(x, rng.standard_normal((3, 4)))
    assert np.array_equal(ref.init(7, 3, 4, 5, 2).w2, w2)


def test_lockstep_trains_like_the_lectures_loop() -> None:
    """``reference.mlp.train`` (the lecture's loop, in-place updates) and the lockstep give the same bits."""
    config = mlp_lockstep.Config(steps=5, seed=1, n=4, d_in=6, hidden=5, d_out=2, lr=1e-3)
    for name, step in (("numpy", ref.numpy_step), ("engine", ref.engine_step)):
        losses, w1, w2 = ref.train(step, config.steps, config.seed, *config.sizes, lr=config.lr)
        lockstep = mlp_lockstep.Lockstep(config)
        lockstep_losses = [lockstep.step()[name][0] for _ in range(config.steps)]
        assert losses == lockstep_losses
        assert np.array_equal(w1, lockstep.weights[name][0]) and np.array_equal(w2, lockstep.weights[name][1])


def test_reference_mlp_never_imports_jax() -> None:
    code = (
        "import sys, reference.mlp; sys.exit(any(m.split('.')[0] in ('jax', 'oracle') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@pytest.mark.slow
def test_the_lectures_full_run_agrees_within_the_tolerance() -> None:
    """2000 steps at the lecture's sizes: loss curves and final weights agree (measured: see TOLERANCE)."""
    start = time.perf_counter()
    lockstep = mlp_lockstep.Lockstep(mlp_lockstep.Config())
    frame = pd.DataFrame([lockstep.row(step, lockstep.step()) for step in range(ref.STEPS)])
    weights = lockstep.weight_deviations()
    assert mlp_lockstep.problems(frame, weights) == []
    numpy_w, engine_w = lockstep.weights["numpy"], lockstep.weights["engine"]
    assert (
        max(mlp_lockstep.deviation(a, b) for a, b in zip(numpy_w, engine_w, strict=True))
        <= mlp_lockstep.TOLERANCE
    )
    # the lecture's curve: from ~3e4 down to a few units
    assert frame["loss_jax"].iloc[0] > 1e4 and frame["loss_jax"].iloc[-1] < 10
    worst = {c: frame[c].max() for c in frame.columns if c.startswith(("loss_dev", "grad_dev", "cancel"))}
    print(f"\nlecture run: {time.perf_counter() - start:.1f} s, worst {worst}, final weights {weights}")


def test_the_command_writes_the_csv_and_the_plot(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "new" / "mlp.csv"
    steps = 2 * mlp_lockstep.FLUSH_EVERY  # two full chunks, and none left over at the end
    assert cli.main(["mlp", "--steps", str(steps), *SMALL, "--out", str(out)]) == errors.EXIT_CLEAN
    frame = pd.read_csv(out)
    assert list(frame.columns) == mlp_lockstep.COLUMNS
    assert frame["step"].tolist() == list(range(steps))
    assert all(frame[column].dtype == np.float64 for column in mlp_lockstep.COLUMNS[1:])
    assert frame["loss_jax"].iloc[-1] < frame["loss_jax"].iloc[0]
    assert (frame[["grad_dev_numpy", "grad_dev_engine"]] <= mlp_lockstep.TOLERANCE).all().all()
    assert (tmp_path / "new" / "mlp_loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    stdout = capsys.readouterr().out
    assert "agree within" in stdout and str(out) in stdout


@pytest.mark.parametrize(
    "argv, culprit",
    [
        (["--steps", "-3"], "--steps"),
        (["--steps", "0"], "--steps"),
        (["--n", "0"], "--n"),
        (["--d-in", "0"], "--d-in"),
        (["--hidden", "-1"], "--hidden"),
        (["--d-out", "0"], "--d-out"),
        (["--lr", "0"], "--lr"),
        (["--lr", "nan"], "--lr"),
        (["--lr=-1e-4"], "--lr"),
        (["--seed", "-1"], "--seed"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], culprit: str, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mlp.csv"
    assert cli.main(["mlp", *argv, "--out", str(out)]) == errors.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and culprit in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("where", ["under_a_file", "a_directory"])
def test_an_unwritable_out_is_one_line_and_exit_2(
    where: str, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("")
    out = tmp_path / "file" / "mlp.csv" if where == "under_a_file" else tmp_path
    assert cli.main(["mlp", "--steps", "3", *SMALL, "--out", str(out)]) == errors.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--out" in err and "Traceback" not in err


def test_a_bad_option_value_is_an_argparse_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["mlp", "--steps", "many"])
    assert exit_info.value.code == errors.EXIT_BAD_INPUT
    assert capsys.readouterr().err.count("\n") == 1


def without_factor_two(w1: Any, w2: Any, x: Any, y: Any) -> tuple[float, ref.Grads]:
    """The lecture's step with grad_y_pred = y_pred - y: every gradient half as large."""
    h = 1 / (1 + np.exp(-x.dot(w1)))
    y_pred = h.dot(w2)
    grad_y_pred = y_pred - y
    grad_h = grad_y_pred.dot(w2.T)
    return float(np.square(y_pred - y).sum()), (x.T.dot(grad_h * h * (1 - h)), h.T.dot(grad_y_pred))


def test_a_lost_factor_two_is_caught(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(
        mlp_lockstep.IMPLEMENTATIONS, "numpy", mlp_lockstep.Implementation(without_factor_two)
    )
    out = tmp_path / "mlp.csv"
    assert cli.main(["mlp", "--steps", "5", *SMALL, "--out", str(out)]) == errors.EXIT_DIVERGENCE
    verdict = capsys.readouterr().out.split("verdict: ")[1]
    assert verdict.startswith("DIVERGED") and "numpy: gradient" in verdict and "engine" not in verdict
    frame = pd.read_csv(out)
    assert len(frame) == 5 and (frame["rel_err_numpy_w2"] > 0.3).all()  # |2a - a| / 3|a| = 1/3


def test_an_engine_gate_that_forgets_part_of_its_gradient_is_caught(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def sigmoid_without_one_minus_s(x: np.ndarray) -> tuple[np.ndarray, tuple[Any, ...]]:
        s = 1 / (1 + np.exp(-x))
        return s, (lambda g: g * s,)

    broken = dataclasses.replace(GATES["sigmoid"], forward=sigmoid_without_one_minus_s)
    monkeypatch.setitem(GATES, "sigmoid", broken)
    argv = ["mlp", "--steps", "3", *SMALL, "--out", str(tmp_path / "mlp.csv")]
    assert cli.main(argv) == errors.EXIT_DIVERGENCE
    verdict = capsys.readouterr().out.split("verdict: ")[1]
    assert "engine: gradient" in verdict and "numpy" not in verdict


def test_ctrl_c_keeps_the_completed_steps(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = 0

    def interrupted_at_step_7(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 8:
            raise KeyboardInterrupt
        return mlp_lockstep.jax_step(*args)

    monkeypatch.setitem(
        mlp_lockstep.IMPLEMENTATIONS,
        "jax",
        dataclasses.replace(mlp_lockstep.IMPLEMENTATIONS["jax"], step=interrupted_at_step_7),
    )
    out = tmp_path / "mlp.csv"
    assert cli.main(["mlp", "--steps", "50", *SMALL, "--out", str(out)]) == 130
    assert pd.read_csv(out)["step"].tolist() == list(range(7))
    assert "interrupted" in capsys.readouterr().err


def test_a_training_that_blows_up_is_reported(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["mlp", "--steps", "200", *SMALL, "--lr", "1e3", "--out", str(tmp_path / "mlp.csv")]
    assert cli.main(argv) == errors.EXIT_DIVERGENCE
    assert "not finite" in capsys.readouterr().out


def test_nan_gradients_from_one_side_are_caught(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def nan_step(w1: Any, w2: Any, x: Any, y: Any) -> tuple[float, ref.Grads]:
        loss, (grad_w1, grad_w2) = ref.engine_step(w1, w2, x, y)
        return loss, (grad_w1 * np.nan, grad_w2)

    monkeypatch.setitem(mlp_lockstep.IMPLEMENTATIONS, "engine", mlp_lockstep.Implementation(nan_step))
    argv = ["mlp", "--steps", "3", *SMALL, "--out", str(tmp_path / "mlp.csv")]
    assert cli.main(argv) == errors.EXIT_DIVERGENCE
    verdict = capsys.readouterr().out.split("verdict: ")[1]
    assert "engine: gradient nan from JAX's at step 0" in verdict
    assert "engine: the loss is not finite from step 1" in verdict and "numpy" not in verdict
