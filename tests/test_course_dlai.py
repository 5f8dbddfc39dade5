"""deeplearning.ai, course 1: the step-by-step network's functions, exported from a notebook.

Samples in ``course_samples/dlai/c1/``: ``step_by_step.py`` (finished, with the notebook's
test calls and helper imports that are not there), one file per classic bug, the summed
convention (no 1/m in dW and db: consistent, so a note, not a failure) and the template.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from oracle import course
from oracle.core.record import ERROR, MATCH, MISMATCH, UNCHECKED, Record

C1 = Path(__file__).parent / "course_samples" / "dlai" / "c1"
TARGETS = {"dlai.linear", "dlai.linear_activation_relu", "dlai.linear_activation_sigmoid", "dlai.L_model"}


def check(name: str, seeds: int = 1) -> list[Record]:
    return course.check_module(C1 / name, seeds=seeds, isolate=False)


def failing(records: list[Record]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for r in records:
        if r.status != MATCH:
            found.setdefault(r.target, set()).add(r.input)
    return found


def test_the_finished_notebook_export_matches_everywhere() -> None:
    records = check("step_by_step.py", seeds=2)
    assert {r.target for r in records} == TARGETS
    assert {r.status for r in records} == {MATCH}
    assert {r.course for r in records} == {"dlai"}
    # the file's test cells and missing helpers are noted once on each row, not failed
    assert all("its file was run without" in r.warning and "testCases" in r.warning for r in records)
    assert not any("convention" in r.warning for r in records)  # the course's own 1/m


@pytest.mark.parametrize(
    ("sample", "bug", "rows"),
    [
        ("bug_db_keepdims.py", "db summed without keepdims=True", {"b", "b1", "b2", "b3"}),
        ("bug_da_over_m.py", "dA_prev carries 1/m too", {"A", "X", "W1", "b1", "W2", "b2"}),
        ("bug_last_relu.py", "the last layer's dZ taken with relu_backward", set(course.REFERENCES)),
    ],
)
def test_each_classic_bug_is_caught_and_named(sample: str, bug: str, rows: set[str]) -> None:
    records = check(sample)
    bad = [r for r in records if r.status != MATCH]
    assert bad and {r.status for r in bad} == {MISMATCH}
    assert all(bug in r.detail for r in bad if r.input in rows)
    named = [r for r in bad if bug in r.detail]
    assert len(named) >= len(bad) - 1  # every failing row names it (one row may change too little)


def test_the_fd_detail_says_the_course_s_1_over_m_rather_than_agreeing_with_neither() -> None:
    """JAX's dW carries 1/m while the loss fd differentiates is the summed one (m = 5 examples)."""
    records = [r for r in check("bug_da_over_m.py") if r.target == "dlai.L_model" and r.input == "W1"]
    assert records and all(r.status == MISMATCH for r in records)
    for r in records:
        assert "agrees with neither" not in r.detail
        assert "is the summed loss's gradient: divided by 5 (the 1/m" in r.detail
        assert abs(r.fd_value / 5 - r.jax_value) <= 1e-5 * max(1.0, abs(r.jax_value))


def test_the_last_relu_fails_only_the_network() -> None:
    assert set(failing(check("bug_last_relu.py"))) == {"dlai.L_model"}


def test_dw_without_one_over_m_is_a_convention_noted_on_the_row() -> None:
    records = check("summed_convention.py")
    assert {r.status for r in records} == {MATCH}
    assert all("dW and db without the course's 1/m" in r.warning for r in records)


def test_the_template_is_not_implemented_once() -> None:
    records = check("template.py")
    assert [(r.target, r.status) for r in records] == [("dlai.linear", ERROR)]
    assert records[0].detail.startswith("not implemented")


# The course's own helper modules have stand-ins (tests/test_dlai_stand_ins.py): a helper module
# that has none stands for any the folder lacks (the application notebook's dnn_app_utils_v3).
WITHOUT_STAND_IN = ("from dnn_utils import", "from dnn_app_utils_v3 import")


def test_a_helper_that_is_not_there_is_unchecked_not_failed(tmp_path: Path) -> None:
    source = (C1 / "step_by_step.py").read_text()
    assert WITHOUT_STAND_IN[0] in source
    (tmp_path / "alone.py").write_text(source.replace(*WITHOUT_STAND_IN))  # no such module beside it
    records = course.check_module(tmp_path / "alone.py", seeds=1, isolate=False)
    by_target = {r.target: r for r in records}
    assert {r.status for r in records if r.target == "dlai.linear"} == {MATCH}  # needs no helper
    for target in ("dlai.linear_activation_relu", "dlai.L_model"):
        assert by_target[target].status == UNCHECKED
        assert "from dnn_app_utils_v3, which could not be imported" in by_target[target].detail


def test_a_notebook_without_its_helper_module_is_unchecked_where_it_needs_it(tmp_path: Path) -> None:
    """The same as a notebook (the module not beside it): the same statuses as the .py file."""
    from notebook_helpers import as_notebook

    (tmp_path / "step.py").write_text((C1 / "step_by_step.py").read_text().replace(*WITHOUT_STAND_IN))
    notebook = as_notebook(tmp_path / "step.py", tmp_path / "step_by_step.ipynb")
    records = course.check_module(notebook, seeds=1, isolate=False)
    assert {r.status for r in records if r.target == "dlai.linear"} == {MATCH}
    for target in ("dlai.linear_activation_relu", "dlai.linear_activation_sigmoid", "dlai.L_model"):
        rows = [r for r in records if r.target == target]
        assert [r.status for r in rows] == [UNCHECKED]
        assert "from dnn_app_utils_v3, which could not be imported" in rows[0].detail
    assert all("run without" in r.warning and "dnn_app_utils_v3" in r.warning for r in records)


def with_helper(tmp_path: Path, name: str, source: str) -> Path:
    (tmp_path / name).write_text(source)
    (tmp_path / "dnn_utils.py").write_text((C1 / "dnn_utils.py").read_text())
    return tmp_path / name


def test_the_2017_notebooks_da_keys_one_up_are_judged_and_noted(tmp_path: Path) -> None:
    """2017's template: grads["dA" + str(L)] for the last layer's dA_prev, dA1 for X's (no dA0)."""
    source = (C1 / "step_by_step.py").read_text()
    for old, new in (
        ('grads["dA" + str(L - 1)] = dA_prev_temp', 'grads["dA" + str(L)] = dA_prev_temp'),
        ('grads["dA" + str(l + 1)], current_cache', 'grads["dA" + str(l + 2)], current_cache'),
        ('grads["dA" + str(l)] = dA_prev_temp', 'grads["dA" + str(l + 1)] = dA_prev_temp'),
    ):
        assert old in source
        source = source.replace(old, new)
    file = with_helper(tmp_path, "keys_2017.py", source)
    records = course.check_module(file, targets=["dlai.L_model"], seeds=1, isolate=False)
    assert {r.status for r in records} == {MATCH}
    assert all("keyed as in the 2017 notebook" in r.warning for r in records)
    # shifted the wrong way (dA2 for X's gradient) is not the 2017 keys: X's row fails
    wrong = source.replace(
        'grads["dA" + str(l + 1)] = dA_prev_temp', 'grads["dA" + str(l + 2)] = dA_prev_temp'
    )
    records = course.check_module(with_helper(tmp_path, "keys_wrong.py", wrong), targets=["dlai.L_model"],
                                  seeds=1, isolate=False)  # fmt: skip
    assert {r.status for r in records if r.input == "X"} != {MATCH}


def test_a_students_own_assert_that_fails_is_an_error_that_quotes_it(tmp_path: Path) -> None:
    """db squeezed to a number, as a 2017 notebook did: right for one unit only; its assert says so."""
    squeezed = (
        "    db = np.squeeze(np.sum(dZ, axis=1, keepdims=True)) / m\n    assert (isinstance(db, float))\n"
    )
    source = (
        (C1 / "step_by_step.py")
        .read_text()
        .replace("    db = np.sum(dZ, axis=1, keepdims=True) / m\n", squeezed)
    )
    file = with_helper(tmp_path, "squeezed.py", source)
    records = course.check_module(file, targets=["dlai.linear"], seeds=1, isolate=False)
    assert {r.status for r in records} == {ERROR}
    assert all("AssertionError: assert (isinstance(db, float)) failed" in r.detail for r in records)


def test_a_nameerror_of_the_students_own_is_still_an_error(tmp_path: Path) -> None:
    typo = ("dW = np.dot(dZ, A_prev.T) / m", "dW = np.dot(dz, A_prev.T) / m")
    source = (C1 / "step_by_step.py").read_text().replace(*typo)
    (tmp_path / "typo.py").write_text(source)
    (tmp_path / "dnn_utils.py").write_text((C1 / "dnn_utils.py").read_text())
    records = course.check_module(tmp_path / "typo.py", targets=["dlai.linear"], seeds=1, isolate=False)
    assert {r.status for r in records} == {ERROR}
    assert "NameError: name 'dz' is not defined" in records[0].detail


# ------------------------------------------------------------------ course 2

C2 = C1.parent / "c2"


def test_course_2_correct_backward_passes_match() -> None:
    records = course.check_module(C2 / "regularization.py", seeds=2, isolate=False)
    records += course.check_module(C2 / "gradient_checking.py", seeds=2, isolate=False)
    assert {r.target for r in records} == {
        "dlai.backward_propagation_with_regularization",
        "dlai.backward_propagation_with_dropout",
        "dlai.gradient_check_n",
    }
    assert {r.status for r in records} == {MATCH}


@pytest.mark.parametrize(
    ("sample", "target", "bug", "rows"),
    [
        ("regularization_bugs.py", "dlai.backward_propagation_with_regularization",
         "the regularization gradient is lambd * W, not lambd / m * W", {"W1", "W2", "W3"}),
        ("regularization_bugs.py", "dlai.backward_propagation_with_dropout",
         "dA is multiplied by the mask D but not divided by keep_prob", {"W1", "b1", "W2", "b2"}),
        ("gradient_checking_planted.py", "dlai.gradient_check_n",
         "planted bug, left in: dW2 = 1./m * np.dot(dZ2, A1.T) * 2", {"W2"}),
        ("gradient_checking_planted.py", "dlai.gradient_check_n",
         "planted bug, left in: db1 = 4./m", {"b1"}),
    ],
)  # fmt: skip
def test_course_2_classic_bugs_are_named(sample: str, target: str, bug: str, rows: set[str]) -> None:
    records = [r for r in course.check_module(C2 / sample, seeds=1, isolate=False) if r.target == target]
    failing = {r.input for r in records if r.status == MISMATCH and bug in r.detail}
    assert failing == rows
    assert {r.status for r in records if r.input not in rows} <= {MATCH, MISMATCH}


# ------------------------------------------------------------------ course 4

C4 = C1.parent / "c4"


def test_course_4_conv_and_pools_match() -> None:
    records = course.check_module(C4 / "convolution.py", seeds=1, isolate=False)
    assert {r.target for r in records} == {"dlai.conv", "dlai.pool_max", "dlai.pool_average"}
    assert {r.status for r in records} == {MATCH}
    assert {r.shape for r in records if r.input == "W"} == {"[3, 3, 3, 2]", "[2, 2, 2, 3]"}  # pad 1 and pad 0


def test_course_4_bugs_db_of_one_example_and_the_empty_slice_at_pad_0() -> None:
    records = [
        r
        for r in course.check_module(C4 / "convolution_bugs.py", seeds=1, isolate=False)
        if r.target == "dlai.conv"
    ]
    # at pad 1 (b of 2 channels) db is the last example's; at pad 0 the backward raises
    assert any(r.shape == "[1, 1, 1, 2]" and "db not summed over the examples" in r.detail for r in records)
    at_pad_0 = [r for r in records if r.status == UNCHECKED]
    assert len(at_pad_0) == 3 and all(
        "could not broadcast input array from shape (0,0,2)" in r.detail for r in at_pad_0
    )
    # the course's own hint, which it never runs at pad 0: said, not failed (never a failing row)
    assert all("not judged at pad 0: da_prev_pad[pad:-pad" in r.detail for r in at_pad_0)
    assert not any(r.failed for r in at_pad_0)


def test_course_4_pool_windows_that_ignore_the_stride_are_named(tmp_path: Path) -> None:
    source = (C4 / "convolution.py").read_text()
    backward = source.index("def pool_backward")
    unstrided = source[backward:].replace("vert_start = h * stride", "vert_start = h", 1)
    unstrided = unstrided.replace("horiz_start = w * stride", "horiz_start = w", 1)
    (tmp_path / "pools.py").write_text(source[:backward] + unstrided)
    records = course.check_module(tmp_path / "pools.py", seeds=1, isolate=False)
    for mode in ("max", "average"):
        rows = [r for r in records if r.target == f"dlai.pool_{mode}"]
        # stride 2 (f 2) fails and is named; stride 1 (f 3) is right
        assert {(r.status, r.shape) for r in rows} == {(MISMATCH, "[2, 4, 4, 3]"), (MATCH, "[2, 5, 5, 2]")}
        named = [r for r in rows if r.status == MISMATCH]
        assert all("windows start at h and w, not h * stride" in r.detail for r in named)


def test_float_of_a_one_element_array_is_numpy_1_code_judged_and_noted(tmp_path: Path) -> None:
    """``float(b)`` of b (1, 1, 1): right on NumPy 1, a TypeError on NumPy 2. Judged, not failed."""
    source = (C4 / "convolution.py").read_text()
    source = source.replace("    return Z + float(np.squeeze(b))", "    Z = Z + float(b)\n    return Z")
    (tmp_path / "conv_2020.py").write_text(source)
    records = course.check_module(tmp_path / "conv_2020.py", targets=["dlai.conv"], seeds=1, isolate=False)
    assert {r.status for r in records} == {MATCH}
    assert all("NumPy 1's float()/int() of a one-element array" in r.warning for r in records)
    # of several elements it is wrong in any NumPy: still an error, naming the NumPy 2 change
    several = source.replace("    Z = Z + float(b)", "    Z = Z + float(b + np.zeros((1, 1, 2)))")
    (tmp_path / "conv_wrong.py").write_text(several)
    records = course.check_module(tmp_path / "conv_wrong.py", targets=["dlai.conv"], seeds=1, isolate=False)
    assert {r.status for r in records} == {ERROR}
    assert all("NumPy 2 refuses" in r.detail for r in records)


# ------------------------------------------------------------------ course 5

C5 = C1.parent / "c5"
RECURRENT = {"dlai.rnn_cell", "dlai.rnn", "dlai.lstm_cell", "dlai.lstm"}


def test_course_5_recurrent_backward_passes_match() -> None:
    records = course.check_module(C5 / "recurrent.py", seeds=1, isolate=False)
    assert {r.target for r in records} == RECURRENT
    assert {r.status for r in records} == {MATCH}
    assert [r.input for r in records if r.target == "dlai.lstm_cell"][:3] == ["xt", "a_prev", "c_prev"]


def test_a_template_filled_in_part_is_not_implemented_in_a_py_file(tmp_path: Path) -> None:
    """An exported notebook whose rnn_backward still has the template's ``= None`` lines."""
    source = (C5 / "recurrent.py").read_text()
    start = source.index("def rnn_backward")
    end = source.index("\ndef ", start + 1)
    partial = (
        "def rnn_backward(da, caches):\n"
        "    ### START CODE HERE ###\n"
        "    (caches, x) = caches\n"
        "    (a1, a0, x1, parameters) = caches[0]\n"
        "    n_a, m, T_x = da.shape\n"
        "    n_x, m = x1.shape\n"
        "    dx = None\n"
        "    dWax = None\n"
        "    da_prevt = None\n"
        "    for t in reversed(range(T_x)):\n"
        "        gradients = None\n"
        "        dxt, da_prevt = gradients['dxt'], gradients['da_prev']\n"
        "        dx[:, :, t] = None\n"
        "        dWax += None\n"
        "    ### END CODE HERE ###\n"
        "    return {'dx': dx, 'da0': da_prevt, 'dWax': dWax}\n\n"
    )
    (tmp_path / "partial.py").write_text(source[:start] + partial + source[end:])
    records = course.check_module(tmp_path / "partial.py", seeds=1, isolate=False)
    rnn = [r for r in records if r.target == "dlai.rnn"]
    assert [r.status for r in rnn] == [ERROR]  # one row, as a notebook's template gets
    assert rnn[0].detail.startswith("not implemented: rnn_backward still holds the template's None")
    assert "gradients still None" in rnn[0].detail
    assert {r.status for r in records if r.target == "dlai.rnn_cell"} == {MATCH}


def test_course_5_no_gradient_through_time_is_named() -> None:
    records = course.check_module(C5 / "recurrent_bugs.py", seeds=1, isolate=False)
    assert set(failing(records)) == {"dlai.rnn", "dlai.lstm"}  # the cells are right
    rnn = [r for r in records if r.target == "dlai.rnn"]
    assert all("da_prevt is never passed back in time" in r.detail for r in rnn)
    lstm = [r for r in records if r.target == "dlai.lstm" and r.status == MISMATCH]
    assert all("passed back in time" in r.detail for r in lstm)
    assert sum("da_prev is never passed back in time (dc_prev is)" in r.detail for r in lstm) >= 8


def test_course_4_bias_inside_the_window_sum_is_named(tmp_path: Path) -> None:
    inside = ("    s = np.multiply(a_slice_prev, W)\n", "    s = np.multiply(a_slice_prev, W) + b\n")
    source = (C4 / "convolution.py").read_text().replace(*inside)
    source = source.replace("    return Z + float(np.squeeze(b))", "    return Z")
    (tmp_path / "conv.py").write_text(source)
    records = course.check_module(tmp_path / "conv.py", targets=["dlai.conv"], seeds=1, isolate=False)
    assert {r.status for r in records} == {"forward_mismatch"}
    assert all("b added to every product inside conv_single_step's sum" in r.detail for r in records)
