"""PReLU, ELU and RBF against two independent autodiffs (autograd; PyTorch when installed) and
central differences, on hypothesis-drawn shapes; plus accumulation, edge cases and bad input."""

from __future__ import annotations

import importlib.util
import warnings

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from course.gradcheck import gradcheck
from course.modules import ELU, RBF, EuclideanLoss, Linear, PReLU, Sequential

finite = st.floats(-6, 6, allow_nan=False, allow_subnormal=False)
dims = st.integers(1, 5)
HAS_TORCH = importlib.util.find_spec("torch") is not None


def off_kink(x):
    # At exactly 0 the derivative is a convention (both modules take the x ≤ 0 side).
    return np.where(np.abs(x) < 1e-3, 0.5, x)


def vjp(f, args, g, i):
    """gᵀ ∂f/∂args[i] by autograd: the gradient of Σ f(args) ⊙ g with respect to argument i."""
    return grad(lambda *a: anp.sum(f(*a) * g), i)(*args)


# The same maths written independently with autograd.numpy.
def a_prelu(x, slope):
    return anp.where(x > 0, x, slope * x)


def a_elu(x, alpha):
    return anp.where(x > 0, x, alpha * (anp.exp(anp.minimum(x, 0.0)) - 1.0))


def a_rbf(x, c, beta):
    # the (N, K, D) way, not the ‖x‖² − 2x·c + ‖c‖² of the module
    d = anp.sum((x[:, None, :] - c[None, :, :]) ** 2, axis=2)
    return anp.exp(-beta * d)


@settings(max_examples=30, deadline=None)
@given(data=st.data(), n=dims, d=dims)
def test_prelu_matches_autograd(data, n, d):
    x = off_kink(data.draw(arrays(np.float64, (n, d), elements=finite)))
    g = data.draw(arrays(np.float64, (n, d), elements=finite))
    slope = data.draw(arrays(np.float64, (d,), elements=st.floats(-2, 2)))
    m = PReLU(d)
    m.params["slope"][...] = slope
    np.testing.assert_allclose(m(x), a_prelu(x, slope), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(m.backward(g), vjp(a_prelu, (x, slope), g, 0), atol=1e-12)
    np.testing.assert_allclose(m.grads["slope"], vjp(a_prelu, (x, slope), g, 1), atol=1e-11)


@settings(max_examples=30, deadline=None)
@given(data=st.data(), n=dims, d=dims, alpha=st.sampled_from([0.5, 1.0, 1.7]))
def test_elu_matches_autograd(data, n, d, alpha):
    x = off_kink(data.draw(arrays(np.float64, (n, d), elements=finite)))
    g = data.draw(arrays(np.float64, (n, d), elements=finite))
    m = ELU(alpha)
    np.testing.assert_allclose(m(x), a_elu(x, alpha), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(m.backward(g), vjp(a_elu, (x, alpha), g, 0), rtol=1e-10, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(data=st.data(), n=dims, d=dims, k=dims)
def test_rbf_matches_autograd(data, n, d, k):
    small = st.floats(-2, 2, allow_nan=False, allow_subnormal=False)
    x = data.draw(arrays(np.float64, (n, d), elements=small))
    c = data.draw(arrays(np.float64, (k, d), elements=small))
    beta = data.draw(arrays(np.float64, (k,), elements=st.floats(0.05, 2.0)))
    g = data.draw(arrays(np.float64, (n, k), elements=finite))
    m = RBF(d, k, centres=c, beta=beta)
    args = (x, c, beta)
    np.testing.assert_allclose(m(x), a_rbf(*args), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(m.backward(g), vjp(a_rbf, args, g, 0), rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(m.grads["centres"], vjp(a_rbf, args, g, 1), rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(m.grads["beta"], vjp(a_rbf, args, g, 2), rtol=1e-7, atol=1e-10)


def test_rbf_fixed_widths_learn_only_centres():
    m = RBF(2, 3, beta=[0.5, 1.0, 2.0], learn_widths=False, rng=0)
    assert set(m.params) == set(m.grads) == {"centres"}
    np.testing.assert_array_equal(m.beta, [0.5, 1.0, 2.0])
    rep = gradcheck(m, np.random.default_rng(1).normal(size=(4, 2)))
    assert rep.ok and set(rep.errors) == {"input", "centres"}, rep


CASES = {
    "prelu": lambda: PReLU(3, init=-0.4),
    "elu": lambda: ELU(0.5),
    "rbf": lambda: RBF(3, 4, beta=np.array([0.3, 0.7, 1.0, 1.5]), rng=2),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("n", [1, 5])
def test_central_differences(name, n):
    x = off_kink(np.random.default_rng(n).normal(size=(n, 3)))
    rep = gradcheck(CASES[name](), x)
    assert rep.ok and max(rep.errors.values()) < 1e-8, rep


def test_rbf_regression_network_gradchecks():
    """The decks' RBF network: RBF → Linear (the weights u and the sum) → Euclidean loss."""
    net = Sequential(RBF(1, 6, rng=0), Linear(6, 1, rng=1))
    x, y = np.linspace(-2, 2, 9)[:, None], np.sin(np.linspace(-2, 2, 9))[:, None]
    assert gradcheck(net, x).ok
    loss = EuclideanLoss()
    p0 = {k: v.copy() for k, v in net.params.items()}

    def loss_at(params):
        for k, v in params.items():
            net.params[k][...] = v
        return loss(net(x), y)

    net.zero_grad()
    loss_at(p0)
    net.backward(loss.backward())
    for key in p0:  # every parameter of the stack against an independent autograd model

        def f(v, key=key):
            c, b, w, bias = (
                v if k == key else p0[k] for k in ("0.centres", "0.beta", "1.weight", "1.bias")
            )
            return 0.5 * anp.sum((anp.dot(a_rbf(x, c, b), w.T) + bias - y) ** 2) / len(x)

        np.testing.assert_allclose(net.grads[key], grad(f)(p0[key]), rtol=1e-8, atol=1e-12)


@pytest.mark.skipif(not HAS_TORCH, reason="torch not installed (make .venv/.installed-bench)")
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    import torch

    rng = np.random.default_rng(7)
    x, m = off_kink(rng.normal(size=(6, 3))), CASES[name]()
    out = m(x)
    g = rng.normal(size=out.shape)
    dx = m.backward(g)
    tx = torch.tensor(x, requires_grad=True)
    tp = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in m.params.items()}
    if name == "prelu":
        ty = torch.nn.functional.prelu(tx, tp["slope"])
    elif name == "elu":
        ty = torch.nn.functional.elu(tx, alpha=0.5)
    else:
        ty = torch.exp(-tp["beta"] * torch.cdist(tx, tp["centres"]) ** 2)
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(out, ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-8, atol=1e-10)
    for k, t in tp.items():
        np.testing.assert_allclose(m.grads[k], t.grad.numpy(), rtol=1e-8, atol=1e-10, err_msg=k)


@pytest.mark.parametrize("name", ["prelu", "rbf"])
def test_parameter_gradients_accumulate(name):
    rng = np.random.default_rng(3)
    x1, x2 = off_kink(rng.normal(size=(4, 3))), off_kink(rng.normal(size=(2, 3)))
    m = CASES[name]()
    k = m.num_units if name == "rbf" else 3
    g1, g2 = rng.normal(size=(4, k)), rng.normal(size=(2, k))
    single = []
    for xi, gi in ((x1, g1), (x2, g2)):
        m.zero_grad()
        m(xi)
        m.backward(gi)
        single.append({key: v.copy() for key, v in m.grads.items()})
    m.zero_grad()
    for xi, gi in ((x1, g1), (x2, g2)):
        m(xi)
        m.backward(gi)
    for key in m.grads:
        assert np.abs(single[0][key]).sum() > 0
        np.testing.assert_allclose(m.grads[key], single[0][key] + single[1][key], err_msg=key)


@pytest.mark.parametrize("name", sorted(CASES))
def test_large_inputs_finite_and_inputs_untouched(name):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(5, 3)) * 300 + np.where(rng.random((5, 3)) < 0.5, -1000.0, 1000.0)
    before = x.copy()
    m = CASES[name]()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in exp would warn
        y = m(x)
        dx = m.backward(np.ones_like(y))
    assert np.isfinite(y).all() and np.isfinite(dx).all()
    assert all(np.isfinite(v).all() for v in m.grads.values())
    np.testing.assert_array_equal(x, before)
    if name == "elu":
        np.testing.assert_allclose(y, np.where(x > 0, x, -0.5), rtol=1e-12)


@pytest.mark.parametrize(
    "make, bad, phrase",
    [
        (lambda: PReLU(3), np.ones((5, 2)), "PReLU(3) got input of shape (5, 2); expected (N, 3)"),
        (lambda: PReLU(3), np.ones(3), "expected a 2-D batch (N, 3)"),
        (lambda: ELU(0.5), np.zeros((0, 2)), "ELU(alpha=0.5) got an empty batch"),
        (lambda: ELU(), np.array(["a"]), "ELU(alpha=1) expected a numeric input"),
        (
            lambda: RBF(2, 4, rng=0),
            np.ones((3, 5)),
            "RBF(2→4) got input of shape (3, 5); expected (N, 2)",
        ),
    ],
)
def test_bad_input_is_named(make, bad, phrase):
    with pytest.raises(ValueError) as err:
        make()(bad)
    assert phrase in str(err.value)


@pytest.mark.parametrize(
    "make, phrase",
    [
        (lambda: PReLU(0), "PReLU expected num_features to be a positive int; got 0"),
        (lambda: PReLU(2, init=float("nan")), "PReLU expected init to be a finite number"),
        (lambda: ELU(-1.0), "ELU expected alpha to be a finite number >= 0; got -1.0"),
        (
            lambda: RBF(2, 3, centres=np.zeros((2, 3))),
            "got centres of shape (2, 3); expected shape (3, 2)",
        ),
        (
            lambda: RBF(2, 3, beta=[1.0, 2.0]),
            "got beta of shape (2,); expected a number or shape (3,)",
        ),
        (lambda: RBF(2, 3, beta=-1.0), "expected beta (inverse squared widths) >= 0"),
    ],
)
def test_bad_construction_is_named(make, phrase):
    with pytest.raises(ValueError) as err:
        make()
    assert phrase in str(err.value)


def test_backward_checks_and_widths_that_went_negative():
    m = PReLU(2)
    with pytest.raises(RuntimeError, match="backward\\(\\) was called before forward\\(\\)"):
        m.backward(np.ones((1, 2)))
    m(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"grad_out of shape \(2, 2\); expected shape \(3, 2\)"):
        m.backward(np.ones((2, 2)))
    rbf = RBF(1, 2, rng=0)
    rbf.params["beta"][0] = -0.1  # as a too-large SGD step could leave it
    with pytest.raises(ValueError, match="lower the learning rate"):
        rbf(np.ones((2, 1)))
