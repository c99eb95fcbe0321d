"""Fully connected layer y = x Wᵀ + b (PyTorch's layout; per example z = W h + b)."""

from __future__ import annotations

import numpy as np

from .._validate import as_float_array, check_2d
from ..init import init_weight
from .base import Module


class Linear(Module):
    """Affine map from ``in_features`` to ``out_features``.

    forward:  y = x Wᵀ + b,  x: (N, in), W: (out, in), b: (out,), y: (N, out)
    backward: ∂ℒ/∂x = g W,  ∂ℒ/∂W += gᵀ x,  ∂ℒ/∂b += Σₙ gₙ  (g = ∂ℒ/∂y, shape (N, out))
              ``backward(g, input_grad=False)`` skips ∂ℒ/∂x (see ``Sequential.backward``).

    ``init`` is "he" (default, for the ReLU family), "xavier" (Glorot) or "lecun"; ``rng`` is a
    seed or Generator so that initialisation is reproducible. Biases start at zero.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        init: str = "he",
        rng: np.random.Generator | int | None = None,
        init_scale: float = 1.0,
    ) -> None:
        super().__init__()
        for name, v in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(v, int | np.integer) or v < 1:
                raise ValueError(f"Linear expected {name} to be a positive int; got {v!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        self._add_param("weight", init_weight(out_features, in_features, init, rng, init_scale))
        self._add_param("bias", np.zeros(out_features))
        self._scratch: np.ndarray | None = None

    def __repr__(self) -> str:
        return f"Linear({self.in_features}→{self.out_features})"

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, repr(self))
        check_2d(x, repr(self), self.in_features)
        self._cache = x
        y = x @ self.params["weight"].T
        y += self.params["bias"]  # in place: one (N, out) array, not two
        return y

    def backward(self, grad_out: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Add ∂ℒ/∂W and ∂ℒ/∂b into ``grads``; return ∂ℒ/∂x, or None when ``input_grad`` is False
        (the first layer of a network: nothing uses ∂ℒ/∂x, and g W is a third of its products)."""
        x = self._cached()
        g = self._grad_out(grad_out, (x.shape[0], self.out_features))
        gw = self.grads["weight"]
        if _all_zero(gw):  # just zeroed (the usual case): write gᵀx straight in, no second pass
            np.matmul(g.T, x, out=gw)
        else:  # accumulate through a buffer kept between calls (a fresh one costs page faults)
            if self._scratch is None or self._scratch.shape != gw.shape:
                self._scratch = np.empty_like(gw)
            gw += np.matmul(g.T, x, out=self._scratch)
        self.grads["bias"] += g.sum(axis=0)
        return g @ self.params["weight"] if input_grad else None


def _all_zero(a: np.ndarray) -> bool:
    """Whether every entry is +0.0, in one pass: a float64's bits read as an unsigned integer are
    0 only for +0.0 (−0.0 and NaN count as nonzero; the caller then just adds, as always)."""
    return a.dtype == np.float64 and int(a.view(np.uint64).max()) == 0
