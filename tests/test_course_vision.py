"""The course's vision layers judged against JAX: conv, pooling, the norms, dropout and layer_utils.

Samples in ``tests/course_samples/``: ``vision_correct.py`` (the later years' conventions),
``vision_correct_2016.py`` (dropout's p as the drop probability, group norm's gamma of
shape (C,), layernorm without ln_param, pooling ties shared, im2col convolution),
``vision_layer_utils.py`` (the convenience layers) and ``vision_buggy.py`` (one realistic
bug per target). Named causes come from each target's bugs (``Reference.bugs``).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest

from oracle.cli import main
from oracle.core.judgement import Outcome
from oracle.core.record import ERROR, FAILING, FORWARD_MISMATCH, KINK, MATCH, MISMATCH, Record
from oracle.course import load_module
from oracle.course.judging.cases import CourseCase, cases_for
from oracle.course.judging.judge import Judgement
from oracle.course.registry import REFERENCES
from oracle.courses.cs231n import vision
from oracle.courses.cs231n.vision_dropout import infer

SAMPLES = Path(__file__).parent / "course_samples"
LAYERS = {"conv_naive", "max_pool_naive", "dropout", "batchnorm", "batchnorm_alt", "spatial_batchnorm"}
LAYERS |= {"layernorm", "spatial_groupnorm"}
SANDWICHES = {
    "affine_relu",
    "affine_bn_relu",
    "affine_ln_relu",
    "conv_relu",
    "conv_relu_pool",
    "conv_bn_relu",
}


def run_check(out: Path, sample: str, *options: str) -> tuple[int, pd.DataFrame]:
    code = main(["check", str(SAMPLES / f"{sample}.py"), "--out", str(out), *options])
    frame = pd.read_csv(out, dtype={"input": str}).fillna({"detail": "", "input": ""})
    return code, frame


@pytest.fixture(scope="module")
def samples() -> dict[str, ModuleType]:
    names = ("vision_correct", "vision_correct_2016", "vision_layer_utils", "vision_buggy")
    return {name: load_module(SAMPLES / f"{name}.py") for name in names}


def judged(impl: Any, target: str, seeds: tuple[int, ...] = (0,), dtype: str = "float64") -> list[Record]:
    """Every record of ``target`` for these seeds, with its named bugs (what ``check`` rows will say)."""
    ref = REFERENCES[target]
    return [record for case in cases_for(ref, seeds, dtype) for record in Judgement(case, impl, "").records()]


def pair_of(module: ModuleType, target: str, **replaced: Callable[..., Any]) -> list[Any]:
    """The module's pair for ``target``, with some halves replaced (by "forward" or "backward")."""
    names = REFERENCES[target].names
    if len(names) == 1:  # batchnorm_alt is named by its backward: its file's forward is batchnorm_forward
        names = (names[0].replace("_backward_alt", "_forward"), names[0])
    forward, backward = (getattr(module, n) for n in names)
    return [replaced.get("forward", forward), replaced.get("backward", backward)]


def says(records: list[Record], status: str, text: str) -> bool:
    return any(r.status == status and text in r.detail for r in records)


# ------------------------------------------------------------------ correct code


def test_the_vision_targets_are_declared() -> None:
    assert vision.NAMES == LAYERS | SANDWICHES
    assert set(vision.__all__) == {
        "NAMES",
        "vision_conv",
        "vision_dropout",
        "vision_norms",
        "vision_sandwiches",
    }


@pytest.mark.parametrize(
    ("sample", "targets"),
    [("vision_correct", LAYERS), ("vision_correct_2016", LAYERS), ("vision_layer_utils", SANDWICHES)],
)
def test_correct_code_in_each_years_conventions_passes(
    tmp_path: Path, sample: str, targets: set[str]
) -> None:
    code, frame = run_check(tmp_path / "c.csv", sample)
    assert code == 0
    assert set(frame.target) == targets
    assert set(frame.status) <= {MATCH, KINK}, frame[~frame.status.isin([MATCH, KINK])].to_string()
    edge = frame[frame.detail.str.startswith("edge case")]
    with_edges = {name for name in targets if REFERENCES[name].edge is not None}
    assert set(edge.target) == with_edges and with_edges  # checked at the edges too, and passing there
    assert set(frame.seed) == {0, 1, 2}


def test_correct_code_passes_in_float32(tmp_path: Path) -> None:
    options = ["--dtype", "float32", "--seeds", "1", "--target", "batchnorm,spatial_groupnorm,conv_naive"]
    code, frame = run_check(tmp_path / "f.csv", "vision_correct", *options, "--target", "max_pool_naive")
    assert code == 0 and set(frame.status) == {MATCH} and set(frame.dtype) == {"float32"}


def test_every_known_layer_convention_is_accepted(samples: dict[str, ModuleType]) -> None:
    """Each 2016-style half with the later-style other half still matches: the conventions are per call."""
    old, new = samples["vision_correct_2016"], samples["vision_correct"]
    for target in ("dropout", "spatial_groupnorm", "layernorm", "max_pool_naive"):
        records = judged(pair_of(old, target), target)
        assert {r.status for r in records} == {MATCH}, [(r.input, r.status, r.detail) for r in records]
    records = judged(pair_of(new, "max_pool_naive"), "max_pool_naive")
    assert {r.status for r in records} == {MATCH}


def test_a_sandwich_with_another_relu_convention_is_a_kink(samples: dict[str, ModuleType]) -> None:
    utils, basic = samples["vision_layer_utils"], samples["vision_layer_utils"].basic

    def affine_relu_backward(dout: np.ndarray, cache: Any) -> Any:
        fc_cache, pre = cache
        return basic.affine_backward(dout * (pre >= 0), fc_cache)  # slope 1 at 0; JAX takes 0

    records = judged([utils.affine_relu_forward, affine_relu_backward], "affine_relu", seeds=(0, 1))
    assert {r.status for r in records} == {MATCH, KINK}
    kinks = [r for r in records if r.status == KINK]
    assert all(
        r.detail.startswith("edge case") and "a pre-activation of exactly 0" in r.detail for r in kinks
    )


# -------------------------------------------------------------------- buggy code


def test_a_bug_in_every_vision_target_is_caught(tmp_path: Path) -> None:
    code, frame = run_check(tmp_path / "b.csv", "vision_buggy", "--seeds", "1")
    assert code == 1
    failed = frame[frame.status.isin(FAILING)]
    assert set(failed.target) == vision.NAMES


BUGGY_SAMPLE = [  # (target, status, a named cause or the ladder's own words)
    ("conv_naive", MISMATCH, "dx keeps the padding"),
    ("max_pool_naive", MISMATCH, "a later window overwrites what an earlier one routed"),
    ("dropout", MISMATCH, "the backward does not apply the mask (dx = dout / keep)"),
    ("batchnorm", FORWARD_MISMATCH, "running_mean is not updated"),
    ("spatial_batchnorm", FORWARD_MISMATCH, "without moving the channel axis last first"),
    ("layernorm", MISMATCH, "dgamma summed over the wrong axes"),
    ("layernorm", MISMATCH, "dbeta summed over the wrong axes"),
    ("spatial_groupnorm", MISMATCH, "reshape to [1, 4, 1, 1] is missing"),
    ("affine_relu", MISMATCH, "agrees with jax"),
    ("affine_bn_relu", MISMATCH, "returned 3 gradients, expected 5 (x, w, b, gamma, beta)"),
    ("affine_ln_relu", MISMATCH, "it equals JAX's gradient for beta: gradients swapped?"),
    ("conv_relu", MISMATCH, "wrong sign"),
    ("conv_relu_pool", MISMATCH, "agrees with jax"),
    ("conv_bn_relu", ERROR, "conv_bn_relu_backward raised TypeError"),
]


@pytest.mark.parametrize(
    ("target", "status", "text"), BUGGY_SAMPLE, ids=[f"{b[0]}: {b[2]}" for b in BUGGY_SAMPLE]
)
def test_the_buggy_sample_is_caught_with_its_cause(
    samples: dict[str, ModuleType], target: str, status: str, text: str
) -> None:
    records = judged(pair_of(samples["vision_buggy"], target), target)
    assert says(records, status, text), [(r.input, r.status, r.detail) for r in records]


# ----------------------------------------------------------------- conventions


def _outcome(out: np.ndarray) -> Outcome:
    return Outcome(out=out)


@pytest.mark.parametrize(("p", "keep"), [(0.3, 0.3), (0.3, 0.7), (0.8, 0.8), (0.8, 0.2)])
def test_dropout_reads_its_convention_off_the_scale(p: float, keep: float) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 25))
    mask = rng.random(x.shape) < keep
    settings = infer({"p": p, "seed": 0}, _outcome(x * mask / keep), [x])
    assert settings["keep"] == pytest.approx(keep, abs=1e-12)
    assert np.array_equal(settings["mask"], mask) and settings["kept"] == mask.mean()


def test_an_implausible_kept_fraction_is_expected_to_be_keep() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((40, 25))
    mask = rng.random(x.shape) < 0.7  # keeps 70%, but scales by 1/0.3: the conventions disagree
    settings = infer({"p": 0.3, "seed": 0}, _outcome(x * mask / 0.3), [x])
    assert settings["keep"] == 0.3 and settings["kept"] == 0.3


def test_an_unscaled_dropout_is_judged_in_the_convention_its_mask_fits() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((40, 25))
    mask = rng.random(x.shape) < 0.2
    settings = infer({"p": 0.8, "seed": 0}, _outcome(x * mask), [x])
    assert settings["keep"] == pytest.approx(0.2)


def test_group_norm_in_the_c_layout_is_accepted_and_a_mixed_layout_is_not(
    samples: dict[str, ModuleType],
) -> None:
    old = samples["vision_correct_2016"]
    assert {r.status for r in judged(pair_of(old, "spatial_groupnorm"), "spatial_groupnorm")} == {MATCH}

    def backward_in_the_other_layout(dout: Any, cache: Any) -> Any:
        dx, dgamma, dbeta = old.spatial_groupnorm_backward(dout, cache)
        return dx, dgamma.reshape(1, -1, 1, 1), dbeta.reshape(1, -1, 1, 1)

    records = judged([old.spatial_groupnorm_forward, backward_in_the_other_layout], "spatial_groupnorm")
    gamma = [r for r in records if r.input == "gamma"]
    assert gamma
    for r in gamma:
        c = r.shape.split(", ")[1]  # "[1, C, 1, 1]"
        expected = f"of shapes [1, {c}, 1, 1], [1, {c}, 1, 1] for gamma and beta of shape [{c}]"
        assert r.status == MISMATCH and expected in r.detail, r.detail


def test_layernorm_gets_ln_param_only_if_it_takes_one(samples: dict[str, ModuleType]) -> None:
    seen: list[int] = []
    good = samples["vision_correct"]

    def layernorm_forward(*args: Any) -> Any:
        seen.append(len(args))
        return good.layernorm_forward(*args[:3], args[3] if len(args) > 3 else {})

    judged([layernorm_forward, good.layernorm_backward], "layernorm")
    assert set(seen) == {4}  # *args: it might take one
    seen.clear()
    judged([lambda x, gamma, beta: layernorm_forward(x, gamma, beta), good.layernorm_backward], "layernorm")
    assert set(seen) == {3}


# ------------------------------------------------------------- hostile code


def _raises(*args: Any) -> Any:
    raise RuntimeError("not implemented")


def _train_only(good: ModuleType) -> Callable[..., Any]:
    return lambda x, g, b, p: good.batchnorm_forward(x, g, b, p) if p["mode"] == "train" else _raises()


def _twice(good: ModuleType) -> Callable[..., Any]:
    return lambda x, p: (2 * good.max_pool_forward_naive(x, p)[0], (x, p))


HOSTILE = [  # (target, the replaced halves (given the correct module), status, detail)
    ("dropout", {"forward": lambda good: lambda x, p: None}, MISMATCH, "dropout_forward returned None"),
    (
        "batchnorm",
        {"backward": lambda good: _raises},
        ERROR,
        "batchnorm_backward raised RuntimeError: not impl",
    ),
    ("batchnorm", {"forward": _train_only}, ERROR, "batchnorm_forward (mode 'test') raised RuntimeError"),
    (
        "spatial_groupnorm",
        {"forward": lambda good: _raises},
        ERROR,
        "spatial_groupnorm_forward raised Runtime",
    ),
    (
        "conv_naive",
        {"backward": lambda good: lambda d, c: (d, d)},
        MISMATCH,
        "returned 2 gradients, expected 3",
    ),
    ("max_pool_naive", {"forward": _twice}, FORWARD_MISMATCH, "the forward output differs"),
]


@pytest.mark.parametrize(("target", "halves", "status", "text"), HOSTILE, ids=[h[3] for h in HOSTILE])
def test_code_that_raises_or_breaks_the_conventions_never_crashes_the_checker(
    samples: dict[str, ModuleType], target: str, halves: dict[str, Any], status: str, text: str
) -> None:
    good = samples["vision_correct"]
    replaced = {half: make(good) for half, make in halves.items()}
    records = judged(pair_of(good, target, **replaced), target)
    assert says(records, status, text), [(r.input, r.status, r.detail) for r in records]


def test_a_backward_that_edits_the_forward_output_does_not_change_the_verdict(
    samples: dict[str, ModuleType],
) -> None:
    good = samples["vision_correct"]

    def conv_forward_naive(x: Any, w: Any, b: Any, param: Any) -> Any:
        out, cache = good.conv_forward_naive(x, w, b, param)
        return out, (cache, out)

    def conv_backward_naive(dout: Any, cache: Any) -> Any:
        inner, out = cache
        out[...] = 0.0  # the student's own output, overwritten after it was returned
        return good.conv_backward_naive(dout, inner)

    assert {r.status for r in judged([conv_forward_naive, conv_backward_naive], "conv_naive")} == {MATCH}


# --------------------------------------------------------- determinism, purity


def test_the_same_seed_gives_the_same_csv_bytes(tmp_path: Path) -> None:
    options = ["--target", "dropout,max_pool_naive,conv_relu_pool", "--seeds", "1"]
    for name, seed in (("a", "4"), ("b", "4"), ("c", "5")):
        main(
            [
                "check",
                str(SAMPLES / "vision_buggy.py"),
                "--seed",
                seed,
                *options,
                "--out",
                str(tmp_path / name),
            ]
        )
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes() != (tmp_path / "c").read_bytes()


def test_the_student_side_imports_no_jax() -> None:
    """Calls run where the student's code runs (a worker when checks are isolated): no JAX there."""
    course = Path(__file__).parents[1] / "oracle" / "courses" / "cs231n"
    for calls in ("calls_vision.py", "calls_batchnorm.py"):
        tree = ast.parse((course / calls).read_text())
        modules = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        modules |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not any(m == "jax" or m.startswith("jax.") for m in modules)
        course_modules = {m for m in modules if m.startswith("oracle.courses.cs231n")}
        assert course_modules <= {"oracle.courses.cs231n.calls_vision"}  # no targets (they hold JAX)


def test_edge_samplers_hit_their_kinks_and_ties() -> None:
    def draw(target: str, index: int = 0) -> list[np.ndarray]:
        case = CourseCase(REFERENCES[target], 0, index, True, "float64")
        return case.draw(case.rng())

    for target in ("affine_relu", "conv_relu", "conv_relu_pool"):
        masks = REFERENCES[target].kink_masks(draw(target))
        assert masks is not None and all(m.any() for m in masks) and not masks[1].all()
    x = draw("max_pool_naive", 1)[0]
    corner = x[:, :, :2, :2].reshape(*x.shape[:2], -1)  # the first window's own corner
    assert (
        (corner == x[:, :, :3, :3].reshape(*x.shape[:2], -1).max(axis=2, keepdims=True)).sum(axis=2) >= 2
    ).all()
    for target in ("batchnorm", "spatial_batchnorm"):
        x = draw(target)[0]
        assert np.var(x[:, 0]) == 0.0


def test_a_training_step_that_modifies_x_does_not_change_test_mode(samples: dict[str, ModuleType]) -> None:
    good = samples["vision_correct"]

    def batchnorm_forward(x: Any, gamma: Any, beta: Any, bn_param: dict[str, Any]) -> Any:
        result = good.batchnorm_forward(x.copy(), gamma, beta, bn_param)
        x -= 1000.0  # the caller's array, after use
        return result

    def dropout_forward(x: Any, param: dict[str, Any]) -> Any:
        result = good.dropout_forward(x.copy(), param)
        x *= 0.0
        return result

    assert {r.status for r in judged([batchnorm_forward, good.batchnorm_backward], "batchnorm")} == {MATCH}
    assert {r.status for r in judged([dropout_forward, good.dropout_backward], "dropout")} == {MATCH}


def test_vision_layers_that_edit_their_inputs_in_place_are_noted_not_failed(tmp_path: Path) -> None:
    """As for the lecture's layers: the values judged are the ones returned, and the row says what changed."""
    text = (SAMPLES / "vision_correct.py").read_text()
    text = text.replace(
        "        return dout * mask\n",
        "        dout *= mask  # the upstream gradient, edited in place\n        return dout\n",
    )
    text = text.replace(  # centres the caller's x (layer norm does not change: it is shift-invariant)
        "def layernorm_forward(x, gamma, beta, ln_param):\n",
        "def layernorm_forward(x, gamma, beta, ln_param):\n    x -= x.mean(axis=1, keepdims=True)\n",
    )
    edited = tmp_path / "edits.py"
    edited.write_text(text)
    options = ["--target", "dropout,layernorm", "--seeds", "1", "--out", str(tmp_path / "c.csv")]
    code = main(["check", str(edited), *options])
    frame = pd.read_csv(tmp_path / "c.csv", dtype={"input": str, "warning": str})
    frame = frame.fillna({"detail": "", "input": "", "warning": ""})
    dropout, layernorm = frame[frame.target == "dropout"], frame[frame.target == "layernorm"]
    train = dropout[~dropout.detail.str.contains("test mode")]
    assert set(dropout.status) == {MATCH}
    assert (train.warning == "dropout_backward modified dout in place").all(), train.warning
    assert set(layernorm.status) == {MATCH} and code == 0
    assert layernorm.warning.str.startswith("layernorm_forward modified x in place").all()


def test_check_names_the_classic_bugs_in_its_rows(tmp_path: Path) -> None:
    """The named causes reach the CSV that `check` writes, not only the judge's own API."""
    code, frame = run_check(tmp_path / "c.csv", "vision_buggy", "--seeds", "1")
    failing = frame[frame.status.isin([MISMATCH, FORWARD_MISMATCH])]
    assert code == 1 and failing.detail.str.contains("known bug: ").any()
    named = set(failing[failing.detail.str.contains("known bug: ")].target)
    assert {"batchnorm", "dropout"} <= named, named
