"""ps2 check for PReLU, an activation with a learned parameter: the slope β, one per feature.

A parameter inside an activation is where the classic mistakes meet: ∂ℒ/∂β not summed over the
batch, the slope used for x > 0, ∂a/∂β taken on the wrong side of 0, the gradient overwritten
instead of accumulated. Each has its own message.
"""

from __future__ import annotations

import numpy as np

from ...modules import PReLU as RefPReLU
from ..core import NotTested, SubCheck, grade_item
from ..diagnose import check_values
from .edges import attempt, edge_cases
from .harness import (
    build,
    extreme,
    grad_of,
    layer_checks,
    load_params,
    normal,
    own,
    rescue,
)

_SLOPE = {"slope": "(num_features,)"}
_LIKE_X = "(N, D), like x"
_NO_EXP = "PReLU needs no exponential: use np.where(x > 0, x, slope * x)"


def check_prelu(PReLU, *, seed: int = 0, n: int = 4, d: int = 3, hidden: bool = False) -> float:
    """PReLU: y = x for x > 0, βx otherwise; ∂ℒ/∂x = g ⊙ (1 or β), ∂ℒ/∂β += Σₙ g ⊙ x ⊙ 𝟙[x ≤ 0].
    Needs n ≥ 2 (each feature then sees both signs) and d ≥ 2 (one slope per feature)."""

    def case(rows: int, offset: int = 0, big: bool = False):
        rng = np.random.default_rng([seed, rows, offset, int(big)])
        x = extreme(rng, (rows, d)) if big else normal(rng, (rows, d), 1.5)
        if rows >= 2:  # every feature sees both signs, so a wrong side of 0 shows in every entry
            x[0], x[1] = abs(x[0]), -abs(x[1])
        if rows >= 3:  # exact kinks: the prompt's x ≤ 0 side decides dx there
            x[2, ::2] = 0.0
        # A negative, a zero and a positive slope: a mask read off the output, or a formula
        # that holds only for a positive slope, shows on some feature.
        slope = rng.uniform(0.1, 0.6, d) * np.resize([-1.0, 0.0, 1.0], d)
        g = normal(rng, (rows, d))
        m = build(PReLU, d)
        load_params(m, {"slope": slope}, _SLOPE)
        ref = RefPReLU(d)
        ref.params["slope"][...] = slope
        return m, ref, x, g

    def forward() -> None:
        m, ref, x, _ = case(n)
        b = ref.params["slope"]
        check_values(own(m.forward, x), ref.forward(x), "forward(x)", hidden=hidden,
                     expected_shape=_LIKE_X,
                     wrong=[("the slope multiplies every input; it applies only where x ≤ 0", b * x),
                            ("that is ReLU: negative inputs give slope · x, not 0", np.maximum(x, 0)),
                            ("the two sides are swapped: x for x > 0, slope · x otherwise",
                             np.where(x > 0, b * x, x))])  # fmt: skip

    def backward(what: str) -> None:
        """One gradient, judged on its own, as in check_linear (see :func:`.harness.rescue`)."""
        m, ref, x, g = case(n)
        own(m.forward, x)
        dx = attempt(lambda: own(m.backward, g))
        ref.forward(x)
        want = ref.backward(g)
        b, neg = ref.params["slope"], x <= 0
        slope = None
        if isinstance(dx, BaseException):
            rescued, added = rescue(lambda: case(n)[0], x, g, ["slope"], _rooms(n, d))
            if rescued is None:
                raise NotTested(dx, "backward() raised before finishing")
            dx, slope = rescued, added["slope"]
        if what == "input":
            check_values(dx, want, "backward(grad_out) (the input gradient)", hidden=hidden,
                         expected_shape=_LIKE_X,
                         wrong=[("the slope was used for x > 0: ∂a/∂x is 1 there and β only "
                                 "where x ≤ 0", g * np.where(neg, 1.0, b)),
                                ("the slope multiplies every entry: ∂a/∂x is 1 where x > 0",
                                 g * b),
                                ("that is ReLU's gradient: where x ≤ 0, ∂a/∂x = β, not 0",
                                 g * ~neg),
                                ("that is the local derivative alone: multiply it by grad_out "
                                 "(the chain rule)", np.where(neg, b, 1.0)),
                                ("the mask must come from the input x, not from grad_out",
                                 g * np.where(g > 0, 1.0, b)),
                                ("the mask must come from the input x, not from the output: "
                                 "with a negative slope, slope · x > 0 where x < 0",
                                 g * np.where(ref.forward(x) > 0, 1.0, b)),
                                ("at x = 0 take the x ≤ 0 side: ∂a/∂x = β there, not 1",
                                 g * np.where(x < 0, b, 1.0))])  # fmt: skip
            return
        local = g * np.where(neg, x, 0.0)
        slope = grad_of(m, "slope") if slope is None else slope
        check_values(slope, ref.grads["slope"], "self.grads['slope']",
                     hidden=hidden, expected_shape="(num_features,), like the slope",
                     wrong=[("not summed over the batch: β is shared by every example, so "
                             "∂ℒ/∂β = Σₙ gₙ ⊙ xₙ ⊙ 𝟙[xₙ ≤ 0] (sum over rows)", local),
                            ("averaged over the batch instead of summed: ∂ℒ/∂β = Σₙ (…), and "
                             "the loss already averages", local.mean(axis=0)),
                            ("keepdims=True leaves a (1, num_features) row: the slope "
                             "gradient has the shape of the slope", ref.grads["slope"][None, :]),
                            ("summed over the features as well: each feature has its own "
                             "slope, so sum over rows only (axis=0)", np.full(d, local.sum())),
                            ("∂a/∂β was taken where x > 0: the slope acts only where x ≤ 0, "
                             "so ∂a/∂β = x there and 0 elsewhere",
                             (g * np.where(neg, 0.0, x)).sum(axis=0)),
                            ("the 𝟙[x ≤ 0] mask is missing: ∂a/∂β = 0 where x > 0",
                             (g * x).sum(axis=0)),
                            ("∂a/∂β is x (where x ≤ 0), not 1", (g * neg).sum(axis=0)),
                            ("∂a/∂β is x, not β: that is ∂a/∂x", (g * neg * b).sum(axis=0)),
                            ("grad_out is missing: ∂ℒ/∂β = Σₙ gₙ ⊙ ∂a/∂β (the chain rule)",
                             np.where(neg, x, 0.0).sum(axis=0)),
                            ("the 𝟙[x ≤ 0] mask must come from the input x, not from the "
                             "output: with a negative slope, slope · x > 0 where x < 0",
                             (g * np.where(ref.forward(x) <= 0, x, 0.0)).sum(axis=0))])  # fmt: skip

    results, accumulated, unchanged = layer_checks(case, n, _SLOPE, _LIKE_X, _LIKE_X, _NO_EXP)

    return grade_item(
        "PReLU",
        [
            SubCheck("forward: output shape and values", 1.5, forward),
            SubCheck("backward: input gradient", 1.5, lambda: backward("input")),
            SubCheck("backward: slope gradient", 2.5, lambda: backward("slope")),
            SubCheck("the slope gradient accumulates (+=)", 1, accumulated),
            *edge_cases(
                results, unchanged, "large inputs (|x| ≈ 1e3): finite and right", 0.5, hidden=hidden
            ),  # fmt: skip
        ],
        hidden=hidden,
    )


def _rooms(rows: int, d: int) -> list[tuple[int, ...]]:
    """Shapes a wrong slope-gradient line produces (see :func:`.harness.rescue`)."""
    return [(1, d), (rows,), (d, 1), (rows, d)]
