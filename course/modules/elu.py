"""ELU: the identity for x > 0 and a smooth exponential approach to −α below."""

from __future__ import annotations

import math

import numpy as np

from .activations import _Elementwise


class ELU(_Elementwise):
    """ELU(x) = x for x > 0, α(eˣ − 1) otherwise; ∂/∂x = 1 for x > 0, αeˣ otherwise (α at x = 0).

    Only min(x, 0) is exponentiated, so inputs of any size give finite values.
    """

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        if not isinstance(alpha, int | float | np.number) or not math.isfinite(alpha) or alpha < 0:
            raise ValueError(f"ELU expected alpha to be a finite number >= 0; got {alpha!r}")
        self.alpha = float(alpha)

    def __repr__(self) -> str:
        return f"ELU(alpha={self.alpha:g})"

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._input(x)
        self._cache = x
        # expm1 keeps eˣ − 1 accurate for small |x|; np.where evaluates both sides, hence the min.
        return np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0.0)))

    def _local_grad(self) -> np.ndarray:
        x = self._cache
        return np.where(x > 0, 1.0, self.alpha * np.exp(np.minimum(x, 0.0)))
