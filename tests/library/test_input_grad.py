"""``backward(g, input_grad=False)``: a training step skips ∂ℒ/∂x of the network's input, and
nothing else changes. Gradients are compared with autograd, PyTorch (if installed) and central
differences; the skipped product is counted, not timed."""

from __future__ import annotations

import importlib.util

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from course.gradcheck import numerical_gradient
from course.mistakes import TransposedWeightGradLinear
from course.modules import Linear, ReLU, Sequential, SoftmaxCrossEntropy, Tanh

KEYS = ("0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias")


def _net() -> Sequential:
    return Sequential(Linear(5, 7, rng=1), ReLU(), Linear(7, 6, rng=2), Tanh(), Linear(6, 3, rng=3))


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal((9, 5)), rng.integers(0, 3, 9)


def _grads(net: Sequential, x: np.ndarray, y: np.ndarray, input_grad: bool):
    loss = SoftmaxCrossEntropy()
    net.zero_grad()
    loss(net(x), y)
    dx = net.backward(loss.backward(), input_grad=input_grad)
    return dx, {k: g.copy() for k, g in net.grads.items()}


def _loss_of(params: list, x: np.ndarray, y: np.ndarray, lib=anp):
    w0, b0, w1, b1, w2, b2 = params
    h = lib.maximum(x @ w0.T + b0, 0.0)
    h = lib.tanh(h @ w1.T + b1)
    z = h @ w2.T + b2
    z = z - lib.max(z, axis=1, keepdims=True)
    logp = z - lib.log(lib.sum(lib.exp(z), axis=1, keepdims=True))
    return -lib.sum(np.eye(3)[y] * logp) / len(y)


def test_skipping_the_input_gradient_keeps_every_parameter_gradient():
    x, y = _data()
    net = _net()
    dx, full = _grads(net, x, y, input_grad=True)
    none, skipped = _grads(net, x, y, input_grad=False)
    assert dx.shape == x.shape and none is None
    for k in KEYS:
        assert np.array_equal(full[k], skipped[k]), k  # the same arithmetic, bit for bit

    # ... and both are the true gradients: autograd, then central differences on one tensor.
    want = grad(_loss_of)([net.params[k].copy() for k in KEYS], x, y)
    for k, w in zip(KEYS, want, strict=True):
        np.testing.assert_allclose(skipped[k], w, rtol=1e-9, atol=1e-12, err_msg=k)
    loss = SoftmaxCrossEntropy()
    w0 = net.params["0.weight"]
    num = numerical_gradient(lambda _: loss(net(x), y), w0)
    np.testing.assert_allclose(skipped["0.weight"], num, rtol=1e-5, atol=1e-8)


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch not installed")
def test_skipped_gradients_match_pytorch():
    import torch

    x, y = _data()
    net = _net()
    _, ours = _grads(net, x, y, input_grad=False)
    params = [torch.tensor(net.params[k], requires_grad=True) for k in KEYS]
    w0, b0, w1, b1, w2, b2 = params
    h = torch.tanh(torch.relu(torch.from_numpy(x) @ w0.T + b0) @ w1.T + b1)
    torch.nn.functional.cross_entropy(h @ w2.T + b2, torch.from_numpy(y)).backward()
    for k, p in zip(KEYS, params, strict=True):
        np.testing.assert_allclose(ours[k], p.grad.numpy(), rtol=1e-10, atol=1e-13, err_msg=k)


class _CountingWeight(np.ndarray):
    """A weight array that counts the matrix products it takes part in."""

    products = 0

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if ufunc is np.matmul:
            type(self).products += 1
        args = [a.view(np.ndarray) if isinstance(a, _CountingWeight) else a for a in inputs]
        out = kwargs.get("out")
        if out:
            kwargs["out"] = tuple(
                o.view(np.ndarray) if isinstance(o, _CountingWeight) else o for o in out
            )
        return getattr(ufunc, method)(*args, **kwargs)


def test_the_first_layers_input_gradient_is_not_computed():
    x, y = _data()
    for input_grad, products in ((True, 2), (False, 1)):  # forward x Wᵀ, then g W or nothing
        net = _net()
        w = net.layers[0].params["weight"]
        net.layers[0].params["weight"] = w.view(_CountingWeight)
        _CountingWeight.products = 0
        _grads(net, x, y, input_grad)
        assert _CountingWeight.products == products, input_grad


def test_modules_without_input_grad_and_leading_parameter_free_layers():
    x, y = _data()
    calls = []

    class CountingReLU(ReLU):
        def backward(self, grad_out):
            calls.append("relu")
            return super().backward(grad_out)

    # A first layer whose backward has the plain signature (a student's, a deliberate bug) is
    # called the plain way; a parameter-free layer in front of it is not called at all.
    bug = Sequential(CountingReLU(), TransposedWeightGradLinear(5, 5, rng=0), Tanh(),
                     Linear(5, 3, rng=1))  # fmt: skip
    dx, full = _grads(bug, x, y, input_grad=True)
    assert calls == ["relu"] and dx.shape == x.shape
    calls.clear()
    none, skipped = _grads(bug, x, y, input_grad=False)
    assert calls == [] and none is None
    for k in full:
        assert np.array_equal(full[k], skipped[k]), k

    # Nested: an inner Sequential first passes input_grad on to its own first layer.
    inner = _net()
    outer = Sequential(inner, ReLU(), Linear(3, 2, rng=4))
    loss = SoftmaxCrossEntropy()
    loss(outer(x), y % 2)
    assert outer.backward(loss.backward(), input_grad=False) is None
    assert np.abs(inner.grads["0.weight"]).sum() > 0
    # No parameters at all: nothing to compute.
    assert Sequential(ReLU(), Tanh()).backward(np.ones((2, 2)), input_grad=False) is None


def test_linear_alone_and_its_default():
    lin = Linear(3, 2, rng=0)
    x, g = np.arange(6.0).reshape(2, 3), np.ones((2, 2))
    lin(x)
    assert lin.backward(g).shape == (2, 3)  # the default is the course interface: ∂ℒ/∂x
    gw = lin.grads["weight"].copy()
    assert lin.backward(g, input_grad=False) is None
    np.testing.assert_array_equal(lin.grads["weight"], 2 * gw)  # still adds into grads
    np.testing.assert_array_equal(gw, g.T @ x)
