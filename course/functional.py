"""Numerically stable elementwise and row-wise functions, shared by modules, lectures and widgets.

All of them accept any float array and never overflow or warn for inputs of magnitude 1e3 or more.
"""

from __future__ import annotations

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^(−x)), computed through e^(−|x|) so nothing overflows."""
    x = np.asarray(x, dtype=np.float64)
    z = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def sigmoid_grad_from_output(y: np.ndarray) -> np.ndarray:
    """σ′(x) written in terms of the output y = σ(x): σ′ = y (1 − y)."""
    return y * (1.0 - y)


def tanh(x: np.ndarray) -> np.ndarray:
    """tanh(x) = (e^x − e^(−x)) / (e^x + e^(−x)); numpy's tanh is already stable."""
    return np.tanh(np.asarray(x, dtype=np.float64))


def tanh_grad_from_output(y: np.ndarray) -> np.ndarray:
    """tanh′(x) written in terms of the output y = tanh(x): tanh′ = 1 − y²."""
    return 1.0 - y * y


def relu(x: np.ndarray) -> np.ndarray:
    """ReLU(x) = max(0, x)."""
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)


def leaky_relu(x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """LeakyReLU(x) = x for x > 0, slope·x otherwise."""
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, slope * x)


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """log softmax(x)_i = x_i − μ − log Σ_j e^(x_j − μ) with μ = max_j x_j (so every exponent is ≤ 0)."""
    x = np.asarray(x, dtype=np.float64)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """softmax(x)_i = e^(x_i − μ) / Σ_j e^(x_j − μ), μ = max_j x_j; multiplying top and bottom by e^(−μ)
    leaves the value unchanged and keeps every exponent ≤ 0."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_backward(y: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    """Row-wise Jacobian-vector product of softmax: Jᵀg = (diag(y) − y yᵀ) g = y ⊙ (g − ⟨g, y⟩).

    Costs O(N·K) and never builds the N×K×K Jacobian.
    """
    return y * (grad_out - (grad_out * y).sum(axis=-1, keepdims=True))
