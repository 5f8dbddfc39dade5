"""Folders without ``__init__.py`` import as Python 3 imports them in the notebooks: namespace packages.

Samples: ``course_samples/assignment2/`` copied without ``cs231n/classifiers/__init__.py`` is
the assignment 2 layout since 2023 (``fc_net.py`` imports ``..layers``); a homework folder with
a ``mytorch/`` package of no ``__init__.py`` files at all is written per test.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

from oracle.cli import main

SAMPLES = Path(__file__).parent / "course_samples"

ACTIVATION = """
import numpy as np


class ReLU:
    def forward(self, Z):
        self.A = np.maximum(Z, 0)
        return self.A

    def backward(self, dLdA):
        return dLdA * (self.A > 0)
"""
MLP = """
from mytorch.nn.activation import ReLU


def relu_forward(x):
    return ReLU().forward(x), x


def relu_backward(dout, cache):
    layer = ReLU()
    layer.forward(cache)
    return layer.backward(dout)
"""


def check(out: Path, path: Path, *options: str) -> tuple[int, pd.DataFrame]:
    code = main(["check", str(path), "--out", str(out), *options])
    frame = pd.read_csv(out, dtype={"input": str, "detail": str, "warning": str})
    return code, frame.fillna({"detail": "", "warning": ""})


@pytest.mark.parametrize("isolate", [True, False], ids=["isolated", "in-process"])
def test_a_classifier_folder_without_init_imports_its_parent_package(tmp_path: Path, isolate: bool) -> None:
    a2 = tmp_path / "assignment2"
    shutil.copytree(SAMPLES / "assignment2", a2)
    (a2 / "cs231n" / "classifiers" / "__init__.py").unlink()  # the layout since 2023
    options = ["--target", "TwoLayerNet"] + ([] if isolate else ["--no-isolate"])
    code, frame = check(tmp_path / "n.csv", a2 / "cs231n" / "classifiers" / "fc_net.py", *options)
    assert code == 0 and set(frame.status) == {"match"} and set(frame.target) == {"TwoLayerNet"}


@pytest.mark.parametrize("isolate", [True, False], ids=["isolated", "in-process"])
def test_a_package_of_no_init_files_at_all_is_a_namespace_package(tmp_path: Path, isolate: bool) -> None:
    options = [] if isolate else ["--no-isolate"]
    (tmp_path / "hw1" / "mytorch" / "nn").mkdir(parents=True)
    (tmp_path / "hw1" / "mytorch" / "nn" / "activation.py").write_text(ACTIVATION)
    (tmp_path / "hw1" / "mlp.py").write_text(MLP)
    before = set(sys.modules)
    code, frame = check(tmp_path / "m.csv", tmp_path / "hw1" / "mlp.py", *options)
    # the file imports mytorch, CMU 11-785's package: it is judged as that course's, its pair by fd
    assert code == 0 and set(frame.course) == {"cmu11785"}
    assert set(frame[frame.target == "relu"].status) == {"match"}
    assert not [m for m in set(sys.modules) - before if m.split(".")[0] == "mytorch"]
    # the same folder name in another homework is another package: its own (wrong) ReLU is judged
    (tmp_path / "hw2" / "mytorch" / "nn").mkdir(parents=True)
    doubled = ACTIVATION.replace("return dLdA *", "return 2 * dLdA *")
    (tmp_path / "hw2" / "mytorch" / "nn" / "activation.py").write_text(doubled)
    (tmp_path / "hw2" / "mlp.py").write_text(MLP)
    code, frame = check(tmp_path / "m2.csv", tmp_path / "hw2" / "mlp.py", *options)
    assert code == 1 and "mismatch" in set(frame[frame.target == "relu"].status)


def test_an_import_named_after_a_system_folder_never_makes_the_disk_readable(tmp_path: Path) -> None:
    from oracle.course.loading.importing import holder, reading_roots

    work = tmp_path / "hw" / "layers.py"
    work.parent.mkdir()
    (tmp_path / "cs231n").mkdir()
    work.write_text("import usr\nimport tmp\nimport root\nimport home\nimport cs231n\n")
    roots = reading_roots(work)
    assert Path("/") not in roots and all(Path.home().resolve() not in [r, *r.parents][:1] for r in roots)
    assert tmp_path.resolve() in roots  # the folder that holds the assignment's own package still counts
    assert holder(work.parent, "usr") is None and holder(work.parent, "cs231n") == tmp_path.resolve()


RELU_LAYER = """
import numpy as np


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return dout * (cache > 0)
"""
NEEDS_A_LIBRARY = """
import tensorkit_not_installed as tk


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = tk.tanh(x @ Wx + prev_h @ Wh + b)
    return next_h, None
"""


def test_a_package_file_needing_a_library_not_installed_is_unchecked_not_failed(tmp_path: Path) -> None:
    package = tmp_path / "assignment2" / "cs231n"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "layers.py").write_text(RELU_LAYER)
    # the PyTorch half of an assignment: nothing hand-derived, and a library this Python lacks
    (package / "rnn_layers_pytorch.py").write_text(NEEDS_A_LIBRARY)
    (package / "broken.py").write_text("from .layers import relu_forward\nundefined_name + 1\n")
    code, frame = check(tmp_path / "c.csv", tmp_path / "assignment2")
    by_file = {f: set(rows.status) for f, rows in frame.groupby("file")}
    assert by_file["cs231n/rnn_layers_pytorch.py"] == {"unchecked"}
    assert "tensorkit_not_installed" in frame[frame.file == "cs231n/rnn_layers_pytorch.py"].detail.iloc[0]
    assert by_file["cs231n/broken.py"] == {"error"}  # any other failure to import still fails
    assert by_file["cs231n/layers.py"] == {"match"}
    assert code == 1
