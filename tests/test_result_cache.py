"""The on-disk cache of JAX's answers (oracle.course.judging.result_cache): same bytes, never trusted blindly.

A warm check must write the same CSV as a cold one and compute no reference; an entry that
does not verify is ignored and rewritten; ``off`` turns it off; writers racing on one
folder leave whole entries; a confined submission can neither read nor plant entries.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from oracle.cli import main
from oracle.course.isolation import confine
from oracle.course.judging import cases, result_cache
from oracle.course.judging.result_cache import ResultCache

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "course_samples"
TARGETS = ("--target", "affine,batchnorm,max_pool_naive,dropout", "--seeds", "1", "--no-isolate")


def layers(folder: Path) -> Path:
    """A student's file with affine and three vision layers (dropout's mask read off its numbers)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "layers.py"
    path.write_text(
        (SAMPLES / "vision_correct.py").read_text() + "\n\n" + (SAMPLES / "correct.py").read_text()
    )
    return path


def check(path: Path, out: Path, monkeypatch: pytest.MonkeyPatch, cache: str) -> bytes:
    monkeypatch.setenv("BACKPROP_ORACLE_JAX_CACHE", cache)
    assert main(["check", str(path), "--out", str(out), *TARGETS]) == 0
    assert result_cache.active() is None  # the check turns it off when it ends
    return out.read_bytes()


def entries(folder: Path) -> list[Path]:
    return sorted((folder / "references").glob("*.entry"))


def test_a_warm_check_writes_the_cold_checks_bytes_and_computes_no_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, cache = layers(tmp_path / "student"), tmp_path / "cache"
    off = check(path, tmp_path / "off.csv", monkeypatch, "off")
    cold = check(path, tmp_path / "cold.csv", monkeypatch, str(cache))
    assert cold == off
    stored = entries(cache)
    assert len(stored) > 4  # answers and output shapes

    computed: list[str] = []
    run_jax, trace = cases._run_jax, cases._trace
    monkeypatch.setattr(cases, "_run_jax", lambda ref, *a: computed.append(ref.name) or run_jax(ref, *a))
    monkeypatch.setattr(cases, "_trace", lambda *a: computed.append("a shape") or trace(*a))
    cases._traced.cache_clear()  # what this process traced for the cold check is forgotten
    warm = check(path, tmp_path / "warm.csv", monkeypatch, str(cache))
    assert warm == off
    assert computed == []  # dropout's reference too: the student's mask is part of its key
    assert entries(cache) == stored


def test_a_damaged_or_edited_entry_is_ignored_and_rewritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, cache = layers(tmp_path / "student"), tmp_path / "cache"
    cold = check(path, tmp_path / "cold.csv", monkeypatch, str(cache))
    stored = entries(cache)
    good = {p: p.read_bytes() for p in stored}
    truncated, edited, swapped, garbage = stored[:4]
    truncated.write_bytes(good[truncated][:-3])
    data = bytearray(good[edited])
    data[-1] ^= 1  # one bit of an array, its digest kept
    edited.write_bytes(bytes(data))
    swapped.write_bytes(good[stored[4]])  # another key's whole entry
    garbage.write_bytes(b"\0" * 100)
    for p in (truncated, edited, swapped, garbage):
        assert result_cache.decode(p.read_bytes(), p.stem) is None
    assert check(path, tmp_path / "again.csv", monkeypatch, str(cache)) == cold
    assert {p: p.read_bytes() for p in entries(cache)} == good  # each rewritten as it was


def test_off_turns_it_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKPROP_ORACLE_JAX_CACHE", "off")
    assert result_cache.folder() is None
    assert result_cache.enable() == "off (BACKPROP_ORACLE_JAX_CACHE=off)"
    assert result_cache.active() is None
    monkeypatch.setenv("BACKPROP_ORACLE_JAX_CACHE", str(tmp_path / "jax"))
    assert result_cache.enable([str(tmp_path)]).startswith("off: ")  # a worker may read tmp_path
    assert result_cache.active() is None
    assert result_cache.enable([str(tmp_path / "elsewhere")]) == str(tmp_path / "jax" / "references")
    result_cache.disable()


def test_an_entry_holds_exactly_what_was_put_and_refuses_objects(tmp_path: Path) -> None:
    store = ResultCache(tmp_path)
    arrays = {
        "out": np.arange(6, dtype=np.float32).reshape(2, 3),
        "grad:x": np.array(-0.0),
        "extra:mask": np.array([True, False]),
    }
    store.put("k", arrays)
    found = store.get("k")
    assert found is not None and list(found) == list(arrays)
    for name, value in arrays.items():
        assert found[name].dtype == value.dtype and found[name].tobytes() == value.tobytes()
        assert found[name].shape == value.shape and found[name].flags.writeable
    assert store.get("other") is None
    store.put("objects", {"out": np.array([object()])})
    assert store.get("objects") is None and not store.path("objects").exists()


WRITER = """
import importlib.util, sys
import numpy as np
spec = importlib.util.spec_from_file_location("result_cache", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
store, worker = module.ResultCache(module.Path(sys.argv[2])), int(sys.argv[3])
for i in range(60):
    key = f"shared{i % 5}" if i % 2 else f"own{worker}-{i}"
    store.put(key, {"out": np.full(2000, i % 5 if i % 2 else worker, dtype=np.float64)})
"""


def test_concurrent_writers_leave_only_whole_entries(tmp_path: Path) -> None:
    source = str(Path(result_cache.__file__))
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, source, str(tmp_path), str(w)]) for w in range(4)
    ]  # four processes, each its own entries and the same five as the others, all at once
    assert [w.wait(120) for w in writers] == [0, 0, 0, 0]
    names = sorted(p.name for p in tmp_path.iterdir())
    assert not [n for n in names if not n.endswith(".entry")]  # no temporary file left
    assert len(names) == 5 + 4 * 30
    store = ResultCache(tmp_path)
    for i in range(5):
        found = store.get(f"shared{i}")
        assert found is not None and np.all(found["out"] == i)


def store_size(path: Path) -> int:
    return path.stat().st_size


def test_the_bound_removes_the_oldest_entries(tmp_path: Path) -> None:
    ResultCache(tmp_path).put("k00", {"out": np.zeros(1000)})
    store = ResultCache(tmp_path, bound=10 * store_size(tmp_path / "k00.entry"))
    for i in range(20):
        ResultCache(tmp_path, bound=1 << 30).put(f"k{i:02d}", {"out": np.zeros(1000)})
        os.utime(store.path(f"k{i:02d}"), (i, i))
    store.trim()
    kept = sorted(p.stem for p in tmp_path.iterdir())
    assert kept == [f"k{i:02d}" for i in range(15, 20)]  # down to half of the bound, newest kept


@pytest.mark.skipif(not confine.probe().landlock, reason="no Landlock in this kernel")
def test_a_confined_submission_can_neither_read_nor_plant_entries(tmp_path: Path) -> None:
    cache, student, out = tmp_path / "cache", tmp_path / "student", tmp_path / "out"
    student.mkdir()
    out.mkdir()
    (student / "layers.py").write_text((SAMPLES / "hostile" / "reads_reference_cache.py").read_text())
    env = dict(os.environ, PYTHONPATH=str(ROOT), BACKPROP_ORACLE_JAX_CACHE=str(cache))
    argv = [sys.executable, "-m", "oracle", "check", str(student / "layers.py"), "--seeds", "1"]

    def run(name: str, *options: str) -> int:
        done = subprocess.run(
            [*argv, "--out", str(out / f"{name}.csv"), *options],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        return done.returncode

    assert run("first") == 1  # relu_backward without its mask: there was nothing to read yet
    assert entries(cache) and not (cache / "references" / "planted.entry").exists()
    assert run("second") == 1  # the first check's entries are there: the worker cannot read them
    assert not (cache / "references" / "planted.entry").exists()
    # unconfined, the same submission reads JAX's answers and passes: what --confine off leaves open
    assert run("unconfined", "--confine", "off") == 0
    assert (cache / "references" / "planted.entry").exists()


def test_a_key_tells_apart_every_variant_and_refuses_what_it_cannot_hold() -> None:
    def key(settings: dict[str, object], *arrays: object) -> str | None:
        return result_cache.key("result", "dropout", np.add, settings, arrays)

    x = np.ones((2, 2))
    keys = [
        key({"p": 0.3}, x),
        key({"p": 0.8}, x),  # another convention
        key({"p": 0.3, "mask": np.array([1.0, 0.0])}, x),
        key({"p": 0.3, "mask": np.array([0.0, 1.0])}, x),  # another student's mask
        key({"p": 0.3, "mask": None}, x),
        key({"p": 0.3}, x.astype(np.float32)),
        key({"p": 0.3}, np.ones(1)),
        key({"p": 0.3}, np.array(1.0)),  # 0-d and (1,) are not the same input
        key({"p": 0.3}, x, None),
    ]
    assert None not in keys and len(set(keys)) == len(keys)
    assert key({"p": 0.3}, x) == keys[0]
    assert key({"p": object()}, x) is None  # computed live
    assert key({"p": np.array([object()])}, x) is None
