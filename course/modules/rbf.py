"""RBF: a layer of Gaussian radial basis units, φ_k(x) = exp(−β_k ‖x − c_k‖²)."""

from __future__ import annotations

import numpy as np

from .._validate import as_float_array, check_2d, check_same_shape
from .base import Module


class RBF(Module):
    """Gaussian radial basis units: x of shape (N, D) → φ of shape (N, K), with
    φ_nk = exp(−β_k d_nk) and d_nk = ‖x_n − c_k‖² (the UvA cascade a₁ = (x − w)², a₂ = exp(−βa₁)).

    backward, with g = ∂ℒ/∂φ and s = −β ⊙ φ ⊙ g (= ∂ℒ/∂d):
      ∂ℒ/∂x_n = 2 Σ_k s_nk (x_n − c_k),   ∂ℒ/∂c_k += −2 Σ_n s_nk (x_n − c_k),
      ∂ℒ/∂β_k += −Σ_n g_nk d_nk φ_nk.

    Learnable: the centres ``params["centres"]`` (K, D) always; the inverse squared widths ``params["beta"]`` (K,)
    (larger β, narrower bump: it falls to half height at distance √(ln 2 / β))
    when ``learn_widths`` is true (the default), else β is fixed. The output weights u and the sum
    of the decks' RBF network are a ``Linear(K, out)`` after this module; for regression follow it
    with ``EuclideanLoss``. ``centres`` may be given (e.g. from k-means or from data points);
    otherwise they are drawn from a standard normal with ``rng``.
    """

    def __init__(
        self,
        in_features: int,
        num_units: int,
        centres: np.ndarray | None = None,
        beta: float | np.ndarray = 1.0,
        learn_widths: bool = True,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        super().__init__()
        for name, v in (("in_features", in_features), ("num_units", num_units)):
            if not isinstance(v, int | np.integer) or v < 1:
                raise ValueError(f"RBF expected {name} to be a positive int; got {v!r}")
        self.in_features, self.num_units = int(in_features), int(num_units)
        if centres is None:
            c = np.random.default_rng(rng).standard_normal((self.num_units, self.in_features))
        else:
            c = as_float_array(centres, repr(self), "centres").copy()
            check_same_shape(c, (self.num_units, self.in_features), repr(self), "centres")
        b = as_float_array(beta, repr(self), "beta")
        if b.ndim > 1 or b.size not in (1, self.num_units):
            raise ValueError(
                f"{self!r} got beta of shape {b.shape}; expected a number or shape ({self.num_units},)"
            )
        b = np.broadcast_to(b.reshape(-1), (self.num_units,)).copy()
        self._check_widths(b)
        self._add_param("centres", c)
        self._fixed_beta = None if learn_widths else b
        if learn_widths:
            self._add_param("beta", b)

    def __repr__(self) -> str:
        return f"RBF({getattr(self, 'in_features', '?')}→{getattr(self, 'num_units', '?')})"

    @property
    def beta(self) -> np.ndarray:
        """β (K,), each an inverse squared width: the learned parameter, or the fixed values."""
        return self.params["beta"] if self._fixed_beta is None else self._fixed_beta

    def _check_widths(self, b: np.ndarray) -> None:
        # β < 0 turns a bump into exp(+|β| d), which overflows far from the centre.
        if not np.isfinite(b).all() or (b < 0).any():
            raise ValueError(
                f"{self!r} expected beta (inverse squared widths) >= 0 and finite; got values in "
                f"[{b.min():.3g}, {b.max():.3g}] (if training pushed beta below 0, lower the "
                "learning rate or use learn_widths=False)"
            )

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, repr(self))
        check_2d(x, repr(self), self.in_features)
        beta, c = self.beta, self.params["centres"]
        self._check_widths(beta)
        # ‖x − c‖² = ‖x‖² − 2x·c + ‖c‖² costs one matrix product instead of an (N, K, D) array;
        # round-off can make it a hair below 0 when x ≈ c, hence the clip.
        d = np.maximum((x * x).sum(1, keepdims=True) - 2.0 * x @ c.T + (c * c).sum(1), 0.0)
        phi = np.exp(-beta * d)
        self._cache = (x, d, phi)
        return phi.copy()

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x, d, phi = self._cached()
        g = self._grad_out(grad_out, phi.shape)
        c = self.params["centres"]
        s = -self.beta * phi * g  # ∂ℒ/∂d, the a₂ = exp(−βa₁) step of the cascade
        # Σ_k s_nk (x_n − c_k) = x_n Σ_k s_nk − (s c)_n, and the same over n for the centres.
        self.grads["centres"] += -2.0 * (s.T @ x - s.sum(0)[:, None] * c)
        if self._fixed_beta is None:
            self.grads["beta"] += -(g * d * phi).sum(0)
        return 2.0 * (x * s.sum(1, keepdims=True) - s @ c)
