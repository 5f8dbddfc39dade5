"""Course code judged against JAX: ``python -m oracle check`` and the pytest API (``oracle.course``).

The sample student files live in ``tests/course_samples/``: ``correct.py`` (every known
target), ``buggy.py`` (one realistic bug in each), ``kink_conventions.py`` (correct, with
other subgradients at the kinks), ``errors.py`` (code that raises or breaks the calling
conventions), ``no_targets.py`` and ``leaky_relu.py`` (a user-registered reference).
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from oracle import course
from oracle.cli import main
from oracle.core.record import COLUMNS, ERROR, FORWARD_MISMATCH, KINK, MATCH, MISMATCH, NONFINITE
from oracle.course.judging.samplers import with_zeros
from oracle.course.registry import BUILTIN, COURSE_OF, REFERENCES, register_reference
from oracle.courses.cs231n import classifiers, convnet, models, sequence, vision

SAMPLES = Path(__file__).parent / "course_samples"
BASIC = (
    {n for n in BUILTIN if COURSE_OF[n] == "cs231n"}
    - sequence.NAMES
    - classifiers.NAMES
    - models.NAMES
    - convnet.NAMES
    - vision.NAMES
)  # the lecture's targets, in correct.py and buggy.py


def run_check(out: Path, sample: str | Path, *options: str) -> tuple[int, pd.DataFrame]:
    path = sample if isinstance(sample, Path) else SAMPLES / f"{sample}.py"
    code = main(["check", str(path), "--out", str(out), *options])
    text = {"input": str, "warning": str, "location": str}
    frame = pd.read_csv(out, dtype=text).fillna({"detail": "", "input": "", "warning": "", "location": ""})
    return code, frame


def rows(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    return frame[frame.target == target]


@pytest.fixture(scope="module")
def correct(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, pd.DataFrame]:
    return run_check(tmp_path_factory.mktemp("correct") / "check.csv", "correct")


@pytest.fixture(scope="module")
def buggy(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, pd.DataFrame]:
    return run_check(tmp_path_factory.mktemp("buggy") / "check.csv", "buggy", "--seeds", "1")


@pytest.fixture(scope="module")
def samples() -> dict[str, ModuleType]:
    return {name: course.load_module(SAMPLES / f"{name}.py") for name in ("correct", "buggy")}


@pytest.fixture
def registry() -> Iterator[None]:
    """Names registered during the test are forgotten after it."""
    before = dict(REFERENCES)
    yield
    REFERENCES.clear()
    REFERENCES.update(before)


# ------------------------------------------------------------- correct code


def test_correct_code_passes_for_every_known_target(correct: tuple[int, pd.DataFrame]) -> None:
    code, frame = correct
    assert code == 0
    assert set(frame.target) == BASIC
    assert set(frame.status) <= {MATCH, KINK}, frame[~frame.status.isin([MATCH, KINK])].to_string()
    # 3 seeds x 2 shapes, plus edge inputs for targets with kinks
    assert (frame.groupby("target").case_id.nunique() >= 6).all()
    assert set(frame.seed) == {0, 1, 2}


def test_correct_code_is_checked_at_its_kinks(correct: tuple[int, pd.DataFrame]) -> None:
    _, frame = correct
    edge = frame[frame.detail.str.startswith("edge case")]
    assert set(edge.target) == {"MaxGate", "ReluGate", "AbsGate", "relu", "svm_loss", "softmax_loss"}
    # JAX splits a tie of maximum and counts a zero hinge margin as half active: the
    # lecture's conventions differ there, and only there.
    assert set(frame[frame.status == KINK].target) == {"MaxGate", "svm_loss"}
    svm = rows(frame, "svm_loss")
    assert (svm[svm.status == KINK].detail.str.contains("a hinge margin of exactly 0")).all()
    assert set(rows(frame, "relu").status) == {MATCH}  # relu_backward with x > 0: JAX's convention


def test_csv_has_the_report_columns_plus_target(correct: tuple[int, pd.DataFrame]) -> None:
    _, frame = correct
    assert list(frame.columns) == ["course", "target", *COLUMNS, "location"]  # location: a notebook's cell
    assert set(frame.course) == {"cs231n"}
    assert (frame.location == "").all()  # a .py file's rows have none
    first = frame.iloc[0]
    assert first.ops == first.target == "AddGate"
    assert first.input in ("0", "1") and first["dtype"] == "float64" and first.n_nodes == 1
    assert first.replay.endswith("correct.py --target AddGate --seed 0 --seeds 1")
    assert len(first.case_id) == 12


def test_the_replay_command_reproduces_the_record(correct: tuple[int, pd.DataFrame], tmp_path: Path) -> None:
    _, frame = correct
    record = frame[(frame.status == KINK) & (frame.seed == 2)].iloc[0]
    argv = shlex.split(record.replay)[3:]  # after "python -m oracle"
    code = main([*argv, "--out", str(tmp_path / "replay.csv")])
    again = pd.read_csv(tmp_path / "replay.csv", dtype={"input": str, "warning": str, "location": str})
    again = again.fillna({"detail": "", "warning": "", "location": ""})
    assert code == 0
    same = again[(again.case_id == record.case_id) & (again.input == record.input)]
    assert same.iloc[0].to_dict() == record.to_dict()


def test_same_seed_gives_the_same_csv_bytes(tmp_path: Path) -> None:
    options = ["--target", "MaxGate", "--target", "svm_loss", "--seeds", "2"]
    run_check(tmp_path / "a.csv", "correct", "--seed", "7", *options)
    run_check(tmp_path / "b.csv", "correct", "--seed", "7", *options)
    run_check(tmp_path / "c.csv", "correct", "--seed", "8", *options)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a.csv").read_bytes() != (tmp_path / "c.csv").read_bytes()


def test_float32_inputs_keep_their_dtype(tmp_path: Path) -> None:
    options = ["--dtype", "float32", "--seeds", "1", "--target", "affine", "--target", "softmax_loss"]
    code, frame = run_check(tmp_path / "f32.csv", "correct", *options, "--target", "MultiplyGate")
    assert code == 0
    assert set(frame.dtype) == {"float32"} and set(frame.status) == {MATCH}
    assert frame.replay.str.endswith("--dtype float32").all()


def test_the_table_shows_every_target_and_its_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "k.csv")
    main(["check", str(SAMPLES / "kink_conventions.py"), "--target", "relu", "--seeds", "1", "--out", out])
    text = capsys.readouterr().out
    assert "relu (layer, JAX relu): 4 cases, 4 records: 2 match, 2 kink" in text
    # correct code at its kinks is one line, not a table that reads like errors; -v shows every record
    assert (
        "2 rows differ from JAX only on relu at x == 0, where your value is another valid subgradient" in text
    )
    assert "input  seed  shape      status    student" not in text
    main(
        [
            "check",
            str(SAMPLES / "kink_conventions.py"),
            "--target",
            "relu",
            "--seeds",
            "1",
            "--out",
            out,
            "-v",
        ]
    )
    assert capsys.readouterr().out.count("\nx  ") == 4


# --------------------------------------------------------------- buggy code


def test_a_bug_in_every_known_target_is_caught(buggy: tuple[int, pd.DataFrame]) -> None:
    code, frame = buggy
    assert code == 1
    caught = set(frame[frame.status == MISMATCH].target)
    assert caught == BASIC


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("AddGate", "the upstream gradient is not multiplied in"),
        ("MultiplyGate", "it equals JAX's gradient for 1: gradients swapped?"),
        ("MaxGate", "agrees with jax"),
        ("NegGate", "wrong sign: the gradient is -1 times JAX's"),
        ("ReciprocalGate", "wrong sign"),
        ("ExpGate", "the upstream gradient is not multiplied in"),
        ("LogGate", "agrees with jax"),
        ("SqrtGate", "2 times JAX's gradient everywhere"),
        ("SquareGate", "0.5 times JAX's gradient everywhere"),
        ("TanhGate", "agrees with jax"),
        ("SigmoidGate", "the upstream gradient is not multiplied in"),
        ("ReluGate", "the gradient for 0 has dtype float32, expected float64"),
        ("AbsGate", "the gradient for 0 has shape [12], expected [3, 4]"),
        ("affine", "shape [2, 12], expected [2, 3, 4] (the right values: reshape to [2, 3, 4] is missing)"),
        ("relu", "the upstream gradient is not multiplied in"),
        ("sigmoid", "wrong sign"),
        ("tanh", "agrees with jax"),
        ("svm_loss", "5 times JAX's gradient everywhere: the division by N = 5 is missing"),
        ("softmax_loss", "agrees with jax"),
    ],
)
def test_the_detail_says_what_is_wrong(buggy: tuple[int, pd.DataFrame], target: str, says: str) -> None:
    _, frame = buggy
    found = rows(frame, target)
    details = found[found.status == MISMATCH].detail
    assert details.str.contains(says, regex=False).any(), found.detail.tolist()


def test_a_mismatch_records_the_worst_element_and_a_finite_difference(
    buggy: tuple[int, pd.DataFrame],
) -> None:
    _, frame = buggy
    record = rows(frame, "SquareGate").iloc[1]  # shape [3, 4]
    assert record.status == MISMATCH and record.worst_index.startswith("[")
    assert record.tested_value == pytest.approx(0.5 * record.jax_value, rel=1e-12)
    assert record.fd_value == pytest.approx(record.jax_value, rel=1e-6)


def test_other_conventions_at_the_kinks_are_kinks_not_mismatches(tmp_path: Path) -> None:
    code, frame = run_check(tmp_path / "k.csv", "kink_conventions", "--seeds", "1")
    assert code == 0
    assert set(frame.status) == {MATCH, KINK}
    assert set(frame[frame.status == KINK].target) == {"ReluGate", "MaxGate", "AbsGate", "relu", "svm_loss"}
    relu = rows(frame, "relu")
    kink = relu[relu.status == KINK].iloc[0]
    assert "differs only on relu at x == 0" in kink.detail and "one-sided slopes 0 (left)" in kink.detail
    assert set(rows(frame, "svm_loss").status) == {MATCH, KINK}  # margins >= 0 counted as active


@pytest.mark.parametrize(
    ("target", "status", "says"),
    [
        ("AddGate", ERROR, r"AddGate\.backward raised NameError: name 'undefined_name' .*\(errors\.py:\d+\)"),
        ("MultiplyGate", MISMATCH, r"MultiplyGate\.backward returned 1 gradient, expected 2 \(0, 1\)"),
        ("ExpGate", ERROR, r"ExpGate\(\) raised TypeError"),
        ("affine", ERROR, r"affine_backward is missing \(affine_forward is defined\)"),
        ("relu", MISMATCH, r"relu_forward returned an array of shape \[4, 5\], expected \(out, cache\)"),
        ("sigmoid", FORWARD_MISMATCH, r"the forward output differs at \[\d+, \d+\]"),
        ("tanh", MISMATCH, r"tanh_backward returned None \(a missing return\?\)"),
        ("svm_loss", MISMATCH, r"svm_loss returned a float64, expected \(loss, dx\)"),
        (
            "softmax_loss",
            NONFINITE,
            r"edge case \(scores near \+-1000 \(row offsets 900-940 of one sign, spreads within \+-10\)\); "
            "student: non-finite output",
        ),
    ],
)
def test_code_that_raises_or_breaks_the_conventions_never_crashes_the_checker(
    tmp_path_factory: pytest.TempPathFactory, target: str, status: str, says: str
) -> None:
    code, frame = run_check(
        tmp_path_factory.mktemp("errors") / "e.csv", "errors", "--seeds", "1", "--target", target
    )
    found = rows(frame, target)
    assert code == 1
    assert found[found.status == status].detail.str.contains(says).any(), found.detail.tolist()


# ---------------------------------------- bugs, one at a time, through the API


def _affine(dx: Any = None, dw: Any = None, db: Any = None, extra: tuple[Any, ...] | None = None) -> Any:
    """An affine_backward with one part replaced by a bug: each argument maps (dout, x, w) to a value."""

    def affine_backward(dout: np.ndarray, cache: Any) -> Any:
        x, w, _ = cache
        x2 = x.reshape(x.shape[0], -1)
        grads = (
            dx(dout, x, w) if dx else dout.dot(w.T).reshape(x.shape),
            dw(dout, x2, w) if dw else x2.T.dot(dout),
            db(dout) if db else dout.sum(axis=0),
        )
        return grads[: len(extra)] if extra is not None else grads

    return affine_backward


def _relu_backward_no_subgradient(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    return dout * np.heaviside(cache, -1.0)  # -1 times dout at 0: outside [0, 1]


def _relu_backward_in_place(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    dout[cache <= 0] = 0  # modifies the upstream gradient: allowed
    return dout


def _softmax(shift_axis: int = 1, norm: bool = True, dtype: Any = None) -> Any:
    def softmax_loss(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        shifted = x - x.max(axis=1, keepdims=True)
        probs = np.exp(shifted) / np.exp(shifted).sum(axis=shift_axis, keepdims=True)
        n = x.shape[0]
        loss = -np.log(probs[np.arange(n), y]).sum() / n
        dx = probs.copy()
        dx[np.arange(n), y] -= 1
        dx = dx / n if norm else dx
        return loss, dx.astype(dtype) if dtype else dx

    return softmax_loss


def _svm_counts_the_correct_class(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    n = x.shape[0]
    margins = np.maximum(0, x - x[np.arange(n), y][:, None] + 1.0)
    margins[np.arange(n), y] = 0
    dx = (margins > 0).astype(float)
    dx[np.arange(n), y] -= np.sum(margins >= 0, axis=1)  # counts the correct class too
    return margins.sum() / n, dx / n


class _MultiplyGateStacked:
    def forward(self, x: Any, y: Any) -> Any:
        self.x, self.y = x, y
        return x * y

    def backward(self, dz: Any) -> Any:
        return np.array([self.y * dz, self.x * dz])  # one array, not a list of two


class _SigmoidGateRaises:
    def forward(self, x: Any) -> Any:
        raise ValueError("not implemented yet")

    def backward(self, dz: Any) -> Any:
        return [dz]


LAYER_BUGS = [
    (
        "db summed over axis 1",
        _affine(db=lambda d: d.sum(axis=1)),
        MISMATCH,
        "the gradient for b has shape [4]",
    ),
    ("dw transposed", _affine(dw=lambda d, x2, w: d.T.dot(x2)), MISMATCH, "the right values, transposed"),
    ("dw wrong sign", _affine(dw=lambda d, x2, w: -x2.T.dot(d)), MISMATCH, "wrong sign"),
    ("dx without dout", _affine(dx=lambda d, x, w: np.ones_like(x)), MISMATCH, "agrees with jax"),
    ("dw is None", _affine(dw=lambda d, x2, w: None), MISMATCH, "the gradient for w is None"),
    ("two gradients", _affine(extra=(1, 2)), MISMATCH, "returned 2 gradients, expected 3 (x, w, b)"),
]


@pytest.mark.parametrize(("bug", "backward", "status", "says"), LAYER_BUGS, ids=[b[0] for b in LAYER_BUGS])
def test_affine_bugs_are_caught(
    samples: dict[str, ModuleType], bug: str, backward: Any, status: str, says: str
) -> None:
    records = course.check_layer(samples["correct"].affine_forward, backward, "affine", seeds=1)
    hits = [r for r in records if r.status == status and says in r.detail]
    assert hits, [r.detail for r in records]


OTHER_BUGS = [
    (
        "relu: no subgradient at 0",
        "layer",
        "relu",
        _relu_backward_no_subgradient,
        MISMATCH,
        "is no subgradient",
    ),
    (
        "softmax: no division by N",
        "loss",
        "softmax_loss",
        _softmax(norm=False),
        MISMATCH,
        "division by N = 5",
    ),
    ("softmax: sum over axis 0", "loss", "softmax_loss", _softmax(shift_axis=0), FORWARD_MISMATCH, "forward"),
    ("softmax: float32 dx", "loss", "softmax_loss", _softmax(dtype=np.float32), MISMATCH, "dtype float32"),
    (
        "svm: correct class counted",
        "loss",
        "svm_loss",
        _svm_counts_the_correct_class,
        MISMATCH,
        "agrees with jax",
    ),
    (
        "gate: stacked gradients",
        "gate",
        "MultiplyGate",
        _MultiplyGateStacked,
        MISMATCH,
        "expected 2 gradients",
    ),
    (
        "gate: forward raises",
        "gate",
        "SigmoidGate",
        _SigmoidGateRaises,
        ERROR,
        "SigmoidGate.forward raised ValueError",
    ),
]


@pytest.mark.parametrize(
    ("bug", "kind", "name", "code", "status", "says"), OTHER_BUGS, ids=[b[0] for b in OTHER_BUGS]
)
def test_other_bugs_are_caught(
    samples: dict[str, ModuleType], bug: str, kind: str, name: str, code: Any, status: str, says: str
) -> None:
    if kind == "layer":
        records = course.check_layer(getattr(samples["correct"], f"{name}_forward"), code, name, seeds=1)
    elif kind == "loss":
        records = course.check_loss(code, name, seeds=1)
    else:
        records = course.check_gate(code, name, seeds=1)
    hits = [r for r in records if r.status == status and says in r.detail]
    assert hits, [(r.status, r.detail) for r in records]


def test_code_may_modify_its_arguments(samples: dict[str, ModuleType]) -> None:
    records = course.check_layer(samples["correct"].relu_forward, _relu_backward_in_place, "relu", seeds=1)
    assert {r.status for r in records} == {MATCH}


# ----------------------------------------------------------- the pytest API


def test_the_pytest_api_passes_correct_code(samples: dict[str, ModuleType]) -> None:
    good = samples["correct"]
    course.assert_gate_correct(good.MultiplyGate)
    course.assert_gate_correct(good.MaxGate, seeds=1)  # kinks are not failures
    course.assert_layer_correct(good.affine_forward, good.affine_backward)
    course.assert_loss_correct(good.svm_loss, seeds=1)
    course.assert_module_correct(SAMPLES / "kink_conventions.py", seeds=1)


def test_the_pytest_api_fails_with_a_readable_diff(samples: dict[str, ModuleType]) -> None:
    with pytest.raises(AssertionError) as info:
        course.assert_gate_correct(samples["buggy"].MultiplyGate, seeds=1)
    message = str(info.value)
    assert message.startswith("4 of 4 gradient checks failed (MultiplyGate):")
    assert "target        input  seed  shape   status      student        jax" in message
    assert "gradients swapped?" in message
    assert "reproduce: python -m oracle check" in message and "buggy.py --target MultiplyGate" in message


def test_the_pytest_api_on_a_module_and_on_local_code(samples: dict[str, ModuleType]) -> None:
    with pytest.raises(AssertionError, match=r"reshape to \[2, 3, 4\] is missing"):
        course.assert_module_correct(SAMPLES / "buggy.py", targets=["affine"], seeds=1)
    with pytest.raises(AssertionError, match=r"reproduce: oracle\.course\.check_loss\(softmax_loss, name="):
        course.assert_loss_correct(_softmax(norm=False), "softmax_loss", seeds=1)


def test_the_pytest_api_rejects_unknown_names(samples: dict[str, ModuleType]) -> None:
    with pytest.raises(ValueError, match="'dense' is not a known layer"):
        course.check_layer(samples["correct"].affine_forward, samples["correct"].affine_backward, "dense")
    with pytest.raises(ValueError, match="'MulGate' is not a known gate"):
        course.check_gate(samples["correct"].MultiplyGate, "MulGate")


# ------------------------------------------------------- user references


def test_a_reference_registered_by_the_checked_file(registry: None, tmp_path: Path) -> None:
    code, frame = run_check(tmp_path / "l.csv", "leaky_relu", "--seeds", "1")
    assert code == 0
    assert set(frame.target) == {"leaky_relu"} and set(frame.status) == {MATCH, KINK}
    assert frame[frame.status == KINK].detail.str.contains("leaky relu at x == 0").all()


def test_register_reference_for_a_layer_and_a_gate(registry: None) -> None:
    register_reference(
        "leaky_relu", lambda x: jnp.where(x > 0, x, 0.1 * x), kinks=lambda x: x == 0, edge=with_zeros
    )

    def leaky_relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.where(x > 0, x, 0.1 * x), x

    def leaky_relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
        return dout * (cache > 0)  # forgot the slope on the left

    records = course.check_layer(leaky_relu_forward, leaky_relu_backward, seeds=1)
    assert {r.input for r in records} == {"x"}
    assert MISMATCH in {r.status for r in records}

    register_reference("CubeGate", lambda x: x**3, kind="gate")

    class CubeGate:
        def forward(self, x: Any) -> Any:
            self.x = x
            return x**3

        def backward(self, dz: Any) -> list[Any]:
            return [3 * self.x**2 * dz]

    records = course.check_gate(CubeGate, seeds=1)
    assert {(r.input, r.status) for r in records} == {("0", MATCH)}


def test_register_reference_refuses_builtin_names_and_unknown_kinds(registry: None) -> None:
    with pytest.raises(ValueError, match="'relu' is a built-in target"):
        register_reference("relu", jax.nn.relu)
    with pytest.raises(ValueError, match="kind 'block' is not one of gate, layer, loss"):
        register_reference("block", jax.nn.relu, kind="block")


# -------------------------------------------------------------- bad input


BAD_FILES = {
    "syntax.py": "import numpy as np\n\ndef relu_forward(x:\n",
    "boom.py": "import numpy as np\n\nSCALE = 1 / 0\n",
    "needs.py": "import a_module_nobody_has\n",
    "exits.py": "import sys\n\nsys.exit(3)\n",
    "notes.txt": "def relu_forward(x): ...\n",
}


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["{tmp}/nope.py"], "nope.py: no such file"),
        (["{tmp}/notes.txt"], "notes.txt: not a .py file"),
        (["{tmp}/folder.py"], "folder.py: is a directory, not a .py file"),
        (["{tmp}/syntax.py"], "syntax.py:3: cannot import: SyntaxError:"),
        (["{tmp}/boom.py"], "boom.py: cannot import: ZeroDivisionError: division by zero (boom.py:3)"),
        (
            ["{tmp}/needs.py"],
            "needs.py: cannot import: ModuleNotFoundError: No module named 'a_module_nobody_has'",
        ),
        (["{tmp}/exits.py"], "exits.py: cannot import: SystemExit: 3"),
        (
            ["{samples}/no_targets.py"],
            # every course's names, the course packages in name order (CMU 11-785's come first)
            "no_targets.py: no known gate, layer or loss; looked for Identity, Sigmoid",
        ),
        (
            ["{samples}/correct.py", "--target", "dense"],
            "--target dense: not a known name (known: cmu.Identity",
        ),
        (
            ["{samples}/kink_conventions.py", "--target", "affine"],
            "defines no affine_forward/affine_backward",
        ),
        (["{samples}/correct.py", "--out", "{tmp}"], "is a directory"),
        (["{samples}/correct.py", "--seeds", "0"], "argument --seeds: must be at least 1, got 0"),
        (["{samples}/correct.py", "--seed", "x"], "argument --seed: expected a whole number, got 'x'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    for name, text in BAD_FILES.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "folder.py").mkdir()
    args = [a.format(tmp=tmp_path, samples=SAMPLES) for a in argv]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "out" / "check.csv")]
    path_before = list(sys.path)
    try:
        code = main(["check", *args])
    except SystemExit as exc:  # argparse's usage errors exit from the parser
        code = exc.code
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert says in captured.err, captured.err
    assert sys.path == path_before


def test_the_no_target_message_names_every_kind(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    main(["check", str(SAMPLES / "no_targets.py"), "--out", str(tmp_path / "c.csv")])
    err = capsys.readouterr().err
    for name in ("SigmoidGate", "ReluGate", "affine_forward/affine_backward", "relu_forward/relu_backward"):
        assert name in err
    assert "svm_loss, softmax_loss" in err


def test_a_gradient_left_at_zero_is_named(samples: dict[str, ModuleType]) -> None:
    def affine_backward(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, ...]:
        x, w, b = cache
        return np.zeros_like(x), np.zeros_like(w), np.zeros_like(b)  # computed later, never

    records = course.check_layer(samples["correct"].affine_forward, affine_backward, "affine", seeds=1)
    assert {r.status for r in records} == {MISMATCH}
    assert all("your gradient is 0 everywhere (not computed yet?)" in r.detail for r in records)
