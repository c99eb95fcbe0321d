"""Every reference module's forward and backward against an independent autodiff (autograd)."""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

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


def a_softmax(z):
    e = anp.exp(z - anp.max(z, axis=1, keepdims=True))
    return e / anp.sum(e, axis=1, keepdims=True)


# The same functions written independently with autograd.numpy.
ELEMENTWISE = {
    "relu": (ReLU, lambda x: anp.maximum(x, 0.0)),
    "leaky": (lambda: LeakyReLU(0.1), lambda x: anp.where(x > 0, x, 0.1 * x)),
    "sigmoid": (Sigmoid, lambda x: 1.0 / (1.0 + anp.exp(-x))),
    "tanh": (Tanh, anp.tanh),
    "softmax": (Softmax, a_softmax),
}

shapes = st.tuples(st.integers(1, 6), st.integers(1, 6))
finite = st.floats(-6, 6, allow_nan=False, allow_subnormal=False)


def away_from_kinks(x):
    # autograd's derivative of max at exactly 0 is a convention; keep inputs off the kink.
    return np.where(np.abs(x) < 1e-3, 0.5, x)


def vjp(f, x, g):
    """The vector-Jacobian product gᵀ ∂f/∂x via autograd."""
    return grad(lambda t: anp.sum(f(t) * g))(x)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@settings(max_examples=25, deadline=None)
@given(data=st.data(), shape=shapes)
def test_activation_matches_autograd(name, data, shape):
    make, ref = ELEMENTWISE[name]
    x = away_from_kinks(data.draw(arrays(np.float64, shape, elements=finite)))
    g = data.draw(arrays(np.float64, shape, elements=finite))
    m = make()
    np.testing.assert_allclose(m(x), ref(x), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(m.backward(g), vjp(ref, x, g), rtol=1e-9, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(data=st.data(), n=st.integers(1, 5), d_in=st.integers(1, 5), d_out=st.integers(1, 5))
def test_linear_matches_autograd(data, n, d_in, d_out):
    x = data.draw(arrays(np.float64, (n, d_in), elements=finite))
    g = data.draw(arrays(np.float64, (n, d_out), elements=finite))
    layer = Linear(d_in, d_out, rng=data.draw(st.integers(0, 1000)))
    layer.params["bias"][:] = data.draw(arrays(np.float64, (d_out,), elements=finite))
    w, b = layer.params["weight"].copy(), layer.params["bias"].copy()
    f = lambda x_, w_, b_: anp.dot(x_, w_.T) + b_  # noqa: E731

    np.testing.assert_allclose(layer(x), f(x, w, b), rtol=1e-12, atol=1e-12)
    dx = layer.backward(g)
    np.testing.assert_allclose(dx, grad(lambda t: anp.sum(f(t, w, b) * g))(x), atol=1e-10)
    np.testing.assert_allclose(
        layer.grads["weight"], grad(lambda t: anp.sum(f(x, t, b) * g))(w), atol=1e-10
    )
    np.testing.assert_allclose(
        layer.grads["bias"], grad(lambda t: anp.sum(f(x, w, t) * g))(b), atol=1e-10
    )


def a_log_softmax(z):
    m = anp.max(z, axis=1, keepdims=True)
    return z - m - anp.log(anp.sum(anp.exp(z - m), axis=1, keepdims=True))


@settings(max_examples=30, deadline=None)
@given(data=st.data(), n=st.integers(1, 6), k=st.integers(1, 6), scale=st.floats(0.1, 3.0))
def test_losses_match_autograd(data, n, k, scale):
    z = data.draw(arrays(np.float64, (n, k), elements=finite))
    labels = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    onehot = np.eye(k)[labels]
    target = data.draw(arrays(np.float64, (n, k), elements=finite))

    cases = [
        (SoftmaxCrossEntropy(), z, labels, lambda t: -anp.sum(onehot * a_log_softmax(t)) / n),
        (SoftmaxCrossEntropy(), z, onehot, lambda t: -anp.sum(onehot * a_log_softmax(t)) / n),
        (
            CrossEntropy(),
            a_softmax(z),
            labels,
            lambda p: -anp.sum(onehot * anp.log(p)) / n,
        ),
        (EuclideanLoss(), z, target, lambda t: 0.5 * anp.sum((t - target) ** 2) / n),
    ]
    for loss, pred, tgt, ref in cases:
        assert loss(pred, tgt) == pytest.approx(ref(pred), rel=1e-10, abs=1e-12)
        np.testing.assert_allclose(
            loss.backward(scale), scale * grad(ref)(pred), rtol=1e-8, atol=1e-12
        )


@settings(max_examples=25, deadline=None)
@given(data=st.data(), n=st.integers(1, 6))
def test_sigmoid_bce_matches_autograd(data, n):
    z = data.draw(arrays(np.float64, (n, 1), elements=finite))
    y = np.array(data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    col = y.reshape(-1, 1).astype(float)

    def ref(t):
        p = 1.0 / (1.0 + anp.exp(-t))
        return -anp.sum(col * anp.log(p) + (1 - col) * anp.log(1 - p)) / n

    loss = SigmoidBinaryCrossEntropy()
    assert loss(z, y) == pytest.approx(ref(z), rel=1e-9)
    np.testing.assert_allclose(loss.backward(), grad(ref)(z), rtol=1e-8, atol=1e-12)


def test_mlp_with_loss_matches_autograd():
    rng = np.random.default_rng(3)
    net = Sequential(
        Linear(4, 6, rng=1), Tanh(), Linear(6, 5, rng=2), Sigmoid(), Linear(5, 3, rng=3)
    )
    x, y = rng.standard_normal((7, 4)), rng.integers(0, 3, 7)
    loss = SoftmaxCrossEntropy()
    loss(net(x), y)
    net.backward(loss.backward())
    ws = [
        net.params[k].copy()
        for k in ("0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias")
    ]

    def ref(params):
        w0, b0, w1, b1, w2, b2 = params
        h = anp.tanh(anp.dot(x, w0.T) + b0)
        h = 1 / (1 + anp.exp(-(anp.dot(h, w1.T) + b1)))
        z = anp.dot(h, w2.T) + b2
        return -anp.sum(np.eye(3)[y] * a_log_softmax(z)) / len(y)

    expected = grad(ref)(ws)
    for key, want in zip(
        ("0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"), expected, strict=True
    ):
        np.testing.assert_allclose(net.grads[key], want, rtol=1e-9, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@pytest.mark.parametrize("shape", [(1, 1), (1, 4), (4, 1)])
def test_activation_edge_shapes(name, shape):
    # N = 1 and D = 1 explicitly, whatever hypothesis happens to draw.
    make, ref = ELEMENTWISE[name]
    x = away_from_kinks(np.linspace(-2, 2, np.prod(shape)).reshape(shape))
    g = np.linspace(1, 2, np.prod(shape)).reshape(shape)
    m = make()
    np.testing.assert_allclose(m(x), ref(x), atol=1e-14)
    np.testing.assert_allclose(m.backward(g), vjp(ref, x, g), atol=1e-12)


@pytest.mark.parametrize("n,d_in,d_out", [(1, 1, 1), (1, 3, 2), (3, 1, 1)])
def test_linear_edge_shapes(n, d_in, d_out):
    layer = Linear(d_in, d_out, rng=0)
    x, g = np.ones((n, d_in)), np.ones((n, d_out))
    w = layer.params["weight"].copy()
    layer(x)
    dx = layer.backward(g)
    assert dx.shape == (n, d_in) and layer.grads["weight"].shape == (d_out, d_in)
    np.testing.assert_allclose(
        layer.grads["weight"], grad(lambda t: anp.sum(anp.dot(x, t.T) * g))(w)
    )
