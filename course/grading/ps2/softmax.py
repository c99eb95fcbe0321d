"""ps2 checks for Softmax and the two losses (SoftmaxCrossEntropy, EuclideanLoss)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ... import functional as F
from ...modules import EuclideanLoss as RefEuclidean
from ...modules import Softmax as RefSoftmax
from ...modules import SoftmaxCrossEntropy as RefSCE
from .. import catalogue
from ..core import Mistake, NotTested, SubCheck, grade_item
from ..diagnose import as_array, as_scalar, check_scalar, check_values, close
from .edges import Result, attempt, edge_cases
from .harness import build, extreme, no_mutation, normal, own

_MAX = "subtract each row's max before np.exp (softmax(x) = softmax(x − max x)), so e^x cannot overflow"
_LOGSM = "compute log-softmax as (z − max z) − log Σ e^(z − max z) instead of log(softmax(z))"


def _logits(seed: int, rows: int, k: int, big: bool, tag: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng([seed, rows, k, int(big), tag])
    z = extreme(rng, (rows, k)) if big else normal(rng, (rows, k), 2.0)
    return z, normal(rng, (rows, k)), rng.integers(0, k, size=rows)


def check_softmax(Softmax, *, seed: int = 0, n: int = 4, k: int = 3, hidden: bool = False) -> float:
    """Softmax over each row; backward is the Jacobian-vector product y ⊙ (g − ⟨g, y⟩)."""

    def forward() -> None:
        z, _, _ = _logits(seed, n, k, False)
        y = own(build(Softmax).forward, z)
        axis = catalogue.softmax_axis(as_array(y, "forward(x)"))
        if axis and not close(as_array(y, "forward(x)"), F.softmax(z, axis=1)):
            raise Mistake(f"forward(x): {axis}")
        check_values(y, F.softmax(z, axis=1), "forward(x)", hidden=hidden,
                     expected_shape="(N, K), like x", wrong=catalogue.softmax_rows(z))  # fmt: skip

    def backward() -> None:
        """The Jacobian-vector product of the module's own output: a backward that is right
        for a wrong forward keeps these points (the forward lost its own)."""
        z, g, _ = _logits(seed, n, k, False)
        m, ref = build(Softmax), RefSoftmax()
        mine = attempt(lambda: own(m.forward, z))
        if isinstance(mine, BaseException):
            raise NotTested(mine, "forward() raised, so backward() cannot run")
        dz = own(m.backward, g)
        y = ref.forward(z)
        if isinstance(mine, np.ndarray) and mine.shape == y.shape and not close(mine, y):
            if close(as_array(dz, "backward(grad_out)"), _jvp(mine, g)):
                return
        check_values(dz, ref.backward(g), "backward(grad_out)", hidden=hidden,
                     expected_shape="(N, K), like x",
                     wrong=[("only the diagonal of the Jacobian was used: J = diag(y) − y yᵀ, so "
                             "the result is y ⊙ (g − ⟨g, y⟩) per row", g * y * (1 - y)),
                            ("the sum ⟨g, y⟩ must be taken over each row (axis=1), not over "
                             "the whole batch", y * (g - (g * y).sum())),
                            ("the sum ⟨g, y⟩ must be taken over each row (axis=1), not over "
                             "each column", y * (g - (g * y).sum(axis=0, keepdims=True))),
                            ("the second term needs its factor y: per row the result is "
                             "y ⊙ g − y ⟨g, y⟩", y * g - (g * y).sum(axis=1, keepdims=True))])  # fmt: skip

    def per_row() -> None:
        """Rows ~1000 apart: each row must use its own max (the batch's max underflows the others)."""
        z, _, _ = _logits(seed, max(n, 2), k, False, tag=3)
        mixed = z + np.where(np.arange(len(z)) % 2 == 1, 1000.0, 0.0)[:, None]
        batch = attempt(lambda: own(build(Softmax).forward, z))
        got = own(build(Softmax).forward, mixed)
        right_on_batch = isinstance(batch, np.ndarray) and close(batch, F.softmax(z, axis=1))
        arr = as_array(got, "forward(x)")
        if (
            arr.shape == mixed.shape
            and bool(np.isfinite(arr).all())
            and (not right_on_batch or close(arr, F.softmax(mixed, axis=1)))
        ):
            return
        raise Mistake("forward(x) on rows whose logits are ~1000 apart gives nan or 0: subtract "
                      "each row's own max (x.max(axis=1, keepdims=True)), not the batch's max")  # fmt: skip

    def results(rows: int = n, big: bool = False) -> list[Result]:
        z, g, _ = _logits(seed, rows, k, False)
        if big:  # all near +1000: e^x overflows unless a max is subtracted, and the batch's
            z = 1.5 * z + 1000.0  # max still works here (that bug is "rows far apart")
        m, ref = build(Softmax), RefSoftmax()
        y = attempt(lambda: own(m.forward, z))
        dz = y if isinstance(y, BaseException) else attempt(lambda: own(m.backward, g))
        return [Result("forward(x)", y, ref.forward(z), "(N, K), like x", _MAX),
                Result("backward(grad_out)", dz, ref.backward(g), "(N, K), like x", _MAX)]  # fmt: skip

    def unchanged() -> None:
        z, g, _ = _logits(seed, n, k, False)
        no_mutation(build(Softmax), (z,), g)

    return grade_item(
        "Softmax",
        [
            SubCheck("forward: output shape and values", 2, forward),
            SubCheck("backward: Jacobian-vector product", 3, backward),
            SubCheck("rows far apart: each row's own max", 0.5, per_row),
            *edge_cases(
                results, unchanged, "large logits (|x| ≈ 1e3): finite and right", 1.5, hidden=hidden
            ),  # fmt: skip
        ],
        hidden=hidden,
    )


def check_softmax_cross_entropy(
    SoftmaxCrossEntropy, *, seed: int = 0, n: int = 4, k: int = 3, hidden: bool = False
) -> float:
    """ℒ = −(1/N) Σₙ log softmax(zₙ)_{yₙ}; ∂ℒ/∂z = (softmax(z) − onehot(y)) / N. Needs n > 1."""

    def run(rows: int = n, big: bool = False, onehot: bool = False, scale: float = 1.0):
        """(student's loss, student's gradient, reference loss, reference gradient); the
        student's two are the exception raised if their code failed."""
        z, _, labels = _logits(seed, rows, k, big, tag=1)
        target = np.eye(k)[labels] if onehot else labels
        m, ref = build(SoftmaxCrossEntropy), RefSCE()
        loss = attempt(lambda: own(m.forward, z, target))
        dz = loss if isinstance(loss, BaseException) else attempt(lambda: own(m.backward, scale))
        return loss, dz, ref.forward(z, target), ref.backward(scale)

    def value() -> None:
        loss, _, want, _ = run()
        check_scalar(_raised(loss), want, "forward(z, y) (the loss)",
                     wrong=[("summed over the batch; the loss is the batch *mean*", want * n),
                            ("divided by N twice", want / n),
                            ("the sign is flipped: ℒ = −log ŷ of the true class", -want)])  # fmt: skip

    def gradient() -> None:
        _, dz, _, want = run()
        check_values(_raised(dz), want, "backward() (∂ℒ/∂z)", hidden=hidden,
                     expected_shape="(N, K), like the logits",
                     wrong=[("missing 1/N: the loss averages over the batch, so ∂ℒ/∂z = (ŷ − y)/N",
                             want * n),
                            ("divided by N twice: ∂ℒ/∂z = (ŷ − y)/N", want / n)])  # fmt: skip

    def onehot() -> None:
        """One-hot rows give what the same labels as integers give (the reference if those fail)."""
        labels, rows = run(), run(onehot=True)
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
        no_mutation(build(SoftmaxCrossEntropy), (z, labels))

    return grade_item(
        "SoftmaxCrossEntropy",
        [
            SubCheck("forward: the loss value", 2, value),
            SubCheck("backward: ∂ℒ/∂logits", 2, gradient),
            SubCheck("one-hot targets give the same loss and gradient", 1, onehot),
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
        _, grad, _, want = run()
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


def _jvp(y: np.ndarray, g: np.ndarray) -> np.ndarray:
    """The softmax backward for output ``y``: y ⊙ (g − ⟨g, y⟩) per row."""
    return y * (g - (g * y).sum(axis=1, keepdims=True))


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

    return SubCheck("backward(grad_out) scales by grad_out", 0.5, run)
