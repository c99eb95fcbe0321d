"""ps2 checks in-process: the solution earns full marks on visible and hidden data, every fixture
loses exactly the expected points with the expected explanation, and hidden runs leak nothing."""

from __future__ import annotations

import nbformat
import numpy as np
import pytest
from grading_helpers import (
    answer_namespace,
    apply_fixture,
    assert_fixture_points,
    assert_full_marks,
    assert_release_scores_zero,
    graded_cells,
    load_fixtures,
    release_path,
    score,
    source_path,
)

from course.grading import ps2

FIXTURES = load_fixtures("ps2")
NB = nbformat.read(source_path("ps2_modules"), 4)
CELLS = graded_cells(NB)


def test_points_metadata_matches_the_checks():
    assert {g: p for g, (_, _, p) in CELLS.items()} == {
        "linear_test": ps2.POINTS["Linear"], "relu_test": ps2.POINTS["ReLU"],
        "sigmoid_test": ps2.POINTS["Sigmoid"], "tanh_test": ps2.POINTS["Tanh"],
        "softmax_test": ps2.POINTS["Softmax"], "softmax_ce_test": ps2.POINTS["SoftmaxCrossEntropy"],
        "euclidean_test": ps2.POINTS["EuclideanLoss"], "prelu_test": ps2.POINTS["PReLU"],
    }  # fmt: skip


def test_solution_scores_full_marks_visible_and_hidden():
    assert_full_marks(NB, ps2)


@pytest.mark.parametrize("name", [n for n, f in FIXTURES.items() if not f.get("trusted_only")])
def test_fixture_loses_the_expected_points(name):
    assert_fixture_points(NB, CELLS, ps2, name, FIXTURES[name])


def test_untouched_release_scores_zero_everywhere():
    assert_release_scores_zero(nbformat.read(release_path("ps2_modules"), 4), CELLS, ps2, ())


def test_hidden_reports_never_quote_hidden_shapes_or_values():
    """A wrong-shape answer and a crash: visible runs may show shapes, hidden runs must not."""
    ns = answer_namespace(apply_fixture(NB, FIXTURES["transposed_weight_grad"]))
    _, hidden, _ = CELLS["linear_test"]
    _, report = score(hidden, ns, ps2)
    assert "(5, 3)" not in report and "(3, 5)" not in report and "2718" not in report

    class Shaped(ns["Linear"]):
        def backward(self, grad_out):
            return np.ones((3, 3)) @ np.ones((4, 4))  # numpy's message quotes sizes

    _, report = score("_g.check_linear(Shaped, seed=5, n=7, d_in=5, d_out=3, hidden=True)",
                      {**ns, "Shaped": Shaped}, ps2)  # fmt: skip
    assert "ValueError" in report and "size" not in report and "(3," not in report
    _, visible = score("check_linear(Shaped)", {**ns, "Shaped": Shaped}, ps2)
    assert "size 4 is different from 3" in visible


def _failed(report: str) -> list[str]:
    """The names of the sub-checks marked ✗ in a report."""
    return [line.split("✗")[1].rsplit(" 0 /", 1)[0].strip() for line in report.splitlines()
            if "✗" in line]  # fmt: skip


def test_one_linear_bug_costs_only_its_own_sub_check():
    """An averaged bias gradient loses the bias sub-check alone; `=` for `+=` (or zeroing the
    gradients in forward) loses the accumulation sub-check alone, with its own explanation."""
    ns = answer_namespace(NB)
    base = ns["Linear"]

    class Averages(base):
        def backward(self, grad_out):
            self.grads["weight"] += grad_out.T @ self._cache
            self.grads["bias"] += grad_out.mean(axis=0)
            return grad_out @ self.params["weight"]

    class Overwrites(base):
        def backward(self, grad_out):
            self.grads["weight"] = grad_out.T @ self._cache
            self.grads["bias"] = grad_out.sum(axis=0)
            return grad_out @ self.params["weight"]

    class ZeroesInForward(base):
        def forward(self, x):
            self.zero_grad()
            return super().forward(x)

    for call in ("check_linear(C)", "check_linear(C, seed=5, n=7, d_in=5, d_out=3, hidden=True)"):
        value, report = score(call, {"C": Averages}, ps2)
        assert value == 8.5 and _failed(report) == ["backward: bias gradient"], report
        assert "averaged over the batch instead of summed" in report
        for cls in (Overwrites, ZeroesInForward):
            value, report = score(call, {"C": cls}, ps2)
            assert value == 9.0, report
            assert _failed(report) == ["parameter gradients accumulate (+=)"], report
            assert "not overwritten or reset" in report, report


def test_linear_mutation_is_named():
    class Mutates(answer_namespace(NB)["Linear"]):
        def forward(self, x):
            x -= 0.0  # in place: the caller's array object is written to
            x *= 1.0 + 1e-3
            return super().forward(x / (1.0 + 1e-3))

    value, report = score("check_linear(Mutates)", {"Mutates": Mutates}, ps2)
    assert value == 9.5 and "modified in place" in report


def test_edge_cases_still_catch_what_they_are_about():
    """N = 1 fails a squeezed shape, large inputs fail a σ′ that is right on ordinary data but NaN
    at saturation, and a loss that ignores grad_out loses that sub-check alone."""
    ns = answer_namespace(NB)

    class Squeezes(ns["Linear"]):
        def forward(self, x):
            return super().forward(x).squeeze()

    class NaiveGrad(ns["Sigmoid"]):
        def backward(self, grad_out):
            e = np.exp(-self._x)  # σ′ = e^(−x) / (1 + e^(−x))²: inf / inf at x ≈ −1e3
            return grad_out * e / (1.0 + e) ** 2

        def forward(self, x):
            self._x = x
            return super().forward(x)

    class Ignores(ns["SoftmaxCrossEntropy"]):
        def backward(self, grad_out=1.0):
            return super().backward(1.0)

    value, report = score("check_linear(C)", {"C": Squeezes}, ps2)
    assert _failed(report) == ["a batch of one example (N = 1)"], report
    assert "on a batch of one example has the wrong shape" in report and value == 9.5
    value, report = score("check_sigmoid(C)", {"C": NaiveGrad}, ps2)
    assert _failed(report) == ["large inputs (|x| ≈ 1e3): finite and right"], report
    assert "backward(grad_out) on large inputs contains inf or NaN" in report and value == 4.0
    value, report = score("check_softmax_cross_entropy(C)", {"C": Ignores}, ps2)
    assert _failed(report) == ["backward(grad_out) scales by grad_out"], report
    assert "grad_out was ignored" in report and value == 7.5


def test_extreme_inputs_catch_naive_sigmoid_and_tanh():
    ns = answer_namespace(NB)

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
        value, report = score(f"{call}(C)", {"C": cls}, ps2)
        assert value == 4.0 and "inf or NaN" in report, report
