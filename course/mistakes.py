"""Deliberately wrong modules: the classic backprop bugs, for demos, tests and benchmarks.

Each one has a correct forward pass and exactly one mistake in backward, so that a gradient check,
not the output, is what catches it.
"""

from __future__ import annotations

import numpy as np

from .modules import Linear, Sigmoid, SoftmaxCrossEntropy


class TransposedWeightGradLinear(Linear):
    """Bug: ∂ℒ/∂W taken as xᵀg (in × out) instead of gᵀx (out × in). Only shape-compatible when
    in == out, which is exactly when the shape check cannot catch it."""

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x = self._cached()
        g = self._grad_out(grad_out, (x.shape[0], self.out_features))
        self.grads["weight"] += (g.T @ x).T
        self.grads["bias"] += g.sum(axis=0)
        return g @ self.params["weight"]


class UnsummedBiasGradLinear(Linear):
    """Bug: the bias gradient averages over the batch instead of summing (each example's gradient
    contributes, so it must be Σₙ gₙ)."""

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x = self._cached()
        g = self._grad_out(grad_out, (x.shape[0], self.out_features))
        self.grads["weight"] += g.T @ x
        self.grads["bias"] += g.mean(axis=0)
        return g @ self.params["weight"]


class MissingMeanSoftmaxCrossEntropy(SoftmaxCrossEntropy):
    """Bug: the loss averages over the batch but backward forgets the 1/N."""

    def backward(self, grad_out: float = 1.0) -> np.ndarray:
        return super().backward(grad_out) * self._cached()[0].shape[0]


class SigmoidGradFromInput(Sigmoid):
    """Bug: σ′ computed as x(1 − x) from the cached *input* instead of y(1 − y) from the output."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = super().forward(x)
        self._x_in = np.asarray(x, dtype=np.float64)
        return y

    def _local_grad(self) -> np.ndarray:
        return self._x_in * (1.0 - self._x_in)


ALL = {
    "transposed weight gradient": TransposedWeightGradLinear,
    "bias gradient not summed over the batch": UnsummedBiasGradLinear,
    "missing 1/N in the loss gradient": MissingMeanSoftmaxCrossEntropy,
    "sigma' from the input instead of the output": SigmoidGradFromInput,
}

__all__ = [c.__name__ for c in ALL.values()] + ["ALL"]
