"""PReLU: a leaky ReLU whose negative-side slope is a learned parameter, one per feature."""

from __future__ import annotations

import math

import numpy as np

from .._validate import as_float_array, check_2d
from .base import Module


class PReLU(Module):
    """PReLU(x)_nd = x_nd for x_nd > 0, β_d·x_nd otherwise, with a learnable slope β of shape (D,).

    backward: ∂ℒ/∂x = g ⊙ (1 or β)  (β at the kink x = 0, as in ``LeakyReLU``),
              ∂ℒ/∂β_d += Σₙ g_nd · x_nd · 𝟙[x_nd ≤ 0]  (summed over the batch: every row uses β).

    ``params["slope"]`` holds β, initialised to ``init`` (0.25, as in He et al. 2015 and PyTorch).
    """

    def __init__(self, num_features: int, init: float = 0.25) -> None:
        super().__init__()
        if not isinstance(num_features, int | np.integer) or num_features < 1:
            raise ValueError(
                f"PReLU expected num_features to be a positive int; got {num_features!r}"
            )
        if not isinstance(init, int | float | np.number) or not math.isfinite(init):
            raise ValueError(f"PReLU expected init to be a finite number; got {init!r}")
        self.num_features = int(num_features)
        self._add_param("slope", np.full(self.num_features, float(init)))

    def __repr__(self) -> str:
        return f"PReLU({self.num_features})"

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, repr(self))
        check_2d(x, repr(self), self.num_features)
        self._cache = x
        return np.where(x > 0, x, self.params["slope"] * x)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x = self._cached()
        g = self._grad_out(grad_out, x.shape)
        negative = x <= 0
        # ∂a/∂β is x where the slope was used and 0 elsewhere; β is shared by the rows, so sum.
        self.grads["slope"] += (g * np.where(negative, x, 0.0)).sum(axis=0)
        return g * np.where(negative, self.params["slope"], 1.0)
