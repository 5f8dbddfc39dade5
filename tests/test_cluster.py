"""``--cluster``: campaigns and class checks on Dask distributed (the README's "On a cluster").

The same options give the same bytes on ``--cluster local:2`` as on ``--workers 2``; a Dask
worker killed mid-run loses nothing; a task that kills workers again and again is exit 3
naming what it judged; a bad or unreachable cluster is exit 2 and one line, before any work.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oracle.cli import main
from oracle.core.errors import EXIT_BAD_INPUT, UserError, WorkerDied

distributed = pytest.importorskip("distributed")  # the [cluster] extra, in the test extra too

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = Path(__file__).parent / "course_samples"
CAMPAIGN = ["--graphs", "24", "--inputs", "2", "--seed", "7", "--max-nodes", "6"]
CLASS = ["--target", "affine,relu,tanh", "--seeds", "1", "--timeout", "10"]


def run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse's usage errors exit from the parser
        return int(exc.code or 0)


def outputs(folder: Path) -> dict[str, bytes]:
    """Every file a run wrote in ``folder`` (cases included), by relative path; the summaries
    without the one thing that differs between identical runs, the time taken."""
    found = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        body = path.read_bytes()
        if path.name == "summary.md":
            body = b"\n".join(line for line in body.split(b"\n") if not line.startswith(b"Throughput"))
        if path.name == "summary.json":
            figures = json.loads(body)
            figures.pop("seconds")
            body = json.dumps(figures).encode()
        found[str(path.relative_to(folder))] = body
    return found


def again(folder: Path) -> dict[str, bytes]:
    """What a run wrote in ``folder``, which is then emptied for the next run (same paths, same bytes)."""
    found = outputs(folder)
    shutil.rmtree(folder)
    return found


# ----------------------------------------------------------- the same bytes


@pytest.mark.slow
def test_a_campaign_on_a_local_cluster_writes_the_bytes_of_two_workers(tmp_path, capsys):
    out = tmp_path / "run" / "divergence.csv"
    assert run(["report", *CAMPAIGN, "--workers", "2", "--out", str(out)]) == 0
    workers = again(out.parent)
    capsys.readouterr()
    assert run(["report", *CAMPAIGN, "--cluster", "local:2", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "Dask cluster local:2: 2 workers, dashboard http://" in err
    cluster = outputs(out.parent)
    assert {"divergence.csv", "divergence.csv.json", "summary.md", "rel_error.png"} <= set(cluster)
    assert sum(name.startswith("cases/") for name in cluster) == 48
    assert cluster == workers


def make_class(root: Path) -> Path:
    """alice: correct; bob: buggy; eve: wrong gradients, and numpy patched so that every
    difference measures zero where her code runs: only isolation keeps her rows honest."""
    folder = root / "class"
    folder.mkdir()
    shutil.copy(SAMPLES / "correct.py", folder / "alice.py")
    shutil.copy(SAMPLES / "buggy.py", folder / "bob.py")
    shutil.copy(SAMPLES / "hostile" / "patch_numpy.py", folder / "eve.py")
    return folder


@pytest.mark.slow
def test_a_class_on_a_local_cluster_writes_the_bytes_of_two_workers_isolated(tmp_path, capsys):
    folder = make_class(tmp_path)
    out = tmp_path / "reports" / "class.csv"
    argv = ["check", "--submissions", str(folder), *CLASS, "--out", str(out)]
    assert run([*argv, "--workers", "2"]) == 1
    workers = again(out.parent)
    capsys.readouterr()
    assert run([*argv, "--cluster", "local:2"]) == 1
    assert "Dask cluster local:2: 2 workers, dashboard http://" in capsys.readouterr().err
    cluster = outputs(out.parent)
    assert {"class.csv", "class.csv.json", "class_summary.md", "class_grid.png"} == set(cluster)
    assert cluster == workers
    eve = [line for line in cluster["class.csv"].decode().splitlines() if line.startswith("eve.py,")]
    assert any(",relu," in line and ",mismatch," in line for line in eve)  # her numpy patch stayed hers


# ------------------------------------------------------------------ faults


def kills_its_worker(task: int) -> int:
    """A task for ``ordered``: 7 kills the Dask worker running it, every time; so does the first 3."""
    marker = Path(os.environ["ORACLE_TEST_MARKER"])
    if task == 7 or (task == 3 and not marker.exists()):
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return task * task


@pytest.mark.slow
def test_a_lost_worker_s_task_reruns_and_a_task_that_kills_workers_is_named(tmp_path, monkeypatch):
    from dask import config

    from oracle.core.cluster import connect, ordered

    monkeypatch.setenv("ORACLE_TEST_MARKER", str(tmp_path / "killed"))  # the workers inherit it
    settings = {"distributed.scheduler.allowed-failures": 1}  # Dask gives up on a task after 2 deaths
    got = []
    with config.set(settings), connect("local:2", 2, "test") as client, pytest.raises(WorkerDied) as died:
        for result in ordered(client, kills_its_worker, range(8), window=4, describe="task {}".format):
            got.append(result)
    assert (tmp_path / "killed").exists()  # task 3's first run killed its worker: it ran again
    assert got == [t * t for t in range(7)]  # in order, nothing lost, nothing twice, up to task 7
    assert str(died.value) == "task 7 killed 4 Dask workers in turn (out of memory, or crashed them)"


def children(pid: int) -> list[int]:
    """Children of every thread of ``pid``: Dask's nannies start the workers from its event loop's thread."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def dask_workers(pid: int) -> list[int]:
    """The local cluster's worker processes: the command's children started by multiprocessing's spawn."""
    found = []
    for child in children(pid):
        try:
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(child)
        except OSError:
            continue
    return found


@pytest.mark.slow
def test_a_dask_worker_killed_mid_campaign_loses_nothing(tmp_path):
    options = ["--graphs", "64", "--inputs", "2", "--seed", "3", "--max-nodes", "6"]
    out = tmp_path / "run" / "divergence.csv"
    assert run(["report", *options, "--workers", "2", "--out", str(out)]) == 0
    workers = again(out.parent)
    command = [sys.executable, "-m", "oracle", "report", *options, "--cluster", "local:2", "--out", str(out)]
    process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while not (out.exists() and out.read_text().count("\n") > 2):  # some rows are written
            assert process.poll() is None and time.monotonic() < deadline, "no rows were written"
            time.sleep(0.05)
        victims = dask_workers(process.pid)
        assert len(victims) == 2
        os.kill(victims[0], signal.SIGKILL)
        _, err = process.communicate(timeout=300)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert not Path(f"/proc/{victims[0]}").exists() or victims[0] not in dask_workers(process.pid)
    assert outputs(out.parent) == workers


# --------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("local:0", "local:N takes N from 1 to"),
        ("local:two", "expected a whole number"),
        ("tcp://10.0.0.5", "expected local:N or a Dask scheduler's tcp://HOST:PORT"),
        ("http://10.0.0.5:8786", "expected local:N or a Dask scheduler's tcp://HOST:PORT"),
        ("tcp://host:99999", "expected local:N"),
    ],
)
def test_a_bad_cluster_address_is_one_line_and_exit_2(value, message, tmp_path, capsys):
    for command in (["report"], ["check", "--submissions", str(tmp_path)]):
        assert run([*command, "--cluster", value, "--out", str(tmp_path / "x.csv")]) == EXIT_BAD_INPUT
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "--cluster: " in err and message in err, err


def test_a_scheduler_that_does_not_answer_is_exit_2_before_any_work(tmp_path, capsys):
    out = tmp_path / "divergence.csv"
    address = "tcp://127.0.0.1:9"  # the discard port: nothing listens there
    assert run(["report", "--graphs", "2", "--cluster", address, "--out", str(out)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith(f"python -m oracle report: error: --cluster {address}: no Dask scheduler answered")
    assert not out.exists()
    class_out = tmp_path / "class.csv"
    folder = make_class(tmp_path)
    argv = ["check", "--submissions", str(folder), "--cluster", address, "--out", str(class_out)]
    assert run(argv) == EXIT_BAD_INPUT
    assert f"--cluster {address}: no Dask scheduler answered" in capsys.readouterr().err
    assert not class_out.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "--workers", "2", "--cluster", "local:2"], "not allowed with argument"),
        (["check", "alice.py", "--cluster", "local:2"], "--cluster: for many submissions"),
        (
            ["check", "--submissions", "{class}", "--no-isolate", "--cluster", "local:2"],
            "never runs in a Dask",
        ),
        (["check", "--merge", "a.csv", "--cluster", "local:2"], "--merge with --cluster"),
    ],
)
def test_cluster_options_that_do_not_go_together_are_one_line(argv, message, tmp_path, capsys):
    folder = make_class(tmp_path)
    (tmp_path / "alice.py").write_text((SAMPLES / "correct.py").read_text())
    argv = [a.replace("{class}", str(folder)) for a in argv] + ["--out", str(tmp_path / "o" / "x.csv")]
    monkey_cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert run(argv) == EXIT_BAD_INPUT
    finally:
        os.chdir(monkey_cwd)
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err, err


def test_without_distributed_the_cluster_option_names_the_extra(monkeypatch):
    from oracle.core.cluster import connect

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if it were not installed
    with pytest.raises(UserError, match=r"pip install 'backprop-oracle\[cluster\]'"):
        connect("local:2", 2, "test").__enter__()


def test_the_commands_import_distributed_only_with_the_cluster_option():
    modules = ["oracle.cli", "oracle.campaign.run", "oracle.course.check", "oracle.course.grading.classes"]
    code = f"import sys\nfor m in {modules!r}: __import__(m)\nprint('distributed' in sys.modules)"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    printed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert printed.stdout.strip() == "False"
