"""ps2 check for Softmax: forward over each row, its Jacobian-vector product, stability."""

from __future__ import annotations

import numpy as np

from ... import functional as F
from ...modules import Softmax as RefSoftmax
from .. import catalogue
from ..core import KnownMistake, Mistake, NotTested, SubCheck, grade_item
from ..diagnose import as_array, check_values, close
from .edges import Result, attempt, edge_cases
from .harness import build, extreme, fits_own_forward, no_mutation, normal, own, own_vjp

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
            raise KnownMistake(f"forward(x): {axis}")
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
        if fits_own_forward(mine, y, dz, lambda: own_vjp(Softmax, z, g)):
            return
        check_values(dz, ref.backward(g), "backward(grad_out)", hidden=hidden,
                     expected_shape="(N, K), like x",
                     wrong=[("only the diagonal of the Jacobian was used: J = diag(y) − y yᵀ, so "
                             "the result is y ⊙ (g − ⟨g, y⟩) per row", g * y * (1 - y)),
                            ("the sum ⟨g, y⟩ must be taken over each row (axis=1), not over "
                             "the whole batch", y * (g - (g * y).sum())),
                            ("the sum ⟨g, y⟩ must be taken over each row (axis=1), not over "
                             "each column", y * (g - (g * y).sum(axis=0, keepdims=True))),
                            ("the Jacobian-vector product needs the cached output "
                             "y = softmax(x), not the input x", z * (g - (g * z).sum(axis=1, keepdims=True))),
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
            SubCheck("rows far apart: each row's own max", 0.5, per_row, hygiene=True),
            *edge_cases(
                results, unchanged, "large logits (|x| ≈ 1e3): finite and right", 1.5, hidden=hidden
            ),  # fmt: skip
        ],
        hidden=hidden,
    )
