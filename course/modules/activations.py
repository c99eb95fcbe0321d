"""Elementwise activations and the row-wise softmax. Each has no parameters."""

from __future__ import annotations

import numpy as np

from .. import functional as F
from .._validate import as_float_array, check_2d
from .base import Module


class _Elementwise(Module):
    """Shared plumbing: validate a 2-D batch, cache, and multiply by the local derivative."""

    def _input(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, repr(self))
        check_2d(x, repr(self))
        return x

    def _local_grad(self) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        cache = self._cached()
        g = self._grad_out(grad_out, cache.shape)
        # The Jacobian of an elementwise function is diagonal, so J g is an elementwise product.
        return g * self._local_grad()


class ReLU(_Elementwise):
    """ReLU(x) = max(0, x); ∂/∂x = 1 for x > 0 and 0 otherwise (the subgradient 0 at the kink)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._input(x)
        self._cache = x
        return np.maximum(x, 0.0)

    def _local_grad(self) -> np.ndarray:
        return self._cache > 0  # a boolean mask: g * mask gives floats without a float copy


class LeakyReLU(_Elementwise):
    """LeakyReLU(x) = x for x > 0, slope·x otherwise; ∂/∂x = 1 or slope (slope at the kink)."""

    def __init__(self, slope: float = 0.01) -> None:
        super().__init__()
        self.slope = float(slope)

    def __repr__(self) -> str:
        return f"LeakyReLU(slope={self.slope:g})"

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._input(x)
        self._cache = x
        return F.leaky_relu(x, self.slope)

    def _local_grad(self) -> np.ndarray:
        return np.where(self._cache > 0, 1.0, self.slope)


class Sigmoid(_Elementwise):
    """σ(x) = 1 / (1 + e^(−x)); σ′ = σ(1 − σ), computed from the cached *output*."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._cache = F.sigmoid(self._input(x))
        return self._cache.copy()

    def _local_grad(self) -> np.ndarray:
        return F.sigmoid_grad_from_output(self._cache)


class Tanh(_Elementwise):
    """tanh(x); tanh′ = 1 − tanh², computed from the cached *output*."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._cache = F.tanh(self._input(x))
        return self._cache.copy()

    def _local_grad(self) -> np.ndarray:
        return F.tanh_grad_from_output(self._cache)


class Softmax(Module):
    """Row-wise softmax ŷ_i = e^(x_i) / Σ_j e^(x_j), computed stably by subtracting the row max.

    backward uses the Jacobian-vector product (diag(ŷ) − ŷŷᵀ) g = ŷ ⊙ (g − ⟨g, ŷ⟩) per row.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, repr(self))
        check_2d(x, repr(self))
        self._cache = F.softmax(x, axis=1)
        return self._cache.copy()

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        y = self._cached()
        return F.softmax_backward(y, self._grad_out(grad_out, y.shape))
