"""Numerical soundness, dtype handling and the no-mutation rule."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from course import functional as F
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

BIG = np.array([[1e3, -1e3, 0.0], [-1e3, 999.0, 1e3], [5e3, -5e3, 1.0]])


@pytest.fixture(autouse=True)
def warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Underflow to 0 is silent in numpy by default and harmless here; everything else raises.
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            yield


@pytest.mark.parametrize("cls", [Sigmoid, Tanh, Softmax, ReLU, LeakyReLU])
def test_activations_stay_finite_at_1e3(cls):
    m = cls()
    y = m(BIG)
    assert np.all(np.isfinite(y))
    assert np.all(np.isfinite(m.backward(np.ones_like(BIG))))


def test_sigmoid_and_softmax_values_at_extremes():
    np.testing.assert_array_equal(F.sigmoid(np.array([1e3, -1e3])), [1.0, 0.0])
    np.testing.assert_allclose(F.softmax(BIG)[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(F.softmax(BIG).sum(axis=1), 1.0)
    lsm = F.log_softmax(BIG)
    assert np.all(np.isfinite(lsm))
    assert lsm[0, 1] == pytest.approx(-2e3)  # log e^(−2000)/… stays exact, not −inf


@pytest.mark.parametrize(
    "loss,target",
    [
        (SoftmaxCrossEntropy(), np.array([1, 0, 2])),
        (SigmoidBinaryCrossEntropy(), np.array([0, 1, 1])),
    ],
)
def test_losses_on_logits_stay_finite_at_1e3(loss, target):
    z = BIG if isinstance(loss, SoftmaxCrossEntropy) else BIG[:, :1]
    value = loss(z, target)
    assert np.isfinite(value) and value > 100  # confidently wrong costs a lot, not inf
    assert np.all(np.isfinite(loss.backward()))


def test_cross_entropy_of_zero_probability_is_large_not_inf():
    loss = CrossEntropy()
    assert np.isfinite(loss(np.array([[1.0, 0.0]]), np.array([1])))
    assert np.all(np.isfinite(loss.backward()))


def test_softmax_backward_is_a_jacobian_vector_product():
    # diag(y) − y yᵀ applied row by row, compared with the explicit Jacobian on a small case
    rng = np.random.default_rng(1)
    z, g = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    m = Softmax()
    y = m(z)
    explicit = np.stack([(np.diag(r) - np.outer(r, r)) @ gr for r, gr in zip(y, g, strict=True)])
    np.testing.assert_allclose(m.backward(g), explicit, atol=1e-14)


def test_softmax_backward_never_builds_nkk():
    import tracemalloc

    big = np.random.default_rng(0).standard_normal((256, 1000))
    m = Softmax()
    m(big)
    tracemalloc.start()
    m.backward(np.ones_like(big))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # An N×K×K float64 Jacobian would be 2 GB here; a JVP needs a few N×K arrays (2 MB each).
    assert peak < 10 * big.nbytes, f"softmax backward allocated {peak / 1e6:.0f} MB"


MODULES = [
    lambda: Linear(3, 2, rng=0),
    ReLU,
    LeakyReLU,
    Sigmoid,
    Tanh,
    Softmax,
    lambda: Sequential(Linear(3, 4, rng=0), Tanh(), Linear(4, 3, rng=1)),
]


@pytest.mark.parametrize("make", MODULES)
def test_integer_input_is_accepted_as_float64(make):
    m = make()
    xi = np.array([[1, -2, 3], [0, 4, -1]])
    y_int = m(xi)
    assert y_int.dtype == np.float64
    np.testing.assert_array_equal(y_int, make()(xi.astype(np.float64)))
    assert xi.dtype.kind == "i"


@pytest.mark.parametrize("make", MODULES)
def test_no_input_is_modified_in_place(make):
    m = make()
    x = np.random.default_rng(2).standard_normal((4, 3))
    g = np.random.default_rng(3).standard_normal(m(x).shape)
    x0, g0 = x.copy(), g.copy()
    out = m(x)
    m.backward(g)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(g, g0)
    out += 1.0  # mutating the output must not corrupt what backward uses
    np.testing.assert_allclose(m.backward(g), make_and_backward(make, x, g))


def make_and_backward(make, x, g):
    m = make()
    m(x)
    return m.backward(g)


def test_losses_do_not_modify_inputs():
    z = np.random.default_rng(4).standard_normal((3, 4))
    y = np.array([0, 3, 1])
    z0, y0 = z.copy(), y.copy()
    for loss, target in ((SoftmaxCrossEntropy(), y), (EuclideanLoss(), z * 2)):
        loss(z, target)
        loss.backward()
    np.testing.assert_array_equal(z, z0)
    np.testing.assert_array_equal(y, y0)


def test_param_gradients_accumulate_and_zero_grad_clears():
    layer = Linear(3, 2, rng=0)
    x, g = np.ones((4, 3)), np.ones((4, 2))
    layer(x)
    layer.backward(g)
    once = {k: v.copy() for k, v in layer.grads.items()}
    layer(x)
    layer.backward(g)
    for k in once:
        np.testing.assert_allclose(layer.grads[k], 2 * once[k])
    held = layer.grads["weight"]
    layer.zero_grad()
    assert held is layer.grads["weight"] and not held.any()  # cleared in place


@pytest.mark.parametrize("start", [-1.0, 1.0, np.nan, -0.0])
def test_weight_gradient_accumulates_onto_any_nonzero_start(start):
    """Linear adds gᵀx to whatever the weight gradient holds (here one entry of −1, +1, NaN or
    −0.0 among zeros), in the same array."""
    layer = Linear(3, 2, rng=0)
    x = np.arange(12.0).reshape(4, 3)
    g = np.ones((4, 2))
    layer.grads["weight"][0, 1] = start
    held = layer.grads["weight"]
    layer(x)
    layer.backward(g)
    want = g.T @ x
    want[0, 1] += start
    assert layer.grads["weight"] is held
    np.testing.assert_array_equal(layer.grads["weight"], want)


def test_shared_weights_sum_over_paths():
    # Two Linear modules sharing one weight/bias (and grads) dict: because backward *adds* into
    # grads, the shared gradient is the sum over both paths, which is what the chain rule says.
    first = Linear(2, 2, rng=0)
    second = Linear(2, 2, rng=1)
    second.params, second.grads = first.params, first.grads
    net = Sequential(first, Tanh(), second)
    rng = np.random.default_rng(5)
    x, g = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    net(x)
    net.backward(g)
    w = first.params["weight"]
    num = np.zeros_like(w)
    for idx in np.ndindex(*w.shape):
        old = w[idx]
        w[idx] = old + 1e-6
        up = np.sum(net(x) * g)
        w[idx] = old - 1e-6
        down = np.sum(net(x) * g)
        w[idx] = old
        num[idx] = (up - down) / 2e-6
    np.testing.assert_allclose(first.grads["weight"], num, rtol=1e-6, atol=1e-9)


def test_initialisation_is_seedable_and_scaled():
    a, b = Linear(200, 100, rng=7), Linear(200, 100, rng=7)
    np.testing.assert_array_equal(a.params["weight"], b.params["weight"])
    assert not a.params["bias"].any()
    assert a.params["weight"].std() == pytest.approx(np.sqrt(2 / 200), rel=0.05)
    x = Linear(200, 100, init="xavier", rng=7).params["weight"].std()
    assert x == pytest.approx(np.sqrt(2 / 300), rel=0.05)
    assert Linear(200, 100, init="lecun", rng=7).params["weight"].std() == pytest.approx(
        np.sqrt(1 / 200), rel=0.05
    )
