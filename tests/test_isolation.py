"""Isolated course checks: a submission's code runs in a worker process and cannot forge its verdict.

The hostile submissions live in ``tests/course_samples/hostile/``. Each forging one is
first shown to work against a checker that imports it in its own process
(``--no-isolate``, in a subprocess: they patch the interpreter they run in), so that the
isolated verdicts below are not vacuous: there, every one gets the verdict its real
gradients deserve, or an error, never a ``match``.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import socket
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oracle import course
from oracle.cli import main
from oracle.core.judgement import Outcome
from oracle.core.record import ERROR, FORWARD_MISMATCH, KINK, MATCH, MISMATCH, TIMEOUT
from oracle.course.isolation import wire

ROOT = Path(__file__).parent.parent
SAMPLES = Path(__file__).parent / "course_samples"
HOSTILE = SAMPLES / "hostile"
FORGING = ["patch_numpy", "patch_jax", "patch_oracle", "stack_walk"]


def check(out: Path, sample: str | Path, *options: str) -> tuple[int, pd.DataFrame]:
    path = sample if isinstance(sample, Path) else HOSTILE / f"{sample}.py"
    code = main(["check", str(path), "--out", str(out), "--seeds", "1", *options])
    text = {"input": str, "detail": str, "warning": str}
    frame = pd.read_csv(out, dtype=text).fillna({"detail": "", "input": "", "warning": ""})
    return code, frame


def in_own_process(sample: str, out: Path) -> subprocess.CompletedProcess[str]:
    """``check --no-isolate`` in a subprocess of its own: the sample patches whatever imports it."""
    argv = [sys.executable, "-m", "oracle", "check", str(HOSTILE / f"{sample}.py"), "--no-isolate"]
    argv += ["--seeds", "1", "--out", str(out)]
    # JAX's answers computed here, as a first check computes them: a warm cache of them would
    # leave a patched jax.vjp uncalled, and what these samples do would depend on earlier runs
    env = dict(os.environ, BACKPROP_ORACLE_JAX_CACHE="off")
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)


# ------------------------------------------------- forging, and its failure


@pytest.mark.slow
@pytest.mark.parametrize("sample", FORGING)
def test_a_forging_submission_fools_a_checker_that_imports_it(sample: str, tmp_path: Path) -> None:
    done = in_own_process(sample, tmp_path / "c.csv")
    frame = pd.read_csv(tmp_path / "c.csv")
    assert done.returncode == 0, done.stdout + done.stderr
    assert set(frame.status) == {MATCH}  # every gradient is wrong


@pytest.mark.slow
def test_patched_builtins_make_the_exit_code_of_a_checker_that_imports_them_lie(tmp_path: Path) -> None:
    done = in_own_process("patch_builtins", tmp_path / "c.csv")
    frame = pd.read_csv(tmp_path / "c.csv")
    assert done.returncode == 0 and frame.status.isin([MISMATCH, ERROR]).all()


@pytest.mark.slow
def test_an_exit_at_import_ends_a_checker_that_imports_it_clean_and_silent(tmp_path: Path) -> None:
    done = in_own_process("exits", tmp_path / "c.csv")
    assert done.returncode == 0 and done.stdout == "" and not (tmp_path / "c.csv").exists()


@pytest.mark.parametrize("sample", [*FORGING, "patch_builtins"])
def test_a_forging_submission_gets_its_real_verdict(sample: str, tmp_path: Path) -> None:
    code, frame = check(tmp_path / "c.csv", sample)
    assert code == 1
    assert set(frame.status) == {MISMATCH}, frame[["target", "status", "detail"]].to_string()


def test_the_details_name_the_real_bugs(tmp_path: Path) -> None:
    _, frame = check(tmp_path / "jax.csv", "patch_jax")
    assert frame.detail.str.contains("2 times JAX's gradient everywhere").all()
    _, frame = check(tmp_path / "numpy.csv", "patch_numpy", "--target", "relu")
    assert frame.detail.str.contains("wrong sign").all()


def test_objects_pretending_to_be_arrays(tmp_path: Path) -> None:
    code, frame = check(tmp_path / "c.csv", "lying_arrays")
    by_target = {t: rows for t, rows in frame.groupby("target")}
    assert code == 1 and set(frame.status) == {MISMATCH}
    # an ndarray subclass whose ==, - and abs() lie: only its data crosses, three times JAX's
    assert by_target["relu"].detail.str.contains("3 times JAX's gradient everywhere").all()
    # an __array__ with other values on every read: read once, judged once
    assert (by_target["sigmoid"].tested_value == 1.0).all()
    assert by_target["tanh"].detail.str.contains("is a Unreadable that cannot be read as an array").all()


def test_a_forged_message_with_a_pickle_is_refused_unread(tmp_path: Path) -> None:
    marker = Path(tempfile.gettempdir()) / "oracle-hostile-pickle-ran"
    marker.unlink(missing_ok=True)
    code, frame = check(tmp_path / "c.csv", "forges_answers")
    relu, tanh = frame[frame.target == "relu"], frame[frame.target == "tanh"]
    assert code == 1 and not marker.exists()
    assert list(relu.status) == [ERROR]
    assert "dtype '|O', not of numbers" in relu.detail.iloc[0]
    assert set(tanh.status) == {MATCH}  # the next target: a new worker


# --------------------------------------- processes that end, hang, hoard


def test_an_exit_at_import_is_an_import_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", str(HOSTILE / "exits.py"), "--out", str(tmp_path / "c.csv")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "exits.py: the submission's process died (exited with status 0)" in err


def test_killing_the_parents_process_group_reaches_no_further_than_the_zygote(tmp_path: Path) -> None:
    code, frame = check(tmp_path / "c.csv", "kills_group")
    # The check survives and writes every row. A signal lands when the scheduler says: the
    # call that sent it, or one soon after, is the error; or none is, when the zygote dies
    # after the worker already answered (seen once in four full CI runs on 2 cores:
    # relu_backward's gradient itself is right, so `match` is what it deserves). Every
    # other row is what its gradients deserve.
    errors = frame[frame.status == ERROR]
    assert len(errors) <= 1 and set(errors.target) <= {"relu", "tanh"}
    assert all("killed" in detail for detail in errors.detail)
    assert code == (1 if len(errors) else 0)
    assert set(frame[frame.status != ERROR].status) == {MATCH}
    assert set(frame.target) == {"affine", "relu", "tanh"}
    assert set(frame[frame.target == "affine"].status) == {MATCH}  # before the kill
    again, frame = check(tmp_path / "again.csv", SAMPLES / "correct.py", "--target", "affine")
    assert again == 0 and set(frame.status) == {MATCH}


def test_a_crash_of_the_interpreter_is_an_error_row_and_the_check_goes_on(tmp_path: Path) -> None:
    code, frame = check(tmp_path / "c.csv", "crashes")
    relu = frame[frame.target == "relu"]
    assert code == 1
    assert list(relu.status) == [ERROR] and "died (killed by SIGSEGV)" in relu.detail.iloc[0]
    assert set(frame[frame.target == "tanh"].status) == {MATCH}


def test_a_hanging_target_costs_one_timeout_row_and_the_check_goes_on(tmp_path: Path) -> None:
    code, frame = check(tmp_path / "c.csv", "hangs", "--timeout", "1")
    relu = frame[frame.target == "relu"]
    assert code == 1
    assert list(relu.status) == [TIMEOUT] and "no answer within 1 s" in relu.detail.iloc[0]
    assert relu.replay.iloc[0].endswith("hangs.py --target relu --seed 0 --seeds 1")
    assert set(frame[frame.target == "tanh"].status) == {MATCH}


def test_memory_beyond_the_limit_is_an_error_and_the_check_goes_on(tmp_path: Path) -> None:
    code, frame = check(tmp_path / "c.csv", "hungry", "--max-memory", "1G", "--timeout", "120")
    status = dict(frame.groupby("target").status.agg(lambda s: set(s)))
    assert code == 1
    assert status == {"relu": {ERROR}, "sigmoid": {ERROR}, "tanh": {MATCH}}
    assert frame[frame.target != "tanh"].detail.str.contains("raised MemoryError").all()


def test_what_a_submission_prints_or_writes_stays_in_its_worker(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    here, before = os.getcwd(), set(os.listdir())
    code, frame = check(tmp_path / "c.csv", "noisy")
    out, err = capfd.readouterr()
    assert code == 0 and set(frame.status) == {MATCH}
    assert "NOISY" not in out + err
    assert os.getcwd() == here
    assert set(os.listdir()) == before  # no noisy-junk.txt here: the worker wrote in a folder of its own


# ------------------------------------------------------ the same verdicts


@pytest.mark.parametrize(
    "sample",
    [
        "correct",
        "buggy",
        "kink_conventions",
        "errors",
        "classifiers_buggy",  # adapt hooks that infer a convention from the student's answer
        "nets_buggy",  # model classes, every entry of grads
        "fd_layers_buggy",  # pairs without a reference: finite differences computed by the judge
        "sequence_buggy",
        "templates",  # unfinished code: one row per target
        "vision_correct",  # batch norm's running averages and dropout's p, read from the student's dicts
        "vision_correct_2016",
        "vision_buggy",
        "vision_layer_utils",  # the sandwiches: a module importing its layers
    ],
)
def test_isolated_and_in_process_checks_write_the_same_bytes(sample: str, tmp_path: Path) -> None:
    path, options = str(SAMPLES / f"{sample}.py"), ["--seeds", "1"]
    isolated = main(["check", path, *options, "--out", str(tmp_path / "isolated.csv")])
    in_process = main(["check", path, *options, "--no-isolate", "--out", str(tmp_path / "in.csv")])
    assert isolated == in_process
    assert (tmp_path / "isolated.csv").read_bytes() == (tmp_path / "in.csv").read_bytes()


def test_a_reference_the_file_registers_is_judged_in_its_worker(tmp_path: Path) -> None:
    code, frame = check(tmp_path / "c.csv", SAMPLES / "leaky_relu.py")
    assert code == 0 and set(frame.status) == {MATCH, KINK}
    assert frame.warning.str.contains("against the reference its file registered itself").all()


# ------------------------------------------------------------- autodiff


@pytest.mark.parametrize(
    ("sample", "libraries"),
    [
        (SAMPLES / "correct.py", ""),
        (HOSTILE / "patch_jax.py", "jax"),
        (HOSTILE / "patch_oracle.py", "oracle"),
        (SAMPLES / "leaky_relu.py", "jax oracle"),
    ],
)
def test_the_autodiff_libraries_a_submission_imports_are_named(
    sample: Path, libraries: str, tmp_path: Path
) -> None:
    main(
        [
            "check",
            str(sample),
            str(SAMPLES / "no_targets.py"),
            "--seeds",
            "1",
            "--out",
            str(tmp_path / "c.csv"),
        ]
    )
    frame = pd.read_csv(tmp_path / "c.csv", keep_default_na=False)
    assert set(frame[frame.submission == str(sample)].autodiff) == {libraries}


def test_a_library_the_submission_imports_from_elsewhere_is_named_too(tmp_path: Path) -> None:
    """Unconfined (a confined worker reads nothing outside its submission and the Python
    installation: tests/test_confinement.py), a module from another folder is still named."""
    library, submission = tmp_path / "lib", tmp_path / "student"
    library.mkdir()
    submission.mkdir()
    (library / "torch.py").write_text("import numpy\n\nones_like = numpy.ones_like\n")
    (submission / "layers.py").write_text(
        f"import sys\n\nsys.path.insert(0, {str(library)!r})\n\nimport numpy as np\nimport torch\n\n\n"
        "def relu_forward(x):\n    return np.maximum(0, x), x\n\n\n"
        "def relu_backward(dout, cache):\n    return dout * (cache > 0) * torch.ones_like(dout)\n"
    )
    out = str(tmp_path / "c.csv")
    paths = [str(submission / "layers.py"), str(SAMPLES / "no_targets.py")]
    main(["check", *paths, "--seeds", "1", "--out", out, "--confine", "off"])
    frame = pd.read_csv(out, keep_default_na=False)
    assert set(frame[frame.target == "relu"].autodiff) == {"torch"}
    assert set(frame[frame.target == "relu"].status) == {MATCH}


# ------------------------------------------------------- the pytest API


def test_the_pytest_api_isolates_a_path_by_default() -> None:
    with pytest.raises(AssertionError, match="no answer within 1 s"):
        course.assert_module_correct(HOSTILE / "hangs.py", seeds=1, timeout=1)
    records = course.check_module(HOSTILE / "stack_walk.py", seeds=1)
    assert {r.status for r in records} == {MISMATCH}


def test_the_pytest_api_checks_a_module_object_in_this_process_unless_asked() -> None:
    module = course.load_module(SAMPLES / "kink_conventions.py")
    here = course.check_module(module, ["relu"], seeds=1)
    there = course.check_module(module, ["relu"], seeds=1, isolate=True)
    assert [(r.case_id, r.status, r.detail) for r in here] == [(r.case_id, r.status, r.detail) for r in there]


# ------------------------------------------------- the wire and the worker


def test_the_code_a_worker_runs_imports_no_jax() -> None:
    """``calling.calls`` and ``wire`` (not the package's __init__: the registry holds JAX functions)."""
    code = textwrap.dedent(
        """
        import sys, types
        for name in ("oracle", "oracle.course"):
            package = types.ModuleType(name)
            package.__path__ = [sys.argv[1] + "/" + name.replace(".", "/")]
            sys.modules[name] = package
        import oracle.course.calling.calls, oracle.course.isolation.wire
        tops = {m.partition(".")[0] for m in sys.modules}
        print("numpy" in tops, sorted(tops & {"jax", "jaxlib"}))
        """
    )
    done = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "[]"]


def _exchange(blob: bytes) -> tuple[dict[str, object], list[np.ndarray]]:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(blob)
        theirs.shutdown(socket.SHUT_WR)
        return wire.receive(ours, deadline=None)


def _frame(header: object, body: bytes = b"", raw: bytes | None = None) -> bytes:
    head = raw if raw is not None else json.dumps(header).encode()
    return len(head).to_bytes(4, "big") + len(body).to_bytes(4, "big") + head + body


def _one(dtype: str, shape: object, body: bytes) -> bytes:
    return _frame({"arrays": [{"dtype": dtype, "shape": shape}]}, body)


def test_an_outcome_crosses_as_plain_arrays_and_text() -> None:
    class Sub(np.ndarray):
        pass

    outcome = Outcome(
        out=np.arange(6.0).reshape(2, 3).view(Sub),
        grads={"x": [1.0, 2.0], "w": None, "b": {"not": "numbers"}, "c": np.array(["a", "b"])},
        problem="line one\nline two",
        extras={"running_mean": np.float32(3.5), "flags": np.array([True, False]), "t": np.ones((3, 2)).T},
    )
    header, arrays = wire.put_outcome(outcome)
    ours, theirs = socket.socketpair()
    with ours, theirs:
        wire.send(theirs, header, arrays)
        back = wire.get_outcome(*wire.receive(ours))
    assert type(back.out) is np.ndarray and back.out.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert back.grads["x"].tolist() == [1.0, 2.0] and back.grads["w"] is None
    assert type(back.grads["b"]).__name__ == "dict" and np.asarray(back.grads["b"]).dtype == object
    assert back.grads["c"].shape == (2,) and back.grads["c"].dtype.kind == "U"
    assert back.problem == "line one line two"
    assert back.extras["running_mean"].shape == () and back.extras["running_mean"].dtype == np.float32
    assert back.extras["flags"].tolist() == [True, False] and back.extras["t"].shape == (2, 3)


@pytest.mark.parametrize(
    ("blob", "says"),
    [
        (_frame([1, 2]), "not a JSON object"),
        (_frame(None, raw=b"{not json"), "not JSON"),
        ((1 << 30).to_bytes(4, "big") + (0).to_bytes(4, "big"), "too large"),
        (_one("|O", [1], pickle.dumps(np.array([{}], dtype=object))), "dtype '|O', not of numbers"),
        (_one("<U4", [1], b"t\0\0\0e\0\0\0x\0\0\0t\0\0\0"), "not of numbers"),
        (_one("[('a', '<f8')]", [1], b"\0" * 8), "not of numbers"),
        (_one(np.dtype("f8").newbyteorder("S").str, [1], b"\0" * 8), "not of numbers"),
        (_one("<f8", [-1], b""), "shape"),
        (_one("<f8", [1 << 30, 1 << 30], b"\0" * 8), "larger than the message"),
        (_one("<f8", [1], b"\0" * 16), "belong to no array"),
        (_frame({"arrays": "all of them"}), "not described as a list"),
    ],
)
def test_the_judge_refuses_what_is_not_a_message(blob: bytes, says: str) -> None:
    with pytest.raises(wire.ProtocolError, match=re.escape(says)):
        _exchange(blob)


def test_a_truncated_message_means_the_worker_is_gone() -> None:
    with pytest.raises(wire.Gone):
        _exchange(_frame({"a": 1})[:10])


@pytest.mark.parametrize(
    "fields",
    [
        {"out": {"value": {"array": 3}}},
        {"out": {"value": [1, 2]}},
        {"grads": {"map": [1]}},
        {"error": {"text": 7}},
        {"out": {"code": "import os"}},
    ],
)
def test_an_outcome_that_does_not_fit_is_refused(fields: dict[str, object]) -> None:
    with pytest.raises(wire.ProtocolError):
        wire.get_outcome({"outcome": fields}, [])


def test_a_forward_mismatch_survives_the_crossing(tmp_path: Path) -> None:
    _, frame = check(tmp_path / "c.csv", SAMPLES / "errors.py", "--target", "sigmoid")
    assert set(frame.status) == {FORWARD_MISMATCH}


def test_a_zygote_that_cannot_start_is_one_line_and_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from oracle.course.isolation import sandbox

    broken = sandbox.Zygote()
    monkeypatch.setattr(sandbox, "BOOT", "import sys; sys.stderr.write('no zygote here'); sys.exit(5)")
    monkeypatch.setattr(sandbox, "_shared", broken)
    try:
        code = main(["check", str(SAMPLES / "correct.py"), "--seeds", "1", "--out", str(tmp_path / "c.csv")])
    finally:
        broken.dispose()
    err = capsys.readouterr().err
    assert code == 3
    assert "the zygote process ended" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


def test_a_forged_description_of_a_pair_is_an_error_row_and_the_class_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "a.py").write_text((SAMPLES / "correct.py").read_text())
    (folder / "b.py").write_text((HOSTILE / "forges_spec.py").read_text())
    (folder / "c.py").write_text((SAMPLES / "fd_layers.py").read_text())
    out = tmp_path / "out" / "class.csv"
    code = main(["check", "--submissions", str(folder), "--seeds", "1", "--workers", "1", "--out", str(out)])
    frame = pd.read_csv(out, dtype={"detail": str}).fillna({"detail": ""})
    assert code == 1 and set(frame.submission) == {"a.py", "b.py", "c.py"}
    forged = frame[frame.submission == "b.py"]
    assert set(forged[forged.target == "relu"].status) == {MATCH}
    for name, why in (
        ("scale", "not a description"),
        ("double", "a shape [300000"),
        ("triple", "a shape ['x']"),
    ):
        rows = forged[forged.target == name]
        assert list(rows.status) == [ERROR]
        assert rows.detail.iloc[0].startswith(f"the worker's description of {name} is unusable: {why}")
    assert set(frame[frame.submission != "b.py"].status) <= {MATCH, KINK}


def test_an_opaque_answer_of_too_many_elements_is_refused() -> None:
    huge = {"opaque": "ndarray", "dtype": "U5", "shape": [2**39, 2**39]}
    with pytest.raises(wire.ProtocolError, match="elements"):
        wire.get_value(huge, [])
    assert wire.get_value({**huge, "shape": [2**39, 1]}, []).shape == (2**39, 1)  # no memory: a view
