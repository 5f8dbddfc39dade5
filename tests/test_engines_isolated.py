"""An engine's code in a confined process, the verdicts in the checker's (``oracle.engines.isolated``).

The hostile samples in ``tests/engine_samples/`` are engines written the way learners write
them, with something added that a checker must survive: a backward that rewrites records,
overwrites a CSV, opens a socket and kills the checker; one that allocates 10 GB; one that
hangs where its own time limit cannot reach.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import socket
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from oracle.cli import main
from oracle.core.record import ERROR, FAILING, MATCH, TIMEOUT
from oracle.course.isolation.sessions import Options
from oracle.engines import channel, plugin, remote
from oracle.engines.checking import check_module, engines_of
from oracle.engines.rules import ASSIGNS

SAMPLES = Path(__file__).parent / "engine_samples"


def load(name: str) -> ModuleType:
    """A sample engine file imported as a module of its own (as ``tests/test_engines.py`` does)."""
    spec = importlib.util.spec_from_file_location(f"engine_sample_{name}", SAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def rows(name: str, graphs: int, isolate: bool, **options: object) -> dict[str, list]:
    """Every target's records, by target name, as ``check`` makes them (``plugin.find``)."""
    path = SAMPLES / f"{name}.py"
    targets = plugin.find(path, str(path), Options(graphs=graphs, isolate=isolate, **options), 0)  # type: ignore[arg-type]
    return {t.found.name: t.run() for t in targets}


BUGGY = ["value_assigns", "gates_unit_assigns", "tensor_no_unbroadcast", "value_pow_log"]


@pytest.mark.parametrize("name", BUGGY)
def test_isolated_rows_are_the_rows_of_the_check_in_this_process(name: str) -> None:
    inside, isolated = rows(name, 6, False), rows(name, 6, True)
    assert list(inside) == list(isolated)
    for target in inside:
        assert [dataclasses.astuple(r) for r in isolated[target]] == [
            dataclasses.astuple(r) for r in inside[target]
        ]
    assert any(r.failed for rs in isolated.values() for r in rs)  # these samples have bugs


def test_a_backward_that_meddles_gets_the_verdict_its_gradients_deserve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = tmp_path / "earlier.csv"
    victim.write_text("status\nmismatch\n")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    monkeypatch.setenv("HOSTILE_VICTIM", str(victim))
    monkeypatch.setenv("HOSTILE_PORT", str(listener.getsockname()[1]))
    monkeypatch.setenv("HOSTILE_CHECKER", str(os.getpid()))  # main() runs in this process: the checker
    out = tmp_path / "check.csv"
    path = SAMPLES / "hostile_meddles.py"
    code = main(["check", str(path), "--graphs", "8", "--out", str(out)])
    frame = pd.read_csv(out)
    # what the same engine deserves, its meddling taken out, checked in this process
    module = load("hostile_meddles")
    module._meddle = lambda: None
    (engine,) = engines_of(module)
    deserved = check_module(module, engine, str(path), Options(graphs=8, isolate=False))
    assert code == 1
    assert list(frame["status"]) == [r.status for r in deserved]
    assert list(frame["detail"].fillna("")) == [r.detail for r in deserved]
    assert frame["status"].isin(FAILING).any()
    assert any(ASSIGNS in d for d in frame["detail"].dropna())
    assert victim.read_text() == "status\nmismatch\n"
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody phoned
    listener.close()


def test_an_engine_that_allocates_10_gb_is_an_error_row() -> None:
    found = rows("hostile_memory", 6, True)
    (records,) = found.values()
    errors = [r for r in records if r.status == ERROR]
    assert errors and all("MemoryError" in r.detail for r in errors)
    assert all(r.status in (MATCH, ERROR) for r in records)  # its other ops are right
    assert any(r.status == MATCH for r in records)


def test_an_engine_that_ends_its_process_mid_check_is_one_error_row_naming_it() -> None:
    (records,) = rows("hostile_crashes", 6, True).values()
    assert [r.status for r in records] == [ERROR]
    assert "ended (exit code 7) while running a graph" in records[0].detail


def test_confine_off_keeps_the_memory_limit() -> None:
    (records,) = rows("hostile_memory", 6, True, confine="off").values()
    errors = [r for r in records if r.status == ERROR]
    assert errors and all("MemoryError" in r.detail for r in errors)


def test_a_hang_no_time_limit_stops_is_one_timeout_row_and_the_next_engine_is_checked() -> None:
    found = rows("hostile_hangs", 6, True)
    assert list(found) == ["Value", "Scalar"]
    assert [r.status for r in found["Value"]] == [TIMEOUT]
    assert "gave no answer" in found["Value"][0].detail and "running a graph" in found["Value"][0].detail
    assert found["Scalar"] and all(r.status == MATCH for r in found["Scalar"])


def test_answers_are_read_as_data_and_a_malformed_one_is_refused() -> None:
    array = np.array([[1.0, np.nan], [np.inf, -2.0]])
    back = channel.decode(channel.encode(array))
    assert back.shape == (2, 2) and np.array_equal(back, array, equal_nan=True)
    assert channel.decode(channel.encode(None)) is None
    stand_in = channel.decode(channel.encode(object()))
    assert type(stand_in).__name__ == "object" and not isinstance(stand_in, np.ndarray)
    for bad in (
        {"shape": [2], "dtype": "float64", "flat": [1.0]},  # too few numbers
        {"shape": [1], "dtype": "object", "flat": [1.0]},
        {"shape": [1], "dtype": "float64", "flat": ["__import__('os')"]},
        {"__reduce__": "os.system"},
        [1, 2],
    ):
        with pytest.raises(channel.Malformed):
            channel.decode(bad)


def _description(**changes: object) -> dict[str, object]:
    d: dict[str, object] = {
        "name": "Value", "cls": "Value", "title": "", "module": "engine", "data": "data", "grad": "grad",
        "backward": "backward", "function": False, "make": "{cls}({x})", "array": False,
        "methods": {"tanh": "tanh"}, "capabilities": ["add", "mul", "tanh"], "broken": {},
        "declared": False, "problem": "", "fatal": False, "composer": None, "defined_in": [],
    }  # fmt: skip
    return {**d, **changes}


def test_an_engines_description_becomes_a_proxy_and_a_hostile_one_is_refused() -> None:
    engine = remote.proxy(_description(), None, 0)  # type: ignore[arg-type]
    assert engine.name == "Value" and engine.capabilities == {"add", "mul", "tanh"}
    assert engine.constructor("1.5") == "Value(1.5)" and engine.remote is not None
    for bad in (
        _description(make="{cls.__init__.__globals__}({x})"),  # a format string reaching into the checker
        _description(make="{cls!r}({x})"),
        _description(cls="Value; import os"),
        _description(capabilities="add"),
        _description(methods={"tanh": "tanh()"}),
        _description(composer={"style": "pickle", "unit": "", "value": "", "grad": "", "gates": {}}),
        {"name": "Value"},
        ["Value"],
    ):
        with pytest.raises(channel.Malformed):
            remote.proxy(bad, None, 0)  # type: ignore[arg-type]
