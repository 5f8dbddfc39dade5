"""``python -m oracle replay`` as a user runs it: exit codes, the table, the CSV, bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from oracle_helpers import broken, chain

from oracle.cli import main
from oracle.core.record import COLUMNS
from reference.gates import GATES

GRAPH = chain(
    {"W": [2, 2], "x": [2]},
    ("q", "matmul", ["W", "x"], {}),
    ("s", "square", ["q"], {}),
    ("f", "sum", ["s"], {}),
)
CASE = {
    "graph": GRAPH,
    "values": {"W": [[0.1, 0.5], [-0.3, 0.8]], "x": [0.2, 0.4]},
    "cotangent": None,
    "dtype": "float64",
}


@pytest.fixture
def case_file(tmp_path):
    path = tmp_path / "case.json"
    path.write_text(json.dumps(CASE))
    return path


def test_a_clean_case_exits_0_and_writes_the_report_schema(case_file, tmp_path, capsys):
    out = tmp_path / "deep" / "records.csv"
    assert main(["replay", str(case_file), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "match" in printed and "-0.112" in printed
    frame = pd.read_csv(out)
    assert list(frame.columns) == COLUMNS
    assert list(frame["input"]) == ["W", "x"] and set(frame["status"]) == {"match"}


def test_a_planted_bug_exits_1(case_file, monkeypatch, capsys):
    monkeypatch.setitem(GATES, "square", broken("square", lambda x: (x * x, (lambda g: -2 * x * g,))))
    assert main(["replay", str(case_file)]) == 1
    assert "mismatch" in capsys.readouterr().out


def test_a_kink_exits_0(tmp_path, capsys):
    graph = chain({"a": [2], "b": [2]}, ("m", "maximum", ["a", "b"], {}), ("f", "sum", ["m"], {}))
    path = tmp_path / "tie.json"
    path.write_text(json.dumps({"graph": graph, "values": {"a": [1, 2], "b": [1, 0]}}))
    assert main(["replay", str(path)]) == 0
    assert "kink at m (maximum)" in capsys.readouterr().out


def test_a_jsonl_file_replays_one_case_by_id(tmp_path, capsys):
    other = {**CASE, "values": {"W": [[1, 0], [0, 1]], "x": [1, 2]}}
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps(CASE) + "\n" + json.dumps(other) + "\n")
    from oracle.core.case import make_case

    wanted = make_case(other).case_id
    assert main(["replay", str(path), "--case-id", wanted]) == 0
    printed = capsys.readouterr().out
    assert wanted in printed and make_case(CASE).case_id not in printed


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("{not json", "not valid JSON"),
        (json.dumps({**CASE, "dtype": "float16"}), "dtype 'float16'"),
        (json.dumps({**CASE, "values": {"W": [[1, 2], [3, 4]]}}), "input 'x': missing value"),
        (json.dumps({**CASE, "values": {"W": [1, 2], "x": [1, 2]}}), "input 'W': expected shape [2, 2]"),
        (json.dumps({**CASE, "cotangent": [1, 2]}), "cotangent has shape [2]"),
        (json.dumps({**CASE, "graph": {**GRAPH, "output": "nope"}}), "output 'nope'"),
        (json.dumps({**CASE, "extra": 1}), "unknown key 'extra'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, content, message):
    path = tmp_path / "case.json"
    if content is not None:
        path.write_text(content)
    assert main(["replay", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and str(path) in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_an_unwritable_out_is_refused_before_work(case_file, tmp_path, capsys):
    assert main(["replay", str(case_file), "--out", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_the_module_entry_point_runs_without_a_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "oracle", "replay", str(tmp_path / "missing.json")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "missing.json" in result.stderr
