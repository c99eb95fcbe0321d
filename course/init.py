"""Seedable weight initialisation for ``(out, in)`` weight matrices."""

from __future__ import annotations

import numpy as np

SCHEMES = ("he", "xavier", "lecun")


def make_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Accept a Generator, a seed or None (fresh entropy) and return a Generator."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def init_std(scheme: str, fan_in: int, fan_out: int) -> float:
    """Standard deviation of N(0, std²) weights: He √(2/in) keeps ReLU activations' variance,
    Xavier/Glorot √(2/(in+out)) balances forward and backward variance for tanh (slope 1 and
    mean 0 at the origin; the sigmoid's slope there is ¼, so the same argument asks for 4×
    Xavier's std), LeCun √(1/in) keeps the variance of a linear map."""
    if scheme == "he":
        return float(np.sqrt(2.0 / fan_in))
    if scheme == "xavier":
        return float(np.sqrt(2.0 / (fan_in + fan_out)))
    if scheme == "lecun":
        return float(np.sqrt(1.0 / fan_in))
    raise ValueError(f"unknown init scheme {scheme!r}; expected one of {SCHEMES}")


def init_weight(
    fan_out: int,
    fan_in: int,
    scheme: str = "he",
    rng: np.random.Generator | int | None = None,
    scale: float = 1.0,
) -> np.ndarray:
    """Draw an (out, in) weight matrix W_ij ~ N(0, (scale·std)²) for the given scheme."""
    return make_rng(rng).normal(0.0, scale * init_std(scheme, fan_in, fan_out), (fan_out, fan_in))
