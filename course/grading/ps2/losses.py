"""ps2 checks for the two losses: SoftmaxCrossEntropy and EuclideanLoss.

A loss's backward is judged against its own forward where that forward is wrong: a gradient that
is right for the student's own loss (central differences of it) keeps its points.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ...modules import EuclideanLoss as RefEuclidean
from ...modules import SoftmaxCrossEntropy as RefSCE
from .. import catalogue
from ..core import KnownMistake, Mistake, NotTested, SubCheck, grade_item
from ..diagnose import as_array, as_scalar, check_scalar, check_values, close
from .edges import Result, attempt, edge_cases
from .harness import build, extreme, no_mutation, normal, own
from .softmax import _LOGSM, _MAX, _logits


def check_softmax_cross_entropy(
    SoftmaxCrossEntropy, *, seed: int = 0, n: int = 4, k: int = 3, hidden: bool = False
) -> float:
    """ℒ = −(1/N) Σₙ log softmax(zₙ)_{yₙ}; ∂ℒ/∂z = (softmax(z) − onehot(y)) / N. Needs n > 1."""

    def run(rows: int = n, big: bool = False, onehot: bool | None = None, scale: float = 1.0):
        """(student's loss, student's gradient, reference loss, reference gradient); the
        student's two are the exception raised if their code failed. ``onehot=None`` uses the
        targets that work: integer labels, unless only one-hot rows do (then the failure with
        integer labels costs the loss-value sub-check, and the rest is judged with one-hot)."""
        z, _, labels = _logits(seed, rows, k, big, tag=1)
        onehot = only_onehot() if onehot is None else onehot
        target = np.eye(k)[labels] if onehot else labels
        m, ref = build(SoftmaxCrossEntropy), RefSCE()
        loss = attempt(lambda: own(m.forward, z, target))
        dz = loss if isinstance(loss, BaseException) else attempt(lambda: own(m.backward, scale))
        return loss, dz, ref.forward(z, target), ref.backward(scale)

    memo: dict[str, object] = {}

    def only_onehot() -> bool:
        if "onehot" not in memo:
            ints, rows = run(onehot=False)[0], run(onehot=True)[0]
            memo["ints"] = ints
            memo["onehot"] = isinstance(ints, BaseException) and not isinstance(rows, BaseException)
        return bool(memo["onehot"])

    def value() -> None:
        loss, _, want, _ = run(onehot=False)
        if isinstance(loss, BaseException) and only_onehot():
            raise Mistake(
                f"forward(z, y) raised {getattr(loss, 'type_name', type(loss).__name__)} with "
                "integer labels, while one-hot rows work: keep integer labels as integers (a "
                "float array cannot index, e.g. np.eye(K)[labels] or p[np.arange(N), labels])"
            )
        check_scalar(_raised(loss), want, "forward(z, y) (the loss)",
                     wrong=[("summed over the batch; the loss is the batch *mean*", want * n),
                            ("divided by N twice", want / n),
                            ("the sign is flipped: ℒ = −log ŷ of the true class", -want)])  # fmt: skip

    def gradient() -> None:
        mine, dz, _, want = run()
        z, _, labels = _logits(seed, n, k, False, tag=1)
        target = np.eye(k)[labels] if only_onehot() else labels
        if _fits_own_loss(SoftmaxCrossEntropy, mine, dz, want, z, target):
            return  # the right gradient of the student's own (wrong) loss: graded there
        check_values(_raised(dz), want, "backward() (∂ℒ/∂z)", hidden=hidden,
                     expected_shape="(N, K), like the logits",
                     wrong=catalogue.softmax_ce_grad(z, labels))  # fmt: skip

    def onehot() -> None:
        """One-hot rows give what the same labels as integers give (the reference if those fail)."""
        if only_onehot():
            raise NotTested(memo["ints"], "integer labels raised (see “forward: the loss value”)")
        labels, rows = run(onehot=False), run(onehot=True)
        if isinstance(rows[0], BaseException) and not isinstance(labels[0], BaseException):
            raise KnownMistake(
                f"forward(z, y) raised {getattr(rows[0], 'type_name', type(rows[0]).__name__)} "
                "with one-hot target rows, while integer labels work: accept (N, K) one-hot "
                "rows too (e.g. labels = y.argmax(axis=1) when y.ndim == 2)"
            )
        for i, what in ((0, "forward(z, y) (the loss)"), (1, "backward() (∂ℒ/∂z)")):
            base = labels[i] if not isinstance(labels[i], BaseException) else labels[i + 2]
            got = _raised(rows[i])
            if i == 0:
                check_scalar(got, as_scalar(base, what), f"{what} with one-hot targets")
            else:
                check_values(got, as_array(base, what), f"{what} with one-hot targets",
                             hidden=hidden, expected_shape="(N, K), like the logits")  # fmt: skip

    def results(rows: int = n, big: bool = False) -> list[Result]:
        loss, dz, want, grad = run(rows, big)
        return [Result("forward(z, y) (the loss)", loss, want, "", _LOGSM),
                Result("backward() (∂ℒ/∂z)", dz, grad, "(N, K), like the logits", _MAX)]  # fmt: skip

    def unchanged() -> None:
        z, _, labels = _logits(seed, n, k, False, tag=1)
        no_mutation(build(SoftmaxCrossEntropy), (z, np.eye(k)[labels] if only_onehot() else labels))

    return grade_item(
        "SoftmaxCrossEntropy",
        [
            SubCheck("forward: the loss value", 2, value),
            SubCheck("backward: ∂ℒ/∂logits", 2, gradient),
            SubCheck("one-hot targets give the same loss and gradient", 1, onehot, hygiene=True),
            _scales_by_grad_out(lambda scale: run(scale=scale)[1]),
            *edge_cases(
                results, unchanged, "large logits (|z| ≈ 1e3): finite and right", 1.5, hidden=hidden
            ),  # fmt: skip
        ],
        hidden=hidden,
    )


def check_euclidean_loss(
    EuclideanLoss, *, seed: int = 0, n: int = 4, d: int = 3, hidden: bool = False
) -> float:
    """ℒ = (1/N) Σₙ ½‖ŷₙ − yₙ‖²; ∂ℒ/∂ŷ = (ŷ − y) / N. Needs n > 1 and d > 1."""

    def data(rows: int = n, big: bool = False) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng([seed, rows, int(big), 2])
        pred = extreme(rng, (rows, d)) if big else normal(rng, (rows, d))
        return pred, normal(rng, (rows, d))

    def run(rows: int = n, big: bool = False, scale: float = 1.0):
        """As in check_softmax_cross_entropy: student's loss and gradient, then the reference's."""
        pred, target = data(rows, big)
        m, ref = build(EuclideanLoss), RefEuclidean()
        loss = attempt(lambda: own(m.forward, pred, target))
        grad = loss if isinstance(loss, BaseException) else attempt(lambda: own(m.backward, scale))
        return loss, grad, ref.forward(pred, target), ref.backward(scale)

    def value() -> None:
        loss, _, want, _ = run()
        check_scalar(_raised(loss), want, "forward(pred, target) (the loss)",
                     wrong=[("missing 1/N: average over the batch", want * n),
                            ("the ½ is missing: ℒ = (1/N) Σ ½‖ŷ − y‖²", 2 * want),
                            ("averaged over every entry (N·D) like torch's MSELoss; average over "
                             "the N examples only", want / d),
                            ("that is torch's MSELoss (mean over N·D, no ½)", 2 * want / d)])  # fmt: skip

    def gradient() -> None:
        mine, grad, _, want = run()
        if _fits_own_loss(EuclideanLoss, mine, grad, want, *data()):
            return  # the right gradient of the student's own (wrong) loss: graded there
        check_values(_raised(grad), want, "backward() (∂ℒ/∂pred)", hidden=hidden,
                     expected_shape="(N, D), like pred",
                     wrong=[("missing 1/N: ∂ℒ/∂ŷ = (ŷ − y)/N", want * n),
                            ("an extra factor 2: the ½ cancels the 2 from the square", 2 * want)])  # fmt: skip

    def results(rows: int = n, big: bool = False) -> list[Result]:
        loss, grad, want, want_grad = run(rows, big)
        return [Result("forward(pred, target) (the loss)", loss, want),
                Result("backward() (∂ℒ/∂pred)", grad, want_grad, "(N, D), like pred")]  # fmt: skip

    def unchanged() -> None:
        no_mutation(build(EuclideanLoss), data())

    return grade_item(
        "EuclideanLoss",
        [
            SubCheck("forward: the loss value", 1.5, value),
            SubCheck("backward: ∂ℒ/∂pred", 1.5, gradient),
            _scales_by_grad_out(lambda scale: run(scale=scale)[1]),
            *edge_cases(
                results, unchanged, "large inputs (|ŷ| ≈ 1e3): finite and right", 0.5, hidden=hidden
            ),  # fmt: skip
        ],
        hidden=hidden,
    )


def _fits_own_loss(cls, loss: object, grad: object, want: np.ndarray, pred, target) -> bool:
    """The loss value is wrong but finite, and ``grad`` is the gradient of that very loss: central
    differences of the student's own forward (a fresh module per call), to ~1e-5. A gradient of
    zero never counts (a do-nothing backward fits a constant loss)."""
    if isinstance(loss, BaseException) or isinstance(grad, BaseException):
        return False
    try:
        value = as_scalar(loss, "the loss")
        grad = as_array(grad, "the gradient")
    except Mistake:
        return False
    if not np.isfinite(value) or grad.shape != want.shape or close(grad, want):
        return False
    numeric = np.zeros_like(want)
    h = 1e-5
    for i in np.ndindex(want.shape):
        step = np.zeros_like(want)
        step[i] = h
        up = as_scalar(own(build(cls).forward, pred + step, target), "the loss")
        down = as_scalar(own(build(cls).forward, pred - step, target), "the loss")
        numeric[i] = (up - down) / (2 * h)
    return bool(abs(numeric).max() > 1e-6) and close(grad, numeric, rtol=1e-4, atol=1e-7)


def _raised(value: object) -> object:
    """``value``, re-raising it if it is the exception the student's code raised."""
    if isinstance(value, BaseException):
        raise value
    return value


def _scales_by_grad_out(gradient: Callable[[float], object]) -> SubCheck:
    """A loss's backward(grad_out) is grad_out times backward(1.0): the chain rule's first step.
    Compared with the module's own backward(1.0), so a wrong gradient is not graded again."""

    def run() -> None:
        what = "backward(grad_out)"
        once = as_array(_raised(gradient(1.0)), "backward(1.0)")
        got = as_array(_raised(gradient(2.5)), "backward(2.5)")
        if got.shape == once.shape and close(got, 2.5 * once):
            return
        if got.shape == once.shape and close(got, once):
            raise Mistake(f"{what}: grad_out was ignored: multiply by it (the chain rule)")
        raise Mistake(f"{what} with grad_out = 2.5 is not 2.5 × backward(1.0): multiply the "
                      "gradient by grad_out (the chain rule)")  # fmt: skip

    return SubCheck("backward(grad_out) scales by grad_out", 0.5, run, hygiene=True)
