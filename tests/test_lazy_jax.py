"""JAX off the warm path (oracle.core.lazy_jax, oracle.core.jax_hook): a check whose references all
come from the cache of JAX's answers imports no JAX, in the checker, the zygote or the worker.

Each check runs in a process of its own (``PROBE``), which reports the JAX modules in its own
``sys.modules`` and, for the zygote and the worker, whether JAX's native library is mapped into
them (``/proc/PID/maps``, read just before the worker is ended): the worker sets JAX's modules
aside from ``sys.modules`` while the submission runs, its mapped libraries it cannot hide.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "course_samples"
TARGETS = ["--target", "affine,relu,batchnorm,dropout", "--seeds", "1"]

PROBE = """
import json, sys
from oracle.course.isolation import sandbox

seen = {"worker": [], "zygote": []}

def jaxlib_mapped(pid):
    try:
        with open(f"/proc/{pid}/maps") as handle:
            return "jaxlib" in handle.read()
    except OSError:
        return None

end = sandbox.Zygote.end

def ending(self, pid, kill):
    seen["worker"].append(jaxlib_mapped(pid))
    seen["zygote"].append(jaxlib_mapped(self.process.pid))
    return end(self, pid, kill)

sandbox.Zygote.end = ending
from oracle.cli import main
code = main(sys.argv[1:])
jax = sorted(m for m in sys.modules if m.partition(".")[0] in ("jax", "jaxlib"))
others = sorted(m for m in ("hypothesis", "oracle.strategies") if m in sys.modules)
print(json.dumps({"code": code, "checker": jax, "others": others, **seen}))
"""


def probe(args: list[str], cache: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BACKPROP_ORACLE_JAX_CACHE": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["code"] == 0, done.stderr[-2000:]
    return found


def layers(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "layers.py"
    path.write_text(
        (SAMPLES / "vision_correct.py").read_text() + "\n\n" + (SAMPLES / "correct.py").read_text()
    )
    return path


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/PID/maps, which only Linux has")
def test_a_warm_isolated_check_imports_no_jax_in_the_checker_the_zygote_or_the_worker(tmp_path: Path) -> None:
    path, cache = layers(tmp_path / "student"), tmp_path / "cache"
    cold = probe(["check", str(path), "--out", str(tmp_path / "cold.csv"), *TARGETS], cache)
    assert "jax" in cold["checker"]  # the probe sees JAX where it is: an empty cache needs it
    warm = probe(["check", str(path), "--out", str(tmp_path / "warm.csv"), *TARGETS], cache)
    assert warm["checker"] == []
    assert warm["others"] == []  # nor Hypothesis, which only an engine's check uses
    assert warm["worker"] and warm["zygote"]  # a worker was ended, and both were read
    assert warm["worker"] == [False] * len(warm["worker"])
    assert warm["zygote"] == [False] * len(warm["zygote"])
    assert (tmp_path / "warm.csv").read_bytes() == (tmp_path / "cold.csv").read_bytes()


def test_in_process_jax_is_imported_before_the_submission_even_with_every_answer_cached(
    tmp_path: Path,
) -> None:
    """With --no-isolate the submission runs in the checker: a file that patches numpy at import
    (``hostile/patch_numpy.py``) must not break JAX's own import, which then would come after it."""
    hostile, cache = SAMPLES / "hostile" / "patch_numpy.py", tmp_path / "cache"
    options = ["--no-isolate", "--seeds", "1"]
    found = probe(["check", str(hostile), "--out", str(tmp_path / "c.csv"), *options], cache)
    assert "jax" in found["checker"]
    rows = (tmp_path / "c.csv").read_text().splitlines()
    assert len(rows) > 1 and not [r for r in rows if ",error," in r]  # JAX computed every answer


def run(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BACKPROP_ORACLE_JAX_CACHE": "off"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_importing_every_course_and_the_ops_imports_no_jax() -> None:
    """A course module that imports JAX, or calls it at import, puts JAX back on every check's path."""
    found = run(
        "import sys, oracle.course, oracle.course.registry, oracle.core.jax_graph, oracle.ops\n"
        "assert oracle.course.registry.COURSES\n"
        "print(sorted(m for m in sys.modules if m.partition('.')[0] in ('jax', 'jaxlib')))"
    )
    assert found == "[]"


def test_a_name_taken_before_jax_is_imported_is_jaxs_own_function_with_oracles_settings() -> None:
    found = run(
        "import sys, numpy as np\n"
        "import oracle\n"
        "from oracle.core.lazy_jax import Lazy, dotted_name, jax, jnp\n"
        "tanh, relu, f64 = jnp.tanh, jax.nn.relu, jnp.float64\n"
        "print(isinstance(tanh, Lazy), isinstance(relu, Lazy), 'jax' in sys.modules, dotted_name(relu))\n"
        "x = jnp.asarray([-0.5, 0.25], f64)\n"  # a Lazy argument is resolved before the call
        "print('jax' in sys.modules, x.dtype, jax.config.jax_enable_x64)\n"
        "import jax as real\n"
        "print(jnp.tanh is real.numpy.tanh, tanh.resolve() is real.numpy.tanh, dotted_name(relu))\n"
        "same = (np.asarray(tanh(x)) == np.asarray(real.numpy.tanh(x))).all()\n"
        "print(bool(same), np.asarray(relu(x)).tolist())"
    )
    assert found.splitlines() == [
        "True True False jax.nn.relu",
        "True float64 True",  # imported on the call, in 64-bit mode (oracle's hook)
        "True True jax.nn.relu",  # after the import, the real thing; a Lazy keeps its name
        "True [0.0, 0.25]",
    ]


def test_a_jax_function_made_at_import_is_made_on_its_first_call() -> None:
    found = run(
        "import sys\n"
        "import oracle.course.registry\n"  # the courses, in the order the registry imports them
        "from oracle.courses.cs231n.sequence_jax import with_derivative\n"
        "from oracle.core.lazy_jax import jax, jnp\n"
        "g = with_derivative(jnp.tanh, lambda a: 2 * a)\n"
        "print('jax' in sys.modules)\n"
        "print(float(jax.grad(g)(0.5)), float(g(0.5)) == float(jnp.tanh(0.5)))"
    )
    assert found.splitlines() == ["False", "1.0 True"]  # the slope the bug model gave, tanh's values
