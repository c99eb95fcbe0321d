"""ps2 checks for Softmax and the two losses (SoftmaxCrossEntropy, EuclideanLoss)."""

from __future__ import annotations

import numpy as np

from .. import functional as F
from ..modules import EuclideanLoss as RefEuclidean
from ..modules import Softmax as RefSoftmax
from ..modules import SoftmaxCrossEntropy as RefSCE
from .core import SubCheck, grade_item
from .diagnose import as_array, as_scalar, check_finite, check_scalar, check_values
from .ps2_harness import build, edge_cases, extreme, no_mutation, normal, own

_MAX = "subtract each row's max before np.exp (softmax(x) = softmax(x − max x)), so e^x cannot overflow"
_LOGSM = "compute log-softmax as (z − max z) − log Σ e^(z − max z) instead of log(softmax(z))"


def _logits(seed: int, rows: int, k: int, big: bool, tag: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng([seed, rows, k, int(big), tag])
    z = extreme(rng, (rows, k)) if big else normal(rng, (rows, k), 2.0)
    return z, normal(rng, (rows, k)), rng.integers(0, k, size=rows)


def check_softmax(Softmax, *, seed: int = 0, n: int = 4, k: int = 3, hidden: bool = False) -> float:
    """Softmax over each row; backward is the Jacobian-vector product y ⊙ (g − ⟨g, y⟩)."""
    reveal = not hidden

    def forward(rows: int = n, big: bool = False) -> None:
        z, _, _ = _logits(seed, rows, k, big)
        y = own(build(Softmax).forward, z)
        if big:
            check_finite(as_array(y, "forward(x)"), "forward(x) on large inputs", _MAX)
        e = np.exp(z - z.max(axis=0, keepdims=True))
        check_values(y, F.softmax(z, axis=1), "forward(x)", reveal=reveal,
                     expected_shape="(N, K), like x",
                     wrong=[("normalised over the batch (axis 0); each row must sum to 1",
                             e / e.sum(axis=0, keepdims=True)),
                            ("the outputs are not normalised: divide by the row sum",
                             np.exp(z - z.max(axis=1, keepdims=True)))])  # fmt: skip

    def backward(rows: int = n, big: bool = False) -> None:
        z, g, _ = _logits(seed, rows, k, big)
        m, ref = build(Softmax), RefSoftmax()
        own(m.forward, z)
        dz = own(m.backward, g)
        y = ref.forward(z)
        if big:
            check_finite(as_array(dz, "backward(grad_out)"), "backward on large inputs", _MAX)
        check_values(dz, ref.backward(g), "backward(grad_out)", reveal=reveal,
                     expected_shape="(N, K), like x",
                     wrong=[("only the diagonal of the Jacobian was used: J = diag(y) − y yᵀ, so "
                             "the result is y ⊙ (g − ⟨g, y⟩) per row", g * y * (1 - y)),
                            ("the sum ⟨g, y⟩ must be taken over each row (axis=1), not over "
                             "the whole batch", y * (g - (g * y).sum()))])  # fmt: skip

    def unchanged() -> None:
        z, g, _ = _logits(seed, n, k, False)
        no_mutation(build(Softmax), (z,), g)

    return grade_item(
        "Softmax",
        [
            SubCheck("forward: output shape and values", 2, forward),
            SubCheck("backward: Jacobian-vector product", 3, backward),
            *edge_cases(forward, backward, unchanged, "large logits (|x| ≈ 1e3): no overflow", 2),
        ],
        reveal=reveal,
    )


def check_softmax_cross_entropy(
    SoftmaxCrossEntropy, *, seed: int = 0, n: int = 4, k: int = 3, hidden: bool = False
) -> float:
    """ℒ = −(1/N) Σₙ log softmax(zₙ)_{yₙ}; ∂ℒ/∂z = (softmax(z) − onehot(y)) / N. Needs n > 1."""
    reveal = not hidden

    def run(rows: int = n, big: bool = False, onehot: bool = False, scale: float = 1.0):
        z, _, labels = _logits(seed, rows, k, big, tag=1)
        target = np.eye(k)[labels] if onehot else labels
        m, ref = build(SoftmaxCrossEntropy), RefSCE()
        loss = own(m.forward, z, target)
        dz = own(m.backward, scale)
        return loss, dz, ref.forward(z, target), ref.backward(scale), rows

    def value(**kw) -> None:
        loss, _, want, _, rows = run(**kw)
        if kw.get("big") and not np.isfinite(as_scalar(loss, "the loss")):
            check_finite(np.array(as_scalar(loss, "the loss")), "the loss on large logits", _LOGSM)
        check_scalar(loss, want, "forward(z, y) (the loss)",
                     wrong=[("summed over the batch; the loss is the batch *mean*", want * rows),
                            ("divided by N twice", want / rows),
                            ("the sign is flipped: ℒ = −log ŷ of the true class", -want)])  # fmt: skip

    def gradient(**kw) -> None:
        _, dz, _, want, rows = run(**kw)
        if kw.get("big"):
            check_finite(as_array(dz, "backward()"), "backward() on large logits", _MAX)
        check_values(dz, want, "backward() (∂ℒ/∂z)", reveal=reveal,
                     expected_shape="(N, K), like the logits",
                     wrong=[("missing 1/N: the loss averages over the batch, so ∂ℒ/∂z = (ŷ − y)/N",
                             want * rows),
                            ("divided by N twice: ∂ℒ/∂z = (ŷ − y)/N", want / rows),
                            ("grad_out was ignored: multiply by it (the chain rule)",
                             want / kw.get("scale", 1.0))])  # fmt: skip

    def unchanged() -> None:
        z, _, labels = _logits(seed, n, k, False, tag=1)
        no_mutation(build(SoftmaxCrossEntropy), (z, labels))

    return grade_item(
        "SoftmaxCrossEntropy",
        [
            SubCheck("forward: the loss value", 2, value),
            SubCheck("backward: ∂ℒ/∂logits", 2, gradient),
            SubCheck(
                "one-hot targets give the same loss and gradient",
                1,
                lambda: (value(onehot=True), gradient(onehot=True)),
            ),  # fmt: skip
            _scales_by_grad_out(gradient),
            *edge_cases(
                value, gradient, unchanged, "large logits (|z| ≈ 1e3): finite and right", 1.5
            ),
        ],
        reveal=reveal,
    )


def check_euclidean_loss(
    EuclideanLoss, *, seed: int = 0, n: int = 4, d: int = 3, hidden: bool = False
) -> float:
    """ℒ = (1/N) Σₙ ½‖ŷₙ − yₙ‖²; ∂ℒ/∂ŷ = (ŷ − y) / N. Needs n > 1 and d > 1."""
    reveal = not hidden

    def run(rows: int = n, big: bool = False, scale: float = 1.0):
        rng = np.random.default_rng([seed, rows, int(big), 2])
        pred = extreme(rng, (rows, d)) if big else normal(rng, (rows, d))
        target = normal(rng, (rows, d))
        m, ref = build(EuclideanLoss), RefEuclidean()
        loss = own(m.forward, pred, target)
        grad = own(m.backward, scale)
        return loss, grad, ref.forward(pred, target), ref.backward(scale), rows, (pred, target)

    def value(**kw) -> None:
        loss, _, want, _, rows, _ = run(**kw)
        check_scalar(loss, want, "forward(pred, target) (the loss)",
                     wrong=[("missing 1/N: average over the batch", want * rows),
                            ("the ½ is missing: ℒ = (1/N) Σ ½‖ŷ − y‖²", 2 * want),
                            ("averaged over every entry (N·D) like torch's MSELoss; average over "
                             "the N examples only", want / d),
                            ("that is torch's MSELoss (mean over N·D, no ½)", 2 * want / d)])  # fmt: skip

    def gradient(**kw) -> None:
        _, grad, _, want, rows, _ = run(**kw)
        if kw.get("big"):
            check_finite(as_array(grad, "backward()"), "backward() on large inputs", "overflow")
        check_values(grad, want, "backward() (∂ℒ/∂pred)", reveal=reveal,
                     expected_shape="(N, D), like pred",
                     wrong=[("missing 1/N: ∂ℒ/∂ŷ = (ŷ − y)/N", want * rows),
                            ("an extra factor 2: the ½ cancels the 2 from the square", 2 * want),
                            ("grad_out was ignored: multiply by it (the chain rule)",
                             want / kw.get("scale", 1.0))])  # fmt: skip

    def unchanged() -> None:
        _, _, _, _, _, inputs = run()
        no_mutation(build(EuclideanLoss), inputs)

    return grade_item(
        "EuclideanLoss",
        [
            SubCheck("forward: the loss value", 1.5, value),
            SubCheck("backward: ∂ℒ/∂pred", 1.5, gradient),
            _scales_by_grad_out(gradient),
            *edge_cases(value, gradient, unchanged, "large inputs (|ŷ| ≈ 1e3) stay finite", 0.5),
        ],
        reveal=reveal,
    )


def _scales_by_grad_out(gradient) -> SubCheck:
    """A loss's backward(grad_out) multiplies by grad_out: the chain rule's first step."""
    return SubCheck("backward(grad_out) scales by grad_out", 0.5, lambda: gradient(scale=2.5))
