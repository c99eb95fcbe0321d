"""gradcheck passes on every reference module and fails on the classic bugs."""

from __future__ import annotations

import numpy as np
import pytest

from course import mistakes
from course.functional import softmax
from course.gradcheck import (
    GradcheckReport,
    directional_derivative,
    gradcheck,
    numerical_gradient,
    rel_error,
)
from course.modules import (
    CrossEntropy,
    EuclideanLoss,
    LeakyReLU,
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    SigmoidBinaryCrossEntropy,
    Softmax,
    SoftmaxCrossEntropy,
    Tanh,
)

rng = np.random.default_rng(0)
X = rng.standard_normal((5, 4))
LABELS = np.array([0, 3, 1, 2, 3])


def all_reference_cases():
    mlp = Sequential(Linear(4, 6, rng=1), ReLU(), Linear(6, 6, rng=2), Tanh(), Linear(6, 4, rng=3))
    return [
        (Linear(4, 3, rng=0), X, None),
        (ReLU(), X, None),
        (LeakyReLU(0.2), X, None),
        (Sigmoid(), X, None),
        (Tanh(), X, None),
        (Softmax(), X, None),
        (mlp, X, None),
        (SoftmaxCrossEntropy(), X, LABELS),
        (CrossEntropy(), softmax(X), LABELS),
        (EuclideanLoss(), X, rng.standard_normal(X.shape)),
        (SigmoidBinaryCrossEntropy(), X[:, :1], np.array([0, 1, 1, 0, 1])),
    ]


@pytest.mark.parametrize("module,x,target", all_reference_cases(), ids=lambda v: repr(v)[:30])
def test_gradcheck_passes_on_reference(module, x, target):
    report = gradcheck(module, x, target)
    assert report.ok, str(report)
    assert all(r.error < 1e-7 for r in report.rows)


def test_gradcheck_checks_every_parameter():
    net = Sequential(Linear(4, 6, rng=1), Sigmoid(), Linear(6, 2, rng=2))
    names = [r.name for r in gradcheck(net, X).rows]
    assert names == ["input", "0.weight", "0.bias", "2.weight", "2.bias"]


def test_large_tensors_use_random_directions_with_constant_cost():
    counts = []
    for width in (100, 400):
        report = gradcheck(Linear(width, width, rng=0), rng.standard_normal((3, width)))
        assert report.ok, str(report)
        assert all("random directions" in r.method for r in report.rows)
        counts.append(report.n_forward)
    assert counts[0] == counts[1]  # 16× the parameters, the same number of forward passes


@pytest.mark.parametrize("size", ["small", "large"])
@pytest.mark.parametrize("bug", sorted(mistakes.ALL))
def test_gradcheck_catches_classic_bugs(bug, size):
    cls = mistakes.ALL[bug]
    d = 4 if size == "small" else 90  # 90×90 weights are checked along random directions
    x = rng.standard_normal((6, d))
    if issubclass(cls, Linear):
        module, target = cls(d, d, rng=0), None
        module.params["bias"][:] = rng.standard_normal(d)
    elif issubclass(cls, SoftmaxCrossEntropy):
        module, target = cls(), rng.integers(0, d, 6)
    else:
        module, target = cls(), None
    report = gradcheck(module, x, target)
    assert not report.ok, f"{bug} slipped through:\n{report}"
    assert "FAIL" in str(report)


def test_report_prints_and_renders_as_table():
    report = gradcheck(Linear(3, 2, rng=0), rng.standard_normal((4, 3)))
    text = str(report)
    assert text.startswith("gradcheck Linear(3→2): PASS")
    for word in ("input", "weight", "bias", "rel. error", "elementwise (6)"):
        assert word in text
    html = report._repr_html_()
    assert html.count("<tr>") == 4 and "PASS" in html
    failing = gradcheck(
        mistakes.TransposedWeightGradLinear(3, 3, rng=0), rng.standard_normal((4, 3))
    )
    assert "FAIL" in failing._repr_html_() and failing.failed() == ["weight"]


def test_wrong_gradient_shape_is_reported_not_raised():
    class BadShape(Linear):
        def backward(self, grad_out):
            super().backward(grad_out)
            self.grads["bias"] = np.zeros((7,))
            return grad_out @ self.params["weight"]

    report = gradcheck(BadShape(3, 2, rng=0), rng.standard_normal((4, 3)))
    row = {r.name: r for r in report.rows}["bias"]
    assert not row.passed and "shape (7,)" in row.note


def test_input_mutation_is_reported():
    class Mutating(ReLU):
        def forward(self, x):
            out = super().forward(x)
            x += 0.0 * x + 1e-3  # sneaky in-place change
            return out

    report = gradcheck(Mutating(), rng.standard_normal((3, 2)))
    assert "input unchanged" in report.failed()


def test_numerical_gradient_central_differences_and_restores_x():
    x = rng.standard_normal((3, 2))
    before = x.copy()
    g = numerical_gradient(lambda t: float(np.sum(t**3)), x)
    np.testing.assert_allclose(g, 3 * x**2, rtol=1e-7, atol=1e-8)
    assert np.array_equal(x, before)
    # central differences are exact for quadratics up to round-off; one-sided would be off by ε
    assert numerical_gradient(lambda t: float(t[0] ** 2), np.array([2.0]), eps=1e-3)[
        0
    ] == pytest.approx(4.0, abs=1e-9)


def test_numerical_gradient_rejects_int_arrays():
    with pytest.raises(ValueError, match="float64"):
        numerical_gradient(lambda t: float(t.sum()), np.arange(3))


def test_directional_derivative_restores_x():
    x = rng.standard_normal(5)
    before = x.copy()
    v = rng.standard_normal(5)
    assert directional_derivative(lambda t: float(t @ t), x, v) == pytest.approx(
        2 * x @ v, rel=1e-8
    )
    np.testing.assert_array_equal(x, before)


def test_rel_error_formula():
    a, b = np.array([3.0, 4.0]), np.array([3.0, 4.0 + 1e-6])
    assert rel_error(a, b) == pytest.approx(1e-6 / (5 + np.linalg.norm(b)))
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(np.zeros(2), np.full(2, 1e-14)) < 1e-5  # both ≈ 0: the floor keeps it small
    assert rel_error(a, -a) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="shapes"):
        rel_error(np.zeros(2), np.zeros(3))


def test_report_is_truthy_only_when_all_pass():
    assert bool(GradcheckReport("x", 1e-6)) is True  # no rows, nothing failed
    assert not gradcheck(mistakes.SigmoidGradFromInput(), rng.standard_normal((2, 2)))


def test_modules_off_the_interface_get_a_clear_error():
    class NoInit:
        def forward(self, x):
            return x

        def backward(self, g):
            return g

    with pytest.raises(
        ValueError, match=r"NoInit has no zero_grad, params, grads .*super\(\).__init__"
    ):
        gradcheck(NoInit(), np.ones((2, 2)))

    class Mismatched(ReLU):
        def __init__(self):
            super().__init__()
            self.params = {"weight": np.ones(2)}

    with pytest.raises(
        ValueError, match=r"same keys; got params keys \['weight'\] and grads keys \[\]"
    ):
        gradcheck(Mismatched(), np.ones((2, 2)))
