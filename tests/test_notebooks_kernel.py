"""``from oracle import check`` in a real Jupyter kernel (nbclient + ipykernel), as the README shows it.

The README's Colab cell runs in a kernel after cells a student would have written, its
``!pip install`` line left out (the checker under test is this checkout, on the kernel's
import path; the install would fetch another copy from the network). The statuses the HTML
table shows must be the result's rows, and the kernel must come out as it went in: JAX's x64
mode, numpy's random state, print options and error settings, the warning filters.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from oracle.core.record import FAILING

ROOT = Path(__file__).parent.parent

STUDENT = """
import numpy as np
import jax
import warnings

def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    return out, (x, w, b)

def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = 2 * np.sum(dout, axis=0)   # a bug
    return dx, dw, db

def relu_forward(x):
    return np.maximum(0, x), x

def relu_backward(dout, cache):
    return dout * (cache > 0)

def svm_loss(x, y):
    N = x.shape[0]
    margins = np.maximum(0, x - x[np.arange(N), y][:, None] + 1.0)
    margins[np.arange(N), y] = 0
    dx = (margins > 0).astype(float)
    dx[np.arange(N), y] -= dx.sum(axis=1)
    return margins.sum() / N, dx / N

def hangs_forward(x):
    return 2 * x, None

def hangs_backward(dout, cache):
    spins = 0
    while True:
        spins += 1
"""

BEFORE = """
np.random.seed(7)
np.set_printoptions(precision=3)
warnings.simplefilter("error", DeprecationWarning)
old_err = np.seterr(over="raise")
def state():
    return {
        "x64": bool(jax.config.jax_enable_x64),
        "random": np.random.get_state()[1][:8].tolist() + [int(np.random.get_state()[2])],
        "print": np.get_printoptions()["precision"],
        "warnings": [str(f) for f in warnings.filters[:5]] + [len(warnings.filters)],
        "err": np.geterr(),
    }
before = state()
"""

AFTER = """
import json
result = _
after = state()
rows = result.to_pandas()[["target", "status", "detail", "replay"]].to_dict("records")
try:
    check(42)
    wrong = ""
except TypeError as exc:
    wrong = str(exc)
timed = check(hangs_backward, seeds=1, timeout=1).to_pandas()[["status", "detail"]].to_dict("records")
print(json.dumps({"before": before, "after": after, "rows": rows, "wrong": wrong, "timed": timed,
                  "x64_now": bool(jax.config.jax_enable_x64)}))
"""


def readme_cell() -> str:
    text = (ROOT / "README.md").read_text()
    cells = re.findall(r"```python\n(!pip install[^\n]*\n.*?)```", text, flags=re.S)
    assert len(cells) == 1, "the README shows one Colab cell"
    lines = cells[0].splitlines()
    assert lines[0].startswith('!pip install --quiet "backprop-oracle @ git+https://')
    assert "from oracle import check" in lines
    return "\n".join(lines[1:])


@pytest.mark.slow
def test_the_readme_cell_in_a_real_kernel_shows_the_results_rows(tmp_path: Path) -> None:
    cell = readme_cell().replace("check(affine_backward)", "check(globals(), seeds=1)")
    assert "check(globals(), seeds=1)" in cell
    notebook = new_notebook(
        cells=[new_code_cell(STUDENT), new_code_cell(BEFORE), new_code_cell(cell), new_code_cell(AFTER)]
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    resources = {"metadata": {"path": str(tmp_path)}}
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", resources=resources)
    client.execute(env=env)  # the kernel imports this checkout
    shown = notebook.cells[2].outputs
    html = next(o["data"]["text/html"] for o in shown if "text/html" in o.get("data", {}))
    printed = json.loads(next(o["text"] for o in notebook.cells[3].outputs if o.get("name") == "stdout"))

    displayed = dict(re.findall(r'<tr data-target="([^"]+)" data-status="([^"]+)">', html))
    by_target: dict[str, set[str]] = {}
    for row in printed["rows"]:
        by_target.setdefault(row["target"], set()).add(row["status"])
    assert set(displayed) == set(by_target) == {"affine", "relu", "svm_loss", "hangs"}
    for target, status in displayed.items():
        assert status in by_target[target]  # the line shows one of its own rows
        assert (status in FAILING) == bool(by_target[target] & FAILING)  # failing exactly when a row fails
    assert displayed["affine"] in FAILING and displayed["relu"] not in FAILING  # not vacuous
    assert any("known bug" in row["detail"] or "2 times" in row["detail"] for row in printed["rows"])
    assert all(row["replay"].startswith("check(globals(), seed=") for row in printed["rows"])

    assert printed["after"] == printed["before"] and printed["x64_now"] is False  # no trace left
    assert printed["wrong"].startswith("check() takes a function, a class, a module or globals(), not a int")
    assert [row["status"] for row in printed["timed"]] == ["timeout"]
