"""Nielsen's network.py and network2.py: backprop for one example, the costs' deltas.

Samples in ``course_samples/nielsen/``: ``network.py`` (quadratic cost), ``network2.py``
(cross-entropy, its cost classes), a port that returns weights first (a convention), one
that returns them first while its own caller unpacks biases first (a bug), sigmoid_prime of
the activation, a cross-entropy delta that keeps sigmoid', the unfinished exercise, and a
Python 2 original (one line, exit 2).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from oracle import course
from oracle.cli import main
from oracle.core.record import ERROR, MATCH, MISMATCH, Record

SAMPLES = Path(__file__).parent / "course_samples" / "nielsen"


def check(name: str, seeds: int = 1) -> list[Record]:
    return course.check_module(SAMPLES / name, seeds=seeds, isolate=False)


def test_network_py_matches_with_the_quadratic_cost() -> None:
    records = check("network.py", seeds=2)
    assert {r.target for r in records} == {"nielsen.Network"}
    assert {r.course for r in records} == {"nielsen"}
    assert {r.status for r in records} == {MATCH}
    assert [r.input for r in records[:6]] == ["b1", "b2", "b3", "w1", "w2", "w3"]
    assert not any(r.warning for r in records)


def test_network2_py_and_its_costs_match_with_the_cross_entropy_noted() -> None:
    records = check("network2.py")
    assert {r.target for r in records} == {
        "nielsen.Network",
        "nielsen.QuadraticCost",
        "nielsen.CrossEntropyCost",
    }
    assert {r.status for r in records} == {MATCH}
    network = [r for r in records if r.target == "nielsen.Network"]
    assert all("the cross-entropy cost (network2.py's)" in r.warning for r in network)


def test_weights_first_is_a_convention_when_the_class_unpacks_it_so() -> None:
    records = check("weights_first.py")
    assert {r.status for r in records} == {MATCH}
    assert all("weights first" in r.warning for r in records)


def test_weights_first_returned_to_a_caller_that_unpacks_biases_first_is_a_bug() -> None:
    records = check("swapped_return.py")
    assert {r.status for r in records} == {MISMATCH}
    assert all("the class's own caller unpacks the biases' gradients first" in r.detail for r in records)


@pytest.mark.parametrize(
    ("sample", "target", "bug"),
    [
        ("prime_of_activation.py", "nielsen.Network", "sigmoid_prime taken of the activation a, not of z"),
        (
            "cost_keeps_prime.py",
            "nielsen.Network",
            "the output delta keeps sigmoid_prime(z) with the cross-entropy",
        ),
        ("cost_keeps_prime.py", "nielsen.CrossEntropyCost", "the delta keeps sigmoid'(z)"),
    ],
)
def test_each_classic_bug_is_caught_and_named(sample: str, target: str, bug: str) -> None:
    rows = [r for r in check(sample) if r.target == target]
    assert rows and {r.status for r in rows} == {MISMATCH}
    assert all(bug in r.detail for r in rows)


def test_the_unfinished_backprop_is_one_row() -> None:
    records = check("unfinished.py")
    assert [(r.target, r.status) for r in records] == [("nielsen.Network", ERROR)]
    assert records[0].detail.startswith("not implemented")


def test_the_python_2_original_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "network.py"
    source.write_text((SAMPLES / "python2_network.txt").read_text())
    code = main(["check", str(source), "--out", str(tmp_path / "c.csv")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "SyntaxError" in err and "Python 2 code" in err


def test_a_network_that_needs_more_than_its_sizes_is_unchecked(tmp_path: Path) -> None:
    source = (
        (SAMPLES / "network.py")
        .read_text()
        .replace("def __init__(self, sizes):", "def __init__(self, sizes, mode):")
    )
    (tmp_path / "modes.py").write_text(source)
    records = course.check_module(tmp_path / "modes.py", seeds=1, isolate=False)
    assert {r.status for r in records} == {"unchecked"}
    assert "mode" in records[0].detail


def test_the_readme_examples_of_both_courses_run(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    commands = [
        line.split()[4:]
        for line in readme.splitlines()
        if line.startswith("python -m oracle check tests/course_samples/")
        and ("/dlai/" in line or "/nielsen/" in line)
    ]
    assert len(commands) == 2
    root = Path(__file__).parents[1]
    for k, argv in enumerate(commands):
        argv[0] = str(root / argv[0])
        assert main(["check", *argv, "--out", str(tmp_path / f"{k}.csv")]) == 0
