"""CMU 11-785 HW2P1 and HW3P1 layers: convolutions, pools, resampling, models and GRU cells."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from oracle.core.record import FORWARD_MISMATCH, MATCH, MISMATCH, UNCHECKED, Record
from oracle.course import check_module

SAMPLES = Path(__file__).parent / "course_samples" / "cmu11785"


def _check(path: Path | str) -> list[Record]:
    return check_module(SAMPLES / path if isinstance(path, str) else path, seeds=1, isolate=False)


def _statuses(records: list[Record]) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {}
    for r in records:
        out.setdefault(r.target, Counter())[r.status] += 1
    return out


def _failing(records: list[Record]) -> dict[tuple[str, str], str]:
    return {(r.target, r.input): r.detail for r in records if r.status == MISMATCH}


def test_convolutions_and_flatten_match() -> None:
    records = _check("conv.py")
    statuses = _statuses(records)
    assert set(statuses) == {
        "cmu.Conv1d_stride1", "cmu.Conv1d", "cmu.Conv2d_stride1", "cmu.Conv2d", "cmu.Flatten",
        "cmu.Downsample1d", "cmu.Downsample2d",
    }  # fmt: skip
    assert all(set(c) == {MATCH} for c in statuses.values()), statuses
    assert {r.input for r in records if r.target == "cmu.Conv2d"} == {"A", "W", "b"}
    assert {r.course for r in records} == {"cmu11785"}


def test_convolution_bugs_are_named() -> None:
    records = _check("conv_buggy.py")
    failing = _failing(records)
    assert set(failing) == {("cmu.Conv1d_stride1", "W"), ("cmu.Conv1d", "W"), ("cmu.Conv2d", "A")}
    assert "known bug: dLdW with the kernel flipped" in failing["cmu.Conv1d_stride1", "W"]
    assert "known bug: dLdW with the kernel flipped" in failing["cmu.Conv1d", "W"]
    assert "known bug: dLdA unpadded with [pad:-pad]" in failing["cmu.Conv2d", "A"]
    # at padding 1 the same slicing is right: only the padding-0 case fails
    assert sum(r.status == MATCH for r in records if (r.target, r.input) == ("cmu.Conv2d", "A")) == 1


def test_pools_and_resampling_match() -> None:
    statuses = _statuses(_check("pool.py"))
    assert set(statuses) == {
        f"cmu.{n}"
        for n in ("MaxPool2d_stride1", "MeanPool2d_stride1", "MaxPool2d", "MeanPool2d",
                  "Upsample1d", "Downsample1d", "Upsample2d", "Downsample2d")
    }  # fmt: skip
    assert all(set(c) == {MATCH} for c in statuses.values()), statuses


def test_downsample_that_forgets_the_input_width_is_named() -> None:
    records = _check("resampling_buggy.py")
    assert records and all(r.status == MISMATCH for r in records)
    assert all("known bug: backward rebuilt the input's width as W_out * k" in r.detail for r in records)


def test_gru_cell_matches_and_a_missing_path_is_named() -> None:
    records = _check("gru.py")
    assert len(records) == 14 * 2 and all(r.status == MATCH for r in records)
    assert not any(r.warning for r in records)
    failing = _failing(_check("gru_buggy.py"))
    assert set(failing) == {("cmu.GRUCell", "h_prev_t")}
    assert "known bug: dh_prev_t without the gate's direct path" in failing["cmu.GRUCell", "h_prev_t"]


def test_gru_cell_of_another_term_is_read_off_the_output_and_noted(tmp_path: Path) -> None:
    source = (SAMPLES / "gru.py").read_text()
    # r inside the product, as the Fall 2020 cell has it: forward and backward changed together
    inside = source.replace(
        "self.n = np.tanh(self.Wnx @ x + self.bnx + self.r * self.inner)",
        "self.n = np.tanh(self.Wnx @ x + self.bnx + self.Wnh @ (self.r * h_prev_t) + self.bnh)",
    )
    inside = inside.replace(
        "dr = dn * self.inner * self.r * (1 - self.r)", "dr = (self.Wnh.T @ dn) * h * self.r * (1 - self.r)"
    )
    inside = inside.replace("self.dWnh += np.outer(dn * self.r, h)", "self.dWnh += np.outer(dn, self.r * h)")
    inside = inside.replace("self.dbnh += dn * self.r", "self.dbnh += dn")
    inside = inside.replace("self.Wnh.T @ (dn * self.r)", "self.r * (self.Wnh.T @ dn)")
    assert inside.count("self.r * h_prev_t") == 1 and "self.r * self.inner" not in inside
    path = tmp_path / "gru_inside.py"
    path.write_text(inside)
    records = _check(path)
    assert records and all(r.status == MATCH for r in records), _statuses(records)
    assert all("r inside the product" in r.warning for r in records)


def test_fall_2020_gru_cell_takes_rows() -> None:
    records = _check("gru_2020.py")
    assert {r.input for r in records} == {"x", "h", "Wzh", "Wrh", "Wh", "Wzx", "Wrx", "Wx"}
    assert all(r.status == MATCH for r in records)
    assert all("(1, h)" in r.warning for r in records)


def test_hw1_models_are_built_and_a_skipped_layer_fails() -> None:
    statuses = _statuses(_check("mlp_models.py"))
    for model in ("cmu.MLP0", "cmu.MLP1", "cmu.MLP4"):
        assert set(statuses[model]) == {MATCH}, statuses
    buggy = [r for r in _check("mlp_models_buggy.py") if r.target.startswith("cmu.MLP")]
    # the first Linear never gets its backward: its gradients are the zeros it was built with or absent
    assert {r.input for r in buggy if r.status == MISMATCH} >= {"W0", "b0"}
    assert all(r.status == MATCH for r in buggy if r.target == "cmu.MLP4" and r.input == "W4")


def test_backward_without_upstream_is_a_local_derivative_and_noted() -> None:
    records = _check("activation_hw2.py")
    assert {r.target for r in records} == {"cmu.Sigmoid", "cmu.Tanh"}
    assert all(r.status == MATCH for r in records)
    assert all("backward() takes no dLdA and returns dA/dZ" in r.warning for r in records)


def test_a_layer_from_a_missing_star_import_is_unchecked_not_an_error() -> None:
    records = _check("scan_missing.py")
    assert len(records) == 1 and records[0].status == UNCHECKED
    assert "Conv1d" in records[0].detail and "mytorch_layers" in records[0].detail


def test_batchnorm_gradient_wrapped_in_a_list_is_named(tmp_path: Path) -> None:
    source = (SAMPLES / "mlp.py").read_text()
    right = "return (dNZ - dNZ.mean(axis=0) - self.NZ * (dNZ * self.NZ).mean(axis=0)) / s"
    assert right in source
    path = tmp_path / "batchnorm_list.py"
    path.write_text(source.replace(right, right.replace("/ s", "* [1 / s]")))
    failing = _failing(_check(path))
    assert set(failing) == {("cmu.BatchNorm1d", "Z")}
    assert "known bug: dLdZ of shape (1, N, D)" in failing["cmu.BatchNorm1d", "Z"]


def test_fall_2020_rnn_cell_beside_another_homeworks_activation_is_unchecked(tmp_path: Path) -> None:
    folder = SAMPLES / "rnn_2020"
    records = _check(folder / "rnn_cell.py")
    cell = [r for r in records if r.target == "cmu.RNN_Cell"]
    assert cell and all(r.status == MATCH for r in cell)
    # HW1's activation.py beside it: its Tanh.derivative() takes no state
    (tmp_path / "rnn_cell.py").write_text((folder / "rnn_cell.py").read_text())
    hw1 = (folder / "activation.py").read_text()
    hw1 = hw1.replace("def derivative(self, state=None):", "def derivative(self):").replace(
        "(self.state if state is None else state)", "self.state"
    )
    (tmp_path / "activation.py").write_text(hw1)
    cell = [r for r in _check(tmp_path / "rnn_cell.py") if r.target == "cmu.RNN_Cell"]
    assert len(cell) == 1 and cell[0].status == UNCHECKED
    assert "derivative(state=...)" in cell[0].detail


def test_a_name_from_a_failed_import_is_not_a_target_and_a_missing_bias_is_named() -> None:
    records = _check("conv_early.py")
    statuses = _statuses(records)
    assert set(statuses) == {"cmu.Conv2d_stride1", "cmu.Conv2d"}  # Downsample2d was only imported
    stride1 = [r for r in records if r.target == "cmu.Conv2d_stride1"]
    assert stride1 and all(r.status == FORWARD_MISMATCH for r in stride1)
    assert all("known bug: the bias b never added in the forward" in r.detail for r in stride1)
    # built with Downsample2d, which the file could not import: nothing of it can be judged
    (conv2d,) = [r for r in records if r.target == "cmu.Conv2d"]
    assert conv2d.status == UNCHECKED


def test_gru_cell_of_the_term_with_other_bias_names_and_row_gradients(tmp_path: Path) -> None:
    source = (SAMPLES / "gru.py").read_text()
    for old, new in (
        ("brx", "bir"),
        ("bzx", "biz"),
        ("bnx", "bin"),
        ("brh", "bhr"),
        ("bzh", "bhz"),
        ("bnh", "bhn"),
    ):
        source = source.replace(old, new)
    source = source.replace("return dx, dh_prev_t", "return dx.reshape(1, -1), dh_prev_t.reshape(1, -1)")
    assert "self.dbhn" in source and "brx" not in source
    path = tmp_path / "gru_cell.py"
    path.write_text(source)
    records = _check(path)
    assert len(records) == 28 and all(r.status == MATCH for r in records), _statuses(records)
    assert all("returned as (1, d) and (1, h)" in r.warning for r in records)
