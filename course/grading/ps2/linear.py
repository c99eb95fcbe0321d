"""ps2 check for Linear: y = x Wᵀ + b, its three gradients, accumulation and the edge cases.

A bug costs only what it breaks. When backward() raises while adding into a parameter gradient
(``grads['bias'] += g.sum(axis=1)``), the check runs it again on a fresh module whose gradient
there is a zero array of the shape that line produces (:func:`.harness.rescue`): that shows the rest of
backward() (its input gradient) and what the line computed, so each gradient is judged on its own.
"""

from __future__ import annotations

import numpy as np

from ...modules import Linear as RefLinear
from ..core import Mistake, NotTested, SubCheck, grade_item
from ..diagnose import check_values, close
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

_SHAPES = {"weight": "(out_features, in_features), like W", "bias": "(out_features,), like b"}
_NOT_AVERAGE = "the loss already averages over the batch, so a layer must not scale by N"


def _wrong(key: str, want: np.ndarray, g: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """The usual wrong parameter gradients, given the right one and grad_out."""
    n = len(g)
    if key == "weight":
        return [(f"divided by N: {_NOT_AVERAGE}", want / n),
                (f"multiplied by N: {_NOT_AVERAGE}", want * n)]  # fmt: skip
    return [
        ("not summed over the batch: ∂ℒ/∂b = Σₙ gₙ (sum over rows, axis=0)", g),
        ("summed over axis 1 (the features) instead of axis=0 (the batch): ∂ℒ/∂b = Σₙ gₙ",
         g.sum(axis=1)),
        ("keepdims=True leaves a (1, out_features) row: the bias gradient has the shape of b",
         want[None, :]),
        ("averaged over the batch instead of summed: ∂ℒ/∂b = Σₙ gₙ", g.mean(axis=0)),
        ("only the first example counted: sum over all rows", g[0]),
        ("sum() with no axis adds up all of grad_out: sum over the batch only, axis=0 (one "
         "entry per output)", np.full_like(want, g.sum())),
    ]  # fmt: skip


def check_linear(
    Linear, *, seed: int = 0, n: int = 4, d_in: int = 3, d_out: int = 2, hidden: bool = False
) -> float:
    """Linear: y = x Wᵀ + b; ∂ℒ/∂x = gW, ∂ℒ/∂W += gᵀx, ∂ℒ/∂b += Σₙ gₙ. Needs d_in ≠ d_out, n > 1."""

    def case(rows: int, offset: int = 0, big: bool = False):
        rng = np.random.default_rng([seed, rows, offset])
        x = extreme(rng, (rows, d_in)) if big else normal(rng, (rows, d_in))
        w, b, g = normal(rng, (d_out, d_in)), normal(rng, (d_out,)), normal(rng, (rows, d_out))
        m = build(Linear, d_in, d_out)
        load_params(m, {"weight": w, "bias": b}, _SHAPES)
        ref = RefLinear(d_in, d_out)
        ref.params["weight"][...], ref.params["bias"][...] = w, b
        return m, ref, x, g

    def rooms(rows: int) -> list[tuple[int, ...]]:
        """Shapes a wrong parameter-gradient line produces (see :func:`.harness.rescue`)."""
        return [(rows,), (1, d_out), (d_out, 1), (rows, d_out), (d_in, d_out), (rows, d_in)]

    def forward() -> None:
        m, ref, x, _ = case(n)
        y = own(m.forward, x)
        wrong = [("the bias is missing", ref.forward(x) - ref.params["bias"])]
        check_values(y, ref.forward(x), "forward(x)", hidden=hidden,
                     expected_shape="(N, out_features)", wrong=wrong)  # fmt: skip

    def backward(what: str) -> None:
        """One gradient, judged on its own (see the module docstring)."""
        m, ref, x, g = case(n)
        own(m.forward, x)
        dx = attempt(lambda: own(m.backward, g))
        ref.forward(x)
        want = ref.backward(g)
        added: dict[str, np.ndarray] = {}
        if isinstance(dx, BaseException):
            rescued, added = rescue(lambda: case(n)[0], x, g, list(_SHAPES), rooms(n))
            if rescued is None and what == "input":
                if not all(close(grad_of(m, k), ref.grads[k]) for k in _SHAPES):
                    raise NotTested(dx, "backward() raised before returning the input gradient")
                if isinstance(dx, ValueError):  # the parameter gradients came out right first
                    raise Mistake(
                        "backward() raised computing the input gradient, after right parameter "
                        "gradients: ∂ℒ/∂x = grad_out @ W is (N, out) @ (out, in) → (N, in); "
                        "check which of W and its transpose W.T fits"
                    )
                raise dx
            dx = dx if rescued is None else rescued
        if what == "input":
            check_values(dx, want, "backward(grad_out) (the input gradient)", hidden=hidden,
                         expected_shape="(N, in_features), like x",
                         wrong=[("it must be grad_out @ W, not the upstream gradient itself", g)])  # fmt: skip
            return
        got = added.get(what)
        if got is None:
            got = grad_of(m, what)
            if isinstance(dx, BaseException) and not got.any():
                raise NotTested(dx, "backward() raised before adding this gradient")
        check_values(got, ref.grads[what], f"self.grads['{what}']", hidden=hidden,
                     expected_shape=_SHAPES[what], wrong=_wrong(what, ref.grads[what], g))  # fmt: skip

    results, accumulated, unchanged = layer_checks(
        case, n, _SHAPES, "(N, out_features)", "(N, in_features), like x"
    )

    return grade_item(
        "Linear",
        [
            SubCheck("forward: output shape and values", 2, forward),
            SubCheck("backward: input gradient", 2, lambda: backward("input")),
            SubCheck("backward: weight gradient", 2, lambda: backward("weight")),
            SubCheck("backward: bias gradient", 1.5, lambda: backward("bias")),
            SubCheck("parameter gradients accumulate (+=)", 1, accumulated),
            *edge_cases(
                results, unchanged, "large inputs (|x| ≈ 1e3): finite and right", 0.5, hidden=hidden
            ),  # fmt: skip
        ],
        hidden=hidden,
    )
