"""``merge`` refuses what is not one whole campaign, and writes the merged campaign's summary (issue 14).

Items 1 (shards of other campaigns, incomplete sets), 2 (broken shard lines), 9 (the summary
and plot of the merge), 19 (a shard that is not UTF-8).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from oracle.campaign.run import CSV_COLUMNS, read_report
from oracle.cli import main

FIELDS = len(CSV_COLUMNS)
OPTIONS = ["--graphs", "4", "--inputs", "2", "--seed", "5", "--max-nodes", "4", "--workers", "1"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder: the whole campaign, its two shards, and shards 2/2 of other campaigns."""
    folder = tmp_path_factory.mktemp("shards")
    variants = {
        "whole": [],
        "s1": ["--shard", "1/2"],
        "s2": ["--shard", "2/2"],
        "seed6": ["--shard", "2/2", "--seed", "6"],
        "f32": ["--shard", "2/2", "--dtype", "float32"],
        "edge": ["--shard", "2/2", "--edge"],
        "nodes": ["--shard", "2/2", "--max-nodes", "5"],
        "third": ["--shard", "2/3"],
    }
    for name, extra in variants.items():
        assert main(["report", *OPTIONS, *extra, "--out", str(folder / f"{name}.csv")]) in (0, 1)
    return folder


def metadata_path(csv: Path) -> Path:
    """Where report writes a CSV's metadata: ``divergence.csv`` -> ``divergence.csv.json``."""
    return csv.with_name(csv.name + ".json")


def merge(*paths: Path, out: Path) -> int:
    return main(["merge", *map(str, paths), "--out", str(out)])


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


def test_the_merge_writes_the_merged_campaigns_summary_and_plot(runs: Path, tmp_path: Path) -> None:
    (runs / "summary.md").unlink()
    (runs / "rel_error.png").unlink()
    assert merge(runs / "s2.csv", runs / "s1.csv", out=runs / "merged.csv") == 0
    summary = (runs / "summary.md").read_text()
    whole = read_report(runs / "whole.csv")
    assert "Options: `--graphs 4 --inputs 2 --seed 5 --max-nodes 4 --dtype float64`" in summary
    assert f"{len(whole)} comparisons of {whole['case_id'].nunique()} cases from 4 graphs" in summary
    assert "--shard" not in summary and "merged from shards" in summary
    assert (runs / "rel_error.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("other", "message"),
    [
        ("seed6", "another campaign: --seed 6 where"),
        ("f32", "another campaign: --dtype float32 where"),
        ("edge", "another campaign: --edge where"),
        ("nodes", "another campaign: --max-nodes 5 where"),
        ("third", "shard 2/3, but"),
    ],
)
def test_shards_of_another_campaign_are_refused(runs, tmp_path, capsys, other, message) -> None:
    out = tmp_path / "m.csv"
    assert merge(runs / "s1.csv", runs / f"{other}.csv", out=out) == 2
    err = one_line(capsys)
    assert message in err and f"{other}.csv" in err
    assert not out.exists()


def test_an_incomplete_set_of_shards_is_refused(runs, tmp_path, capsys) -> None:
    assert merge(runs / "s1.csv", out=tmp_path / "m.csv") == 2
    assert "shard 2/2 missing" in one_line(capsys)


def test_a_shard_whose_run_did_not_finish_is_refused(runs, tmp_path, capsys) -> None:
    shutil.copy(runs / "s2.csv", tmp_path / "s2.csv")
    body = json.loads(metadata_path(runs / "s2.csv").read_text())
    metadata_path(tmp_path / "s2.csv").write_text(json.dumps({**body, "finished": False}))
    assert merge(runs / "s1.csv", tmp_path / "s2.csv", out=tmp_path / "m.csv") == 2
    assert "its run did not finish" in one_line(capsys)


def test_a_csv_without_its_metadata_is_refused(runs, tmp_path, capsys) -> None:
    shutil.copy(runs / "s2.csv", tmp_path / "s2.csv")
    assert merge(runs / "s1.csv", tmp_path / "s2.csv", out=tmp_path / "m.csv") == 2
    assert "not a campaign CSV" in one_line(capsys)


def broken_copies(shard: Path, folder: Path) -> dict[str, tuple[Path, str]]:
    """Damaged copies of a shard (its metadata copied beside each), with the complaint each must get."""
    text = shard.read_text()
    lines = text.splitlines(keepends=True)
    # graph 0's input sets have a row per input each (how many inputs depends on what the seed draws)
    set_0 = [line for line in lines[1:] if line.startswith("0,0,")]
    without_set_1 = [line for line in lines if not line.startswith("0,1,")]
    damaged = {
        "cut_last_row": (text[:-25], f":{len(lines)}: the last row is cut off"),  # what a seed draws varies
        "fused_rows": ("".join([*lines[:2], lines[2][:60], *lines[3:]]), ":3: 2"),  # 2x fields
        "three_fields": ("".join([*lines[:2], "0,1,abc\n", *lines[2:]]), f":3: 3 fields, not {FIELDS}"),
        "blank_line": ("".join([*lines[:2], "\n", *lines[2:]]), f":3: 0 fields, not {FIELDS}"),
        "garbage": ("".join([*lines[:2], "garbage\n", *lines[2:]]), f":3: 1 fields, not {FIELDS}"),
        "nul_bytes": ("".join([*lines[:2], "\x00\x00" + lines[2], *lines[3:]]), ":3: graph '\\x00\\x000'"),
        "huge_field": (
            "".join([*lines[:2], '0,1,"' + "x" * 200_000 + '"\n', *lines[2:]]),
            ":3: not a CSV row",
        ),
        "graph_0.5": ("".join([lines[0], "0.5" + lines[1][1:], *lines[2:]]), ":2: graph '0.5'"),
        "graph_of_another_shard": ("".join([lines[0], "3" + lines[1][1:], *lines[2:]]), ":2: graph 3,"),
        "row_missing": ("".join(without_set_1), f":{len(set_0) + 2}: graph 2, input set 0 is out of order"),
        "edited_status": (text.replace(",match,", ",kink,", 1), "not the CSV its run wrote"),
        "not_utf8": (None, ":2: not UTF-8 text (byte 0xe9)"),
    }
    out = {}
    for name, (content, message) in damaged.items():
        path = folder / f"{name}.csv"
        if content is None:
            path.write_bytes(lines[0].encode() + b"\xe9" + "".join(lines[1:]).encode())
        else:
            path.write_text(content)
        shutil.copy(metadata_path(shard), metadata_path(path))
        out[name] = (path, message)
    return out


def test_broken_shards_are_refused_naming_the_file_and_line(runs, tmp_path, capsys) -> None:
    assert read_report(runs / "s1.csv")["graph"].unique().tolist() == [0, 2]  # what the damage assumes
    for name, (path, message) in broken_copies(runs / "s1.csv", tmp_path).items():
        assert merge(path, runs / "s2.csv", out=tmp_path / "m.csv") == 2, name
        err = one_line(capsys)
        assert f"{path}{message}" in err or (message in err and str(path) in err), (name, err)
        assert name != "fused_rows" or f"fields, not {FIELDS}" in err
    assert not (tmp_path / "m.csv").exists()


def test_metadata_that_is_not_valid_is_refused(runs, tmp_path, capsys) -> None:
    shutil.copy(runs / "s2.csv", tmp_path / "s2.csv")
    body = json.loads(metadata_path(runs / "s2.csv").read_text())
    for bad in ({**body, "shard": "3/2"}, {**body, "campaign": {**body["campaign"], "seed": -1}}, [1]):
        metadata_path(tmp_path / "s2.csv").write_text(json.dumps(bad))
        assert merge(runs / "s1.csv", tmp_path / "s2.csv", out=tmp_path / "m.csv") == 2
        assert "not campaign metadata" in one_line(capsys)
    metadata_path(tmp_path / "s2.csv").write_text("[" * 100_000)
    assert merge(runs / "s1.csv", tmp_path / "s2.csv", out=tmp_path / "m.csv") == 2
    assert "nested too deeply" in one_line(capsys)


def test_the_metadata_names_the_campaign_and_the_shard(runs) -> None:
    from oracle.campaign.spec import read_metadata

    metadata = read_metadata(runs / "s2.csv")
    assert metadata.shard == (2, 2) and metadata.finished
    assert metadata.campaign.seed == 5 and metadata.rows == len(read_report(runs / "s2.csv"))


@pytest.mark.parametrize(
    ("shard", "message"), [("/dev/zero", "not a regular file"), ("missing.csv", "no such file")]
)
def test_a_shard_that_is_a_device_or_missing_is_one_line(shard, message, tmp_path, capsys) -> None:
    path = shard if shard.startswith("/") else str(tmp_path / shard)
    assert main(["merge", path, "--out", str(tmp_path / "m.csv")]) == 2
    assert f"{path}: " in (err := one_line(capsys)) and message in err


def test_only_a_newline_ends_a_row() -> None:
    from oracle.campaign.merge import _records

    text = 'h\n1,"quoted\nnewline"\n2,form\x0cfeed and\u2028separator\n3,cut'
    assert _records(text) == [
        (1, "h\n"),
        (2, '1,"quoted\nnewline"\n'),
        (4, "2,form\x0cfeed and\u2028separator\n"),
        (5, "3,cut"),
    ]
