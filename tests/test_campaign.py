"""``python -m oracle report`` and ``merge`` as users run them: determinism, shards, interrupts, bad input."""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from oracle_helpers import broken

from oracle.campaign import run as campaign
from oracle.campaign.run import CSV_COLUMNS, read_report
from oracle.campaign.spec import metadata_path, read_metadata
from oracle.cli import main
from reference.gates import GATES

SMALL = ["--graphs", "6", "--inputs", "3", "--seed", "11", "--max-nodes", "6"]


def report(tmp_path: Path, name: str, *extra: str) -> tuple[int, Path]:
    out = tmp_path / name / "divergence.csv"
    return main(["report", *SMALL, *extra, "--out", str(out)]), out


def test_a_small_campaign_writes_csv_summary_and_plot(tmp_path, capsys):
    code, out = report(tmp_path, "a", "--workers", "1")
    assert code == 0
    frame = read_report(out)
    assert list(frame.columns) == CSV_COLUMNS
    assert frame["graph"].nunique() == 6 and frame["input_set"].nunique() == 3
    assert set(frame["status"]) == {"match"}
    for column in ("detail", "warning", "judge", "replay"):  # text stays text, empty is ""
        assert frame[column].map(type).eq(str).all(), column
    assert (out.parent / "summary.md").read_text().count("|") > 10
    assert (out.parent / "rel_error.png").read_bytes().startswith(b"\x89PNG")
    printed = capsys.readouterr()
    assert "Rows per status" in printed.out and f"wrote {len(frame)} rows" in printed.err


def test_the_same_options_give_the_same_bytes_whatever_the_workers(tmp_path):
    _, out = report(tmp_path, "run", "--workers", "1")
    one = out.read_bytes()
    report(tmp_path, "run", "--workers", "2")
    assert out.read_bytes() == one
    report(tmp_path, "run", "--workers", "1", "--seed", "12")
    assert out.read_bytes() != one


def test_shards_merge_into_the_unsharded_csv(tmp_path, capsys):
    _, whole = report(tmp_path, "whole", "--workers", "1")
    paths = []
    for k in (1, 2, 3):
        _, path = report(tmp_path, f"shard{k}", "--workers", "1", "--shard", f"{k}/3")
        paths.append(path)
    merged = tmp_path / "merged.csv"
    assert main(["merge", *map(str, reversed(paths)), "--out", str(merged)]) == 0
    whole_frame, merged_frame = read_report(whole), read_report(merged)
    assert len(merged_frame) == len(whole_frame)
    # the replay paths name each shard's own cases folder; everything else is byte-identical
    drop = ["replay"]
    assert merged_frame.drop(columns=drop).equals(whole_frame.drop(columns=drop))
    assert set(read_report(paths[0])["graph"]).isdisjoint(read_report(paths[1])["graph"])


def test_shards_in_one_folder_merge_to_identical_bytes(tmp_path):
    _, whole = report(tmp_path, "same", "--workers", "1")
    folder = tmp_path / "same"
    paths = []
    for k in (1, 2):
        out = folder / f"shard{k}.csv"
        assert main(["report", *SMALL, "--workers", "1", "--shard", f"{k}/2", "--out", str(out)]) == 0
        paths.append(out)
    merged = folder / "merged.csv"
    assert main(["merge", str(paths[1]), str(paths[0]), "--out", str(merged)]) == 0
    assert merged.read_bytes() == whole.read_bytes()
    # the metadata too: the merge is the unsharded campaign, finished, with the same rows and hash
    assert metadata_path(merged).read_bytes() == metadata_path(whole).read_bytes()
    assert read_metadata(merged).finished and read_metadata(paths[0]).shard == (1, 2)


def test_overlapping_shards_are_refused(tmp_path, capsys):
    _, path = report(tmp_path, "x", "--workers", "1", "--shard", "1/2")
    capsys.readouterr()
    assert main(["merge", str(path), str(path), "--out", str(tmp_path / "m.csv")]) == 2
    err = capsys.readouterr().err
    assert "overlap" in err and len(err.strip().splitlines()) == 1


def test_every_row_replays(tmp_path, capsys):
    _, out = report(tmp_path, "r", "--workers", "1")
    frame = read_report(out)
    for command in frame["replay"].drop_duplicates().head(4):
        argv = shlex.split(command)
        assert argv[:4] == ["python", "-m", "oracle", "replay"]
        assert main(argv[3:]) == 0
    assert capsys.readouterr().out.count("match") >= 4


def test_a_planted_bug_makes_the_report_exit_1_and_print_replays(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(GATES, "tanh", broken("tanh", lambda x: (np.tanh(x), (lambda g: g * (1 - x * x),))))
    code, out = report(tmp_path, "bug", "--workers", "1", "--graphs", "12")
    frame = read_report(out)
    assert code == 1
    assert (frame["status"] == "mismatch").any()
    assert "python -m oracle replay" in capsys.readouterr().out


def test_an_interrupted_run_keeps_every_finished_graph(tmp_path, monkeypatch, capsys):
    real = campaign.judge_graph

    def interrupted(c, index, cases_dir, *rest):
        if index == 3:
            raise KeyboardInterrupt
        return real(c, index, cases_dir, *rest)

    monkeypatch.setattr(campaign, "judge_graph", interrupted)
    code, out = report(tmp_path, "int", "--workers", "1")
    assert code == 130
    frame = read_report(out)
    assert sorted(frame["graph"].unique()) == [0, 1, 2]
    assert f"wrote {len(frame)} rows" in capsys.readouterr().err


@pytest.mark.slow
def test_ctrl_c_on_a_real_run_leaves_a_valid_csv(tmp_path):
    out = tmp_path / "divergence.csv"
    command = [sys.executable, "-m", "oracle", "report", "--graphs", "400", "--inputs", "4", "--workers", "2"]
    process = subprocess.Popen([*command, "--out", str(out)], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not out.exists() or out.read_text().count("\n") < 30):
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    frame = read_report(out)
    assert len(frame) >= 29 and list(frame.columns) == CSV_COLUMNS
    complete = frame.groupby("graph")["input_set"].nunique()
    assert (complete == 4).all()  # no graph is cut in half
    assert f"wrote {len(frame)} rows" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--graphs", "-1"], "--graphs: must be at least 1"),
        (["--graphs", "many"], "--graphs: expected a whole number"),
        (["--inputs", "0"], "--inputs: must be at least 1"),
        (["--seed", "-3"], "--seed: must be at least 0"),
        (["--shard", "3/2"], "--shard: expected K/N"),
        (["--shard", "1-2"], "--shard: expected K/N"),
        (["--dtype", "float16"], "--dtype: invalid choice"),
        (["--workers", "0"], "--workers: must be at least 1"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["report", *argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_an_unwritable_out_fails_before_any_work(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["report", *SMALL, "--out", str(blocker / "sub" / "d.csv")]) == 2
    assert "--out" in capsys.readouterr().err
    assert main(["report", *SMALL, "--out", str(tmp_path)]) == 2


def test_merge_refuses_a_file_that_is_not_a_campaign_csv(tmp_path, capsys):
    other = tmp_path / "other.csv"
    pd.DataFrame({"a": [1]}).to_csv(other, index=False)
    assert main(["merge", str(other), "--out", str(tmp_path / "m.csv")]) == 2
    assert "not a campaign CSV" in capsys.readouterr().err
    assert main(["merge", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "m.csv")]) == 2
