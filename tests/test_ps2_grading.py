"""ps2 checks in-process: the solution earns full marks on visible and hidden data, every fixture
loses exactly the expected points with the expected explanation, and hidden runs leak nothing."""

from __future__ import annotations

import contextlib
import io
import sys

import nbformat
import numpy as np
import pytest
from fixtures.ps2_submissions import FIXTURES
from ps2_helpers import SOURCE, apply_fixture, grade_id, graded_cells

from course.grading import ps2

NB = nbformat.read(SOURCE, 4)
CELLS = graded_cells(NB)


def run_notebook_code(nb) -> dict:
    """Execute the setup and solution cells like a kernel would (a failing cell is skipped)."""
    ns: dict = {"__name__": "__main__"}
    for c in nb.cells:
        meta = c.get("metadata", {}).get("nbgrader", {})
        if c.cell_type != "code" or meta.get("grade") or grade_id(c) is None:
            continue
        with contextlib.suppress(Exception):
            exec(compile(c.source, f"<cell {grade_id(c)}>", "exec"), ns)
    return ns


def score(call: str, ns: dict) -> tuple[float, str]:
    """Evaluate a check call (visible or hidden) and capture its report; stderr must stay empty."""
    out, err = io.StringIO(), io.StringIO()
    env = {**ns, "_g": ps2, **{k: getattr(ps2, k) for k in ps2.__all__}}
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            value = eval(call, env)
        except NameError:  # the class was never defined: the kernel scores this cell 0
            value = 0.0
    assert err.getvalue() == "", f"{call} wrote to stderr: {err.getvalue()!r}"
    return value, out.getvalue()


def test_points_metadata_matches_the_checks():
    assert {g: p for g, (_, _, p) in CELLS.items()} == {
        "linear_test": ps2.POINTS["Linear"], "relu_test": ps2.POINTS["ReLU"],
        "sigmoid_test": ps2.POINTS["Sigmoid"], "tanh_test": ps2.POINTS["Tanh"],
        "softmax_test": ps2.POINTS["Softmax"], "softmax_ce_test": ps2.POINTS["SoftmaxCrossEntropy"],
        "euclidean_test": ps2.POINTS["EuclideanLoss"],
    }  # fmt: skip


def test_solution_scores_full_marks_visible_and_hidden():
    ns = run_notebook_code(NB)
    for gid, (visible, hidden, points) in CELLS.items():
        for call in (visible, hidden):
            value, report = score(call, ns)
            assert type(value) is float and value == points, (gid, call, report)


@pytest.mark.parametrize("name", [n for n, f in FIXTURES.items() if not f.get("kernel_only")])
def test_fixture_loses_the_expected_points(name):
    fixture = FIXTURES[name]
    ns = run_notebook_code(apply_fixture(NB, fixture))
    for gid, (visible, hidden, points) in CELLS.items():
        want = fixture["scores"].get(gid, points)
        for call in (visible, hidden):
            value, report = score(call, ns)
            assert value == want, f"{name} {call}: got {value}, want {want}\n{report}"
            for phrase in fixture.get("messages", {}).get(gid, []):
                assert phrase in report, f"{name} {call}: {phrase!r} missing from\n{report}"


def test_untouched_release_scores_zero_everywhere():
    release = nbformat.read(SOURCE.parents[2] / "assignments/ps2_modules/ps2_modules.ipynb", 4)
    ns = run_notebook_code(release)
    for gid, (visible, hidden, _) in CELLS.items():
        for call in (visible, hidden):
            value, report = score(call, ns)
            assert value == 0.0, (gid, report)
            assert "NotImplementedError" in report


def test_hidden_reports_never_quote_hidden_shapes_or_values():
    """A wrong-shape answer and a crash: visible runs may show shapes, hidden runs must not."""
    ns = run_notebook_code(apply_fixture(NB, FIXTURES["transposed_weight_grad"]))
    _, hidden, _ = CELLS["linear_test"]
    _, report = score(hidden, ns)
    assert "(5, 3)" not in report and "(3, 5)" not in report and "2718" not in report

    class Shaped(ns["Linear"]):
        def backward(self, grad_out):
            return np.ones((3, 3)) @ np.ones((4, 4))  # numpy's message quotes sizes

    _, report = score("_g.check_linear(Shaped, seed=5, n=7, d_in=5, d_out=3, hidden=True)",
                      {**ns, "Shaped": Shaped})  # fmt: skip
    assert "ValueError" in report and "size" not in report and "(3," not in report
    _, visible = score("check_linear(Shaped)", {**ns, "Shaped": Shaped})
    assert "size 4 is different from 3" in visible


def test_linear_accumulation_and_mutation_are_named():
    ns = run_notebook_code(NB)
    base = ns["Linear"]

    class Overwrites(base):
        def backward(self, grad_out):
            self.grads["weight"][...] = grad_out.T @ self._cache
            self.grads["bias"][...] = grad_out.sum(axis=0)
            return grad_out @ self.params["weight"]

    class Mutates(base):
        def forward(self, x):
            x -= 0.0  # in place: the caller's array object is written to
            x *= 1.0 + 1e-3
            return super().forward(x / (1.0 + 1e-3))

    value, report = score("check_linear(Overwrites)", {"Overwrites": Overwrites})
    assert value == 9.0 and "not overwritten" in report
    value, report = score("check_linear(Mutates)", {"Mutates": Mutates})
    assert value == 9.5 and "modified in place" in report


def test_extreme_inputs_catch_naive_sigmoid_and_tanh():
    ns = run_notebook_code(NB)

    class NaiveSigmoid(ns["Sigmoid"]):
        def forward(self, x):
            self._cache = np.exp(x) / (1.0 + np.exp(x))  # inf / inf = nan for x ≈ 1e3
            return self._cache

    class NaiveTanh(ns["Tanh"]):
        def forward(self, x):
            e, f = np.exp(x), np.exp(-x)
            self._cache = (e - f) / (e + f)
            return self._cache

    for cls, call in ((NaiveSigmoid, "check_sigmoid"), (NaiveTanh, "check_tanh")):
        value, report = score(f"{call}(C)", {"C": cls})
        assert value == 4.0 and "inf or NaN" in report, report


def test_disabling_the_tripwire_scores_zero():
    ns = run_notebook_code(NB)

    class Sneaky(ns["ReLU"]):
        def forward(self, x):
            sys.setprofile(None)
            return super().forward(x)

    value, report = score("check_relu(Sneaky)", {"Sneaky": Sneaky})
    assert value == 0.0 and "setprofile" in report
