"""Hostile inputs and huge counts (issue 14): one line and exit 2, a bound, or lazy work; never a traceback.

Items 15 (a case too big for memory), 16 (workers), 17 (huge counts), 18 (deep JSON), 19 (a
case file that is not UTF-8), 20 (a cotangent of 10**400), 22 (seeds of 2**63 and up), 29
(strings and true as numbers), 31 (float32 overflow warnings), 32 (a .jsonl replay shows
its cases apart), 36 (a 50k-node graph's ops on one line).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from oracle.campaign import run as campaign
from oracle.campaign.run import read_report
from oracle.cli import main

SQUARE_SUM = {
    "inputs": {"x": [2]},
    "nodes": [{"id": "s", "op": "square", "args": ["x"]}, {"id": "f", "op": "sum", "args": ["s"]}],
    "output": "f",
}
SQUARE = {"inputs": {"x": [2]}, "nodes": [{"id": "s", "op": "square", "args": ["x"]}], "output": "s"}


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


def replay(tmp_path: Path, content: str | bytes, name: str = "case.json", *extra: str) -> int:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return main(["replay", str(path), *extra])


def usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    return one_line(capsys)


# ------------------------------------------------------------------ 15: memory


def broadcast_case(n: int) -> dict:
    """[n, 1] + [1, n]: a 180 KB file (n = 10,000) whose add node has n * n elements."""
    rng = np.random.default_rng(0)
    graph = {
        "inputs": {"x": [n, 1], "y": [1, n]},
        "nodes": [{"id": "a", "op": "add", "args": ["x", "y"]}, {"id": "f", "op": "sum", "args": ["a"]}],
        "output": "f",
    }
    values = {
        "x": np.round(rng.uniform(-1, 1, (n, 1)), 4).tolist(),
        "y": np.round(rng.uniform(-1, 1, (1, n)), 4).tolist(),
    }
    return {"graph": graph, "values": values, "cotangent": None, "dtype": "float64"}


def test_a_case_that_would_need_gigabytes_is_refused_before_it_runs(tmp_path, capsys) -> None:
    text = json.dumps(broadcast_case(10_000))
    assert len(text) < 200_000
    assert replay(tmp_path, text) == 2
    err = one_line(capsys)
    assert "needs an estimated 8.94 GB of memory; node 'a' (add) has shape [10000, 10000]" in err
    assert "above the limit of 4 GB (--max-memory raises it)" in err


def test_max_memory_moves_the_limit(tmp_path, capsys) -> None:
    text = json.dumps(broadcast_case(100))  # 10,000 elements: about 1 MB estimated
    assert replay(tmp_path, text, "case.json", "--max-memory", "1M") == 2
    assert "above the limit of 1 MB" in one_line(capsys)
    assert replay(tmp_path, text, "case.json", "--max-memory", "2M") == 0


def test_a_campaign_graph_whose_input_sets_need_too_much_is_refused(tmp_path, capsys) -> None:
    argv = ["report", "--graphs", "2", "--inputs", "1000", "--max-memory", "10M", "--workers", "1"]
    assert main([*argv, "--out", str(tmp_path / "d.csv")]) == 2
    assert "graph 0 of the campaign needs an estimated" in capsys.readouterr().err


@pytest.mark.parametrize("size", ["0.5M", "lots", "nan", "-4G", "1e400G"])
def test_a_bad_max_memory_is_a_usage_error(size, capsys) -> None:
    assert "argument --max-memory: " in usage_error(["replay", "x.json", f"--max-memory={size}"], capsys)


# ------------------------------------------------------------------ 16, 17, 22: counts, workers, seeds


def test_huge_graph_counts_are_drawn_lazily(tmp_path, monkeypatch) -> None:
    real = campaign.judge_graph

    def interrupted(c, index, *rest):
        if index == 2:
            raise KeyboardInterrupt
        return real(c, index, *rest)

    monkeypatch.setattr(campaign, "judge_graph", interrupted)
    out = tmp_path / "d.csv"
    argv = [
        "report",
        "--graphs",
        "1e9",
        "--inputs",
        "1",
        "--max-nodes",
        "4",
        "--workers",
        "1",
        "--out",
        str(out),
    ]
    assert main(argv) == 130  # at once: a billion graphs are a range, not a list
    assert sorted(read_report(out)["graph"].unique()) == [0, 1]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--graphs", "1e30"], "--graphs: must be at most 1,000,000,000"),
        (["--graphs", "1" + "0" * 40], "--graphs: must be at most"),
        (["--graphs", "1e999999999"], "--graphs: expected a whole number"),
        (["--graphs", "2.5"], "--graphs: expected a whole number"),
        (["--inputs", "1e8"], "--inputs: must be at most 100,000"),
        (["--max-nodes", "1e6"], "--max-nodes: must be at most 10,000"),
        (["--seed", str(2**64)], "--seed: must be at most 9,223,372,036,854,775,807"),
        (["--seed", str(2**63)], "--seed: must be at most"),
        (["--shard", "1/99999999999"], "--shard: expected K/N"),
    ],
)
def test_counts_beyond_the_limits_are_one_line(argv, message, capsys) -> None:
    assert message in usage_error(["report", *argv], capsys)


def test_the_largest_seed_works_and_gives_the_same_bits(tmp_path, capsys) -> None:
    seed = str(2**63 - 1)
    outs = [tmp_path / f"{k}" / "d.csv" for k in range(2)]
    for out in outs:
        assert (
            main(
                [
                    "report",
                    "--graphs",
                    "1",
                    "--inputs",
                    "2",
                    "--seed",
                    seed,
                    "--workers",
                    "1",
                    "--out",
                    str(out),
                ]
            )
            == 0
        )
    assert outs[0].read_bytes().replace(b"/0/", b"/1/") == outs[1].read_bytes()
    assert read_report(outs[0])["seed"].tolist() == [2**63 - 1] * len(read_report(outs[0]))


def test_a_shard_count_above_the_graph_count_is_refused(tmp_path, capsys) -> None:
    assert main(["report", "--graphs", "2", "--shard", "3/4", "--out", str(tmp_path / "d.csv")]) == 2
    assert "at most that many shards" in one_line(capsys)


def test_workers_are_capped_at_the_graphs_and_bounded_by_the_cores(monkeypatch, capsys) -> None:
    monkeypatch.setattr(campaign.os, "cpu_count", lambda: 2)
    assert campaign.plan_workers(16, 2) == 2 and campaign.plan_workers(2, 1) == 1
    assert capsys.readouterr().err == ""
    assert campaign.plan_workers(3, 10) == 3
    assert "3 workers on 2 cores" in one_line(capsys)
    assert "--workers: at most 8 (4 per core" in usage_error(["report", "--workers", "9"], capsys)


def test_mlp_sizes_that_cannot_fit_are_refused(tmp_path, capsys) -> None:
    out = tmp_path / "mlp.csv"
    assert main(["mlp", "--n", "1e5", "--d-in", "1e5", "--out", str(out)]) == 2
    assert "need an estimated 1.17 TB of memory" in one_line(capsys)
    assert main(["mlp", "--steps", "1e9", "--out", str(out)]) == 2
    assert "--steps must be at most 1,000,000" in one_line(capsys)
    assert not out.exists()


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/urandom"])
def test_replay_of_a_device_is_refused(path, capsys) -> None:
    assert main(["replay", path]) == 2
    assert f"{path}: not a regular file" in one_line(capsys)


def test_replay_of_a_file_larger_than_memory_allows_is_refused(tmp_path, capsys) -> None:
    assert replay(tmp_path, " " * (2**20 // 16 + 1), "big.json", "--max-memory", "1M") == 2
    assert "larger than 64 KB" in one_line(capsys)


# ------------------------------------------------------------------ 18, 19, 20, 29: bad case files


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "deep.json",
            "[" * 100_000 + "]" * 100_000,
            "deep.json: not valid JSON for a case (nested too deeply)",
        ),
        (
            "deep.jsonl",
            json.dumps({"graph": SQUARE_SUM, "values": {"x": [1, 2]}}) + "\n" + "[" * 100_000,
            "deep.jsonl:2: not valid JSON for a case (nested too deeply)",
        ),
        ("digits.json", '{"values": ' + "1" * 5000 + "}", "an integer of more than 4300 digits"),
        ("latin.json", b'{"graph": {"inputs": {"\xe9": []}}}', "latin.json:1: not UTF-8 text (byte 0xe9)"),
        (
            "huge.json",
            json.dumps({"graph": SQUARE, "values": {"x": [1, 2]}, "cotangent": [10**400, 1]}),
            "cotangent: an integer of ~401 digits does not fit float64",
        ),
        (
            "strings.json",
            json.dumps({"graph": SQUARE, "values": {"x": [1, 2]}, "cotangent": ["1.5", "2"]}),
            'cotangent: "1.5" is not a number',
        ),
        (
            "true.json",
            json.dumps({"graph": SQUARE_SUM, "values": {"x": [1, 2]}, "cotangent": True}),
            "cotangent: true is not a number",
        ),
        (
            "true_value.json",
            json.dumps({"graph": SQUARE_SUM, "values": {"x": [True, 2]}}),
            "input 'x': true is not a number",
        ),
        (
            "f32.json",
            json.dumps({"graph": SQUARE_SUM, "values": {"x": [1e300, 2]}, "dtype": "float32"}),
            "input 'x': 1e+300 does not fit float32",
        ),
    ],
)
def test_a_bad_case_file_is_one_line_naming_it(name, content, message, tmp_path, capsys) -> None:
    assert replay(tmp_path, content, name) == 2
    err = one_line(capsys)
    assert message in err and name in err


def test_nan_and_infinity_in_a_case_are_taken_as_written(tmp_path, capsys) -> None:
    text = json.dumps({"graph": SQUARE_SUM, "values": {"x": [float("inf"), 1.0]}})
    assert replay(tmp_path, text) == 0
    assert "nonfinite_both" in capsys.readouterr().out


# ------------------------------------------------------------------ 31, 32, 36: what replay prints


def test_float32_overflow_prints_no_warnings(tmp_path, capsys) -> None:
    graph = {**SQUARE_SUM, "nodes": [SQUARE_SUM["nodes"][0], {"id": "e", "op": "exp", "args": ["s"]}]}
    graph["nodes"].append({"id": "f", "op": "sum", "args": ["e"]})
    text = json.dumps({"graph": graph, "values": {"x": [1e20, 3e38]}, "dtype": "float32"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert replay(tmp_path, text) == 0
    assert [str(w.message) for w in caught] == []
    assert capsys.readouterr().err == ""


def test_a_jsonl_replay_shows_each_case_with_its_own_table(tmp_path, capsys) -> None:
    cases = [{"graph": SQUARE_SUM, "values": {"x": [1, k]}} for k in (2, 3)]
    assert replay(tmp_path, "".join(json.dumps(c) + "\n" for c in cases), "cases.jsonl") == 0
    blocks = capsys.readouterr().out.strip().split("\n\n")
    assert len(blocks) == 2
    for block in blocks:
        lines = block.splitlines()
        assert lines[0].startswith("case ") and lines[1].startswith("input  status") and len(lines) == 3


def test_a_long_graph_prints_its_ops_abbreviated(tmp_path, capsys) -> None:
    nodes = [{"id": f"n{i}", "op": "tanh", "args": [f"n{i - 1}" if i else "x"]} for i in range(300)]
    case = {"graph": {"inputs": {"x": []}, "nodes": nodes, "output": "n299"}, "values": {"x": 0.5}}
    assert replay(tmp_path, json.dumps(case)) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.endswith("tanh tanh ... tanh tanh tanh (300 gates)") and len(first) < 120


def test_a_bug_of_ours_exits_4_never_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Python exits 1 on an uncaught exception: the code a CI job reads as 'a divergence found'."""
    from oracle.course.grading import classes as grading

    def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(grading, "discover", broken)
    sample = Path(__file__).parent / "course_samples" / "correct.py"
    code = main(["check", "--submissions", str(sample.parent), "--out", str(tmp_path / "c.csv")])
    err = capsys.readouterr().err
    assert code == 4
    assert "RuntimeError: a bug" in err and err.rstrip().endswith("(a bug of backprop-oracle's, exit 4)")
