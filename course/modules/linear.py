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

    def __repr__(self) -> str:
        return f"Linear({self.in_features}→{self.out_features})"

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, repr(self))
        check_2d(x, repr(self), self.in_features)
        self._cache = x
        return x @ self.params["weight"].T + self.params["bias"]

    def backward(self, grad_out: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Add ∂ℒ/∂W = gᵀx and ∂ℒ/∂b = Σₙ gₙ into ``grads``; return ∂ℒ/∂x = g W, or None when
        ``input_grad`` is False (the first layer of a network: nothing uses ∂ℒ/∂x)."""
        x = self._cached()
        g = self._grad_out(grad_out, (x.shape[0], self.out_features))
        self.grads["weight"] += g.T @ x
        self.grads["bias"] += g.sum(axis=0)
        return g @ self.params["weight"] if input_grad else None
