"""Losses: ``forward(pred, target)`` returns a float averaged over the batch,
``backward(grad_out=1.0)`` returns ∂ℒ/∂pred with the shape of ``pred``."""

from __future__ import annotations

import numpy as np

from .. import functional as F
from .._validate import as_float_array, check_same_shape, class_labels
from .base import Loss

# Probabilities are floored here before the log so that log(0) gives a large finite loss, not inf.
_TINY = 1e-300


class SoftmaxCrossEntropy(Loss):
    """ℒ = −(1/N) Σₙ log softmax(zₙ)_{yₙ} from logits z (N, K) and integer labels (N,) or
    one-hot rows (N, K). ∂ℒ/∂z = (softmax(z) − y) / N: ŷ − y per example."""

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:  # type: ignore[override]
        z = self._pred(pred)
        y = class_labels(target, z.shape[0], z.shape[1], repr(self))
        logp = F.log_softmax(z, axis=1)
        self._cache = (np.exp(logp), y)
        return float(-(y * logp).sum() / z.shape[0])

    def backward(self, grad_out: float = 1.0) -> np.ndarray:
        p, y = self._cached()
        d = p - y
        d *= self._scale(grad_out) / p.shape[0]  # one scalar, one pass: no extra (N, K) arrays
        return d


class CrossEntropy(Loss):
    """ℒ = −(1/N) Σₙ Σₖ yₙₖ log pₙₖ from probabilities p (N, K) and labels (N,) or rows (N, K).
    ∂ℒ/∂pₖ = −yₖ / (N pₖ): zero off the true class. Probabilities are floored at 1e-300 before the log."""

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:  # type: ignore[override]
        p = self._pred(pred)
        if (p < 0).any() or (p > 1).any():
            raise ValueError(
                f"{self!r} expected probabilities in [0, 1]; got values in "
                f"[{p.min():.3g}, {p.max():.3g}]. Pass logits to SoftmaxCrossEntropy instead."
            )
        y = class_labels(target, p.shape[0], p.shape[1], repr(self))
        p = np.maximum(p, _TINY)
        self._cache = (p, y)
        return float(-(y * np.log(p)).sum() / p.shape[0])

    def backward(self, grad_out: float = 1.0) -> np.ndarray:
        p, y = self._cached()
        return self._scale(grad_out) * (-y / p) / p.shape[0]


class EuclideanLoss(Loss):
    """ℒ = (1/N) Σₙ ½‖ŷₙ − yₙ‖², so ∂ℒ/∂ŷ = (ŷ − y) / N.

    Unlike ``torch.nn.MSELoss`` (mean over all N·D entries, no ½), this sums over the D outputs,
    halves, and averages over the batch only: MSELoss = 2ℒ / D.
    """

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:  # type: ignore[override]
        yhat = self._pred(pred)
        y = as_float_array(target, repr(self), "target")
        check_same_shape(y, yhat.shape, repr(self), "target")
        diff = yhat - y
        self._cache = diff
        return float(0.5 * (diff * diff).sum() / yhat.shape[0])

    def backward(self, grad_out: float = 1.0) -> np.ndarray:
        diff = self._cached()
        return self._scale(grad_out) * diff / diff.shape[0]


class SigmoidBinaryCrossEntropy(Loss):
    """Binary cross-entropy on logits z (N, 1) with labels y ∈ {0, 1} of shape (N,) or (N, 1):
    ℒ = −(1/N) Σ [y log σ(z) + (1−y) log(1−σ(z))]; ∂ℒ/∂z = (σ(z) − y) / N: again ŷ − y."""

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:  # type: ignore[override]
        z = self._pred(pred)
        if z.shape[1] != 1:
            raise ValueError(f"{self!r} got logits of shape {z.shape}; expected (N, 1)")
        y = as_float_array(target, repr(self), "target").reshape(-1, 1)
        check_same_shape(y, z.shape, repr(self), "labels (as a column)")
        if not np.isin(y, (0.0, 1.0)).all():
            raise ValueError(f"{self!r} expected labels 0 or 1; got values {np.unique(y)[:5]}")
        # log σ(z) = −log(1 + e^(−z)) = −logaddexp(0, −z), stable for both signs of z
        loss = y * np.logaddexp(0.0, -z) + (1 - y) * np.logaddexp(0.0, z)
        self._cache = (F.sigmoid(z), y)
        return float(loss.sum() / z.shape[0])

    def backward(self, grad_out: float = 1.0) -> np.ndarray:
        p, y = self._cached()
        return self._scale(grad_out) * (p - y) / p.shape[0]
