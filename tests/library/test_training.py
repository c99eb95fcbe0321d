"""SGD and end-to-end training with the reference modules."""

from __future__ import annotations

import numpy as np
import pytest

from course.data import load_digits, load_spirals, minibatches
from course.modules import Linear, ReLU, Sequential, SoftmaxCrossEntropy, Tanh
from course.optim import SGD


def test_sgd_plain_step():
    layer = Linear(2, 1, rng=0)
    w0 = layer.params["weight"].copy()
    layer.grads["weight"][:] = [[1.0, -2.0]]
    SGD(layer, lr=0.5).step()
    np.testing.assert_allclose(layer.params["weight"], w0 - 0.5 * np.array([[1.0, -2.0]]))


def test_sgd_momentum_matches_the_recurrence():
    layer = Linear(1, 1, rng=0)
    opt = SGD(layer, lr=0.1, momentum=0.9)
    w, v = layer.params["weight"].item(), 0.0
    for g in (1.0, 0.5, -2.0):
        layer.grads["weight"][:] = g
        opt.step()
        v = 0.9 * v + g
        w -= 0.1 * v
        assert layer.params["weight"].item() == pytest.approx(w)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_large_arrays_match_the_recurrence(momentum):
    """Large arrays get exactly the whole-array recurrence, and a non-contiguous parameter is
    updated in place."""
    from course.modules import Module

    class Odd(Module):  # a parameter that is a transposed view: no flat view of it exists
        def __init__(self):
            super().__init__()
            self.params["w"] = np.zeros((250, 180)).T
            self.grads["w"] = np.zeros((180, 250))

    rng = np.random.default_rng(0)
    mods = [Linear(300, 230, rng=0), Odd()]
    opt = SGD(mods, lr=0.05, momentum=momentum)
    want = [m.params[k].copy() for m in mods for k in m.params]
    vel = [np.zeros_like(w) for w in want]
    for _ in range(3):
        grads = [g for m in mods for g in m.grads.values()]
        for g in grads:
            g[...] = rng.standard_normal(g.shape)
        opt.step()
        for w, v, g in zip(want, vel, grads, strict=True):
            v *= momentum
            v += g
            w -= 0.05 * v
    got = [m.params[k] for m in mods for k in m.params]
    for w, p in zip(want, got, strict=True):
        np.testing.assert_allclose(p, w, rtol=1e-14, atol=1e-15)


def test_sgd_on_sequential_updates_each_array_once():
    net = Sequential(Linear(2, 3, rng=0), ReLU(), Linear(3, 1, rng=1))
    before = {k: v.copy() for k, v in net.params.items()}
    for g in net.grads.values():
        g[...] = 1.0
    SGD(net, lr=0.1).step()
    for k, v in net.params.items():
        np.testing.assert_allclose(v, before[k] - 0.1)  # not −0.2: containers re-export arrays


def test_sgd_zero_grad():
    net = Sequential(Linear(2, 3, rng=0), Linear(3, 1, rng=1))
    for g in net.grads.values():
        g[...] = 1.0
    SGD(net, lr=0.1).zero_grad()
    assert all(not g.any() for g in net.grads.values())


def train(net, split, epochs, lr, momentum=0.9, batch_size=32, seed=0):
    loss_fn, opt, rng = SoftmaxCrossEntropy(), SGD(net, lr, momentum), np.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        for idx in minibatches(len(split.x_train), batch_size, rng):
            losses.append(loss_fn(net(split.x_train[idx]), split.y_train[idx]))
            opt.zero_grad()
            net.backward(loss_fn.backward())
            opt.step()
    accuracy = float(np.mean(net(split.x_test).argmax(axis=1) == split.y_test))
    return losses, accuracy


def test_two_layer_mlp_learns_spirals():
    # Three interleaved spirals are not linearly separable: a 2-layer MLP must reach ≥ 90% test accuracy.
    split = load_spirals(n_per_class=200, seed=1)
    net = Sequential(Linear(2, 64, rng=0), ReLU(), Linear(64, 3, rng=1))
    losses, accuracy = train(net, split, epochs=150, lr=0.05)
    assert accuracy >= 0.90, accuracy
    assert np.mean(losses[-20:]) < 0.5 * np.mean(losses[:20])


def test_mlp_on_digits_reaches_95_percent():
    split = load_digits(seed=0)
    net = Sequential(
        Linear(64, 64, init="xavier", rng=0), Tanh(), Linear(64, 10, init="xavier", rng=1)
    )
    _, accuracy = train(net, split, epochs=15, lr=0.05)
    assert accuracy >= 0.95, accuracy
