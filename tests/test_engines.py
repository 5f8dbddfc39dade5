"""Checking a student's autograd engine: probe, random graphs, JAX, shrinking, naming (``oracle.engines``).

The samples in ``tests/engine_samples/`` are engines written the way learners write them:
one correct, and one per classic bug.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

from oracle.cli import main
from oracle.core.record import FAILING, UNCHECKED
from oracle.course.isolation.sessions import Options
from oracle.engines import probe as probing
from oracle.engines.checking import engines_of
from oracle.engines.drive import check_scalar

SAMPLES = Path(__file__).parent / "engine_samples"
GRAPHS = 15  # enough for every sample's bug to show on seed 0; the default is larger


def load(name: str) -> ModuleType:
    path = SAMPLES / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"engine_sample_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def engine(name: str) -> probing.Engine:
    (found,) = engines_of(load(name))
    return found


def run(name: str, graphs: int = GRAPHS, seed: int = 0) -> list:
    e = engine(name)
    return check_scalar(e, seed, graphs, lambda s: f"seed {s}", str(SAMPLES / f"{name}.py")).records


def test_probe_finds_the_api_of_a_micrograd_style_value() -> None:
    e = engine("value_correct")
    assert (e.name, e.data, e.grad, e.backward, e.function, e.problem) == (
        "Value",
        "data",
        "grad",
        "backward",
        False,
        "",
    )
    assert {
        "add",
        "mul",
        "sub",
        "div",
        "neg",
        "radd",
        "rsub",
        "rmul",
        "rdiv",
        "pow",
        "tanh",
        "relu",
    } <= e.capabilities
    assert "abs" not in e.capabilities  # Value has no __abs__: that op is not drawn


def test_probe_finds_a_module_backward_function_and_other_attribute_names() -> None:
    e = engine("node_undeclared")
    assert (e.name, e.data, e.grad, e.backward, e.function) == ("Node", "val", "g", "backward", True)
    assert "div" not in e.capabilities and "tanh" in e.capabilities


def test_a_declared_engine_uses_its_declaration() -> None:
    e = engine("node_declared")
    assert (e.name, e.data, e.grad, e.backward, e.function, e.declared) == (
        "Node",
        "val",
        "g",
        "propagate",
        True,
        True,
    )
    rows = run("node_declared")
    assert rows and not [r for r in rows if r.failed]


def test_what_cannot_be_probed_is_one_unchecked_row_that_does_not_fail() -> None:
    rows = run("hidden_number")
    assert [r.status for r in rows] == [UNCHECKED]
    assert "declare data" in rows[0].detail and rows[0].target == "Scalar"
    assert UNCHECKED not in FAILING


@pytest.mark.parametrize("name", ["value_correct", "node_undeclared"])
def test_a_correct_engine_gets_no_failing_row(name: str) -> None:
    rows = run(name)
    assert len(rows) > 2 * GRAPHS
    assert not [r for r in rows if r.failed], [r.detail for r in rows if r.failed][:3]


BUGS = {
    "value_assigns": "assigns (=) instead of adding (+=)",
    "value_no_topo": "order of the walk",
    "value_div_no_backward": "`x / y` has no backward",
    "value_pow_rule": "the power rule without the - 1",
    "value_pow_log": "the constant exponent is differentiated as a variable",
    "value_rsub": "__rsub__ computes x - c",
    "value_rtruediv": "__rtruediv__ computes x / c",
    "value_tanh_input": "tanh's derivative taken of the input",
    "value_wrong_forward": "`x.sigmoid()` computes",
}


@pytest.mark.parametrize("name", sorted(BUGS))
def test_each_classic_bug_gets_a_failing_row_naming_it_with_a_shrunk_reproduction(name: str) -> None:
    rows = run(name)
    named = [r for r in rows if r.failed and BUGS[name] in r.detail]
    assert named, sorted({r.detail.split("; shrunk")[0] for r in rows if "shrunk" in r.detail})
    row = named[0]
    code = re.search(r"shrunk: (.*?\.\w+\(\w*\));", row.detail)
    assert code is not None and code.group(1).count(";") <= 6  # a few lines
    # its replay runs the shrunk program against the student's class: the gradients it prints differ
    assert row.replay.startswith("python -c ")
    completed = subprocess.run(
        row.replay, shell=True, capture_output=True, text=True, timeout=60, check=False
    )
    if "forward" in row.status or "error" in row.status:
        assert completed.returncode != 0 or "got" in completed.stdout
    else:
        got, expected = completed.stdout.split("expected")
        numbers = [float(v) for v in got.split()[1:]]
        wanted = [float(v.split("=")[1]) for v in expected.strip(" \n'").split(", ")]
        assert numbers != pytest.approx(wanted), completed.stdout


def test_the_same_seed_gives_the_same_rows_and_the_same_shrunk_program() -> None:
    first, second = run("value_pow_rule", 8, seed=3), run("value_pow_rule", 8, seed=3)
    assert [(r.case_id, r.status, r.detail) for r in first] == [
        (r.case_id, r.status, r.detail) for r in second
    ]
    other = run("value_pow_rule", 8, seed=4)
    assert [r.case_id for r in other] != [r.case_id for r in first]


def test_a_second_backward_is_a_convention_in_the_warning_column() -> None:
    accumulates = [r.warning for r in run("value_correct", 2) if r.warning]
    assert len(accumulates) == 1
    assert accumulates[0].startswith("convention: a second backward() on the same graph accumulates")


def test_every_op_the_probe_found_gets_rows() -> None:
    from oracle.engines.summary import rows_per_form

    counted = rows_per_form(run("value_correct", 40))
    for form in (
        "x + y",
        "x * y",
        "x - y",
        "x / y",
        "-x",
        "c - x",
        "1.0 / x",
        "c + x",
        "x * x",
        "x.tanh()",
        "x.relu()",
    ):
        assert counted[form] > 0, form


def test_check_recognizes_an_engine_file(tmp_path: Path) -> None:
    out = tmp_path / "check.csv"
    code = main(
        ["check", str(SAMPLES / "value_assigns.py"), "--no-isolate", "--graphs", "8", "--out", str(out)]
    )
    frame = pd.read_csv(out)
    assert code == 1
    assert set(frame["target"]) == {"Value"}
    assert frame["status"].isin(["mismatch"]).any()
    code = main(
        ["check", str(SAMPLES / "value_correct.py"), "--no-isolate", "--graphs", "8", "--out", str(out)]
    )
    assert code == 0


def test_a_folder_picks_up_engine_files(tmp_path: Path) -> None:
    folder = tmp_path / "student"
    folder.mkdir()
    (folder / "engine.py").write_text((SAMPLES / "value_tanh_input.py").read_text())
    (folder / "notes.py").write_text("x = 1\n")
    out = tmp_path / "class.csv"
    code = main(["check", str(folder), "--no-isolate", "--graphs", "8", "--out", str(out), "--workers", "1"])
    frame = pd.read_csv(out)
    assert code == 1
    assert set(frame["file"].dropna()) == {"engine.py"}
    assert frame["detail"].str.contains("tanh's derivative taken of the input", regex=False).any()


def test_the_options_default_graph_budget_is_used() -> None:
    assert Options().graphs == 0  # 0: the plugin's default


def test_gate_objects_on_units_are_composed_into_graphs_and_a_correct_file_passes() -> None:
    e = engine("gates_unit")
    assert e.composer is not None and e.composer.style == "unit"
    assert e.composer.gates == {
        "mul": "MultiplyGate",
        "add": "AddGate",
        "sigmoid": "SigmoidGate",
        "tanh": "TanhGate",
    }
    rows = run("gates_unit")
    assert len(rows) > 2 * GRAPHS and not [r for r in rows if r.failed]
    assert any(" ; " in r.ops for r in rows)  # gates in composition, not one by one


def test_a_gate_that_assigns_its_gradient_fails_where_a_unit_fans_out() -> None:
    rows = run("gates_unit_assigns")
    named = [r for r in rows if r.failed and "assigns (=) instead of adding (+=)" in r.detail]
    assert named and "MultiplyGate().forward(x, x)" in named[0].detail


def test_lecture_gates_are_composed_too_and_keep_their_one_gate_checks(tmp_path: Path) -> None:
    e = engine("gates_values")
    assert e.composer is not None and e.composer.style == "values"
    out = tmp_path / "check.csv"
    code = main(
        ["check", str(SAMPLES / "gates_values.py"), "--no-isolate", "--graphs", "6", "--out", str(out)]
    )
    frame = pd.read_csv(out)
    assert code == 0
    assert {"composed gates", "MultiplyGate", "AddGate", "ExpGate", "TanhGate"} <= set(frame["target"])


def test_unit_gates_replace_the_one_gate_checks_that_cannot_call_them(tmp_path: Path) -> None:
    out = tmp_path / "check.csv"
    code = main(["check", str(SAMPLES / "gates_unit.py"), "--no-isolate", "--graphs", "6", "--out", str(out)])
    frame = pd.read_csv(out)
    assert code == 0
    assert set(frame["target"]) == {"composed gates"}


def check_file(name: str, graphs: int = GRAPHS) -> list:
    from oracle.engines.checking import check_module

    module = load(name)
    (e,) = engines_of(module)
    return check_module(module, e, str(SAMPLES / f"{name}.py"), Options(graphs=graphs, isolate=False))


def test_a_tensor_engine_gets_graphs_of_arrays_and_a_correct_one_passes() -> None:
    rows = check_file("tensor_correct")
    shapes = {r.shape for r in rows}
    assert len(shapes) > 3  # arrays of several shapes, not only scalars
    assert any("x @ y" in r.ops for r in rows) and any("x.sum()" in r.ops for r in rows)
    assert not [r for r in rows if r.failed], [r.detail for r in rows if r.failed][:3]


def test_a_tensor_op_that_does_not_undo_its_broadcasting_is_named() -> None:
    rows = check_file("tensor_no_unbroadcast")
    named = [r for r in rows if r.failed and "does not undo its broadcasting" in r.detail]
    assert named and "has shape" in named[0].detail


def test_an_engine_that_ends_the_interpreter_is_one_error_row_when_isolated(tmp_path: Path) -> None:
    out = tmp_path / "check.csv"
    code = main(["check", str(SAMPLES / "hostile_exits.py"), "--graphs", "2", "--out", str(out)])
    frame = pd.read_csv(out)
    assert code == 1
    assert list(frame["status"]) == ["error"] and list(frame["target"]) == ["Value"]
    assert "ended (exit code 3)" in frame["detail"][0]


def test_a_backward_that_never_ends_is_an_error_row_not_a_hang() -> None:
    rows = run("hostile_loops", 2)
    assert [r.status for r in rows] == ["error"]
    assert "never returned" in rows[0].detail
