"""ps2 checks for the elementwise activations (ReLU, Sigmoid, Tanh).

Each ``check_*`` takes the student's class, builds fresh instances per sub-check, compares with
the reference modules and returns the points from :func:`grade_item`. ``seed`` and the sizes are
arguments so that hidden tests can use data the visible checks never show.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ... import functional as F
from ...modules import ReLU as RefReLU
from ...modules import Sigmoid as RefSigmoid
from ...modules import Tanh as RefTanh
from .. import catalogue
from ..core import Mistake, NotTested, SubCheck, grade_item
from ..diagnose import as_array, check_values, close
from .edges import Result, attempt, edge_cases
from .harness import build, extreme, fits_own_forward, no_mutation, normal, own, own_vjp


# --- elementwise activations -----------------------------------------------------------------
def _activation(
    title: str,
    cls,
    ref_cls,
    wrong_forward: Callable[[np.ndarray], list[tuple[str, np.ndarray]]],
    wrong_backward: Callable[[np.ndarray, np.ndarray, np.ndarray], list[tuple[str, np.ndarray]]],
    overflow: str,
    *,
    seed: int,
    n: int,
    d: int,
    hidden: bool,
    extra: tuple[SubCheck, ...] = (),
    big_points: float = 1.0,
) -> float:
    """Forward, backward, N = 1, |x| ≈ 1e3 and no mutation for a parameter-free elementwise module.
    A backward that is right for the student's own (wrong) forward keeps its points."""

    def data(rows: int, big: bool = False):
        rng = np.random.default_rng([seed, rows, int(big)])
        x = extreme(rng, (rows, d)) if big else normal(rng, (rows, d), 1.5)
        return x, normal(rng, (rows, d))

    def forward() -> None:
        x, _ = data(n)
        y = own(build(cls).forward, x)
        check_values(y, ref_cls().forward(x), "forward(x)", hidden=hidden,
                     expected_shape="(N, D), like x", wrong=wrong_forward(x))  # fmt: skip

    def backward() -> None:
        x, g = data(n)
        m, ref = build(cls), ref_cls()
        mine = attempt(lambda: own(m.forward, x))
        if isinstance(mine, BaseException):
            raise NotTested(mine, "forward() raised, so backward() cannot run")
        dx = own(m.backward, g)
        y = ref.forward(x)
        if fits_own_forward(mine, y, dx, lambda: own_vjp(cls, x, g)):
            return  # the right derivative of the student's own forward: graded there
        check_values(dx, ref.backward(g), "backward(grad_out)", hidden=hidden,
                     expected_shape="(N, D), like x", wrong=wrong_backward(x, y, g))  # fmt: skip

    def results(rows: int = n, big: bool = False, ints: bool = False) -> list[Result]:
        x, g = data(rows, big)
        if ints:  # np.arange-like data, away from ReLU's kink (that has its own sub-check)
            x = np.round(2 * x).astype(np.int64)
            x[x == 0] = 1
        m, ref = build(cls), ref_cls()
        y = attempt(lambda: own(m.forward, x))
        dx = y if isinstance(y, BaseException) else attempt(lambda: own(m.backward, g))
        return [Result("forward(x)", y, ref.forward(x), "(N, D), like x", overflow),
                Result("backward(grad_out)", dx, ref.backward(g), "(N, D), like x", overflow)]  # fmt: skip

    def unchanged() -> None:
        x, g = data(n)
        no_mutation(build(cls), (x,), g)

    return grade_item(
        title,
        [
            SubCheck("forward: output shape and values", 1.5, forward),
            SubCheck("backward: input gradient", 1.5, backward),
            *extra,
            *edge_cases(
                results,
                unchanged,
                "large inputs (|x| ≈ 1e3): finite and right",
                big_points,
                hidden=hidden,
                integers=True,
            ),  # fmt: skip
        ],
        hidden=hidden,
    )


def check_relu(ReLU, *, seed: int = 0, n: int = 4, d: int = 3, hidden: bool = False) -> float:
    """ReLU: y = max(0, x); ∂ℒ/∂x = g ⊙ 𝟙[x > 0] (0 at x = 0 exactly, the course's choice)."""

    def at_zero() -> None:
        x = np.array([[0.0, 1.0, -1.0, 0.0]])
        g = np.array([[1.5, -2.0, 0.5, -1.0]])
        m = build(ReLU)
        mine = attempt(lambda: own(m.forward, x))
        if isinstance(mine, BaseException):
            raise NotTested(mine, "forward() raised")
        dx = as_array(own(m.backward, g), "backward(grad_out)")
        if dx.shape != x.shape or not close(dx[:, [1, 2]], np.array([[-2.0, 0.0]])):
            raise Mistake("not tested: backward(grad_out) is wrong away from 0 as well "
                          "(see “backward: input gradient”)")  # fmt: skip
        if not close(dx, np.array([[0.0, -2.0, 0.0, 0.0]])):
            raise Mistake("at x = 0 exactly the gradient must be 0: the mask is 𝟙[x > 0] "
                          "(strict), the subgradient this course uses")  # fmt: skip

    return _activation(
        "ReLU", ReLU, RefReLU,
        lambda x: [("that is the identity: negative inputs must give 0", x)]
        + [(f"that is a leaky ReLU (slope {a:g} for x < 0): negative inputs must give exactly 0",
            np.where(x > 0, x, a * x)) for a in (0.01, 0.05, 0.1, 0.2)],
        lambda x, y, g: catalogue.relu_grad(x, g),
        "use np.maximum(x, 0) or a mask, never an exponential",
        seed=seed, n=n, d=d, hidden=hidden,
        extra=(SubCheck("gradient 0 at x = 0 exactly", 0.5, at_zero),), big_points=0.5,
    )  # fmt: skip


def check_sigmoid(Sigmoid, *, seed: int = 0, n: int = 4, d: int = 3, hidden: bool = False) -> float:
    """Sigmoid: y = σ(x); ∂ℒ/∂x = g ⊙ y(1 − y) with y the cached *output*."""
    return _activation(
        "Sigmoid", Sigmoid, RefSigmoid,
        lambda x: [("that is σ(−x): check the sign in the exponent", F.sigmoid(-x))],
        lambda x, y, g: catalogue.sigmoid_grad(y, x, g),
        "e^(−x) overflows for large negative x; use e^(−|x|) (two cases by sign)",
        seed=seed, n=n, d=d, hidden=hidden
    )  # fmt: skip


def check_tanh(Tanh, *, seed: int = 0, n: int = 4, d: int = 3, hidden: bool = False) -> float:
    """Tanh: y = tanh(x); ∂ℒ/∂x = g ⊙ (1 − y²) with y the cached *output*."""
    return _activation(
        "Tanh", Tanh, RefTanh,
        lambda x: [("that is σ(x), not tanh(x) = 2σ(2x) − 1", F.sigmoid(x)),
                   ("that is 2σ(x) − 1 = tanh(x/2): the argument of σ must be 2x",
                    2 * F.sigmoid(x) - 1)],
        lambda x, y, g: catalogue.tanh_grad(y, x, g),
        "e^x overflows for |x| ≈ 1e3; use np.tanh",
        seed=seed, n=n, d=d, hidden=hidden
    )  # fmt: skip
