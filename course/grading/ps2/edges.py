"""The ps2 edge-case sub-checks: a batch of one example, and entries of size ~1e3.

Each compares the module's results there with its *own* results on an ordinary batch: a result
must be as good on the edge case as it is on the batch (right values if it has them there, else
the right shape or type, else it may fail the same way). So a wrong formula, already graded by
its own sub-check, is not graded again here; only what the edge case is about is (squeezed
shapes at N = 1; overflow, NaN and a naive formula's wrong values at |x| ≈ 1e3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import inplace
from ..core import CheckTimeout, Disqualified, Mistake, SubCheck
from ..diagnose import (
    as_array,
    as_scalar,
    check_finite,
    check_scalar,
    check_shape,
    check_values,
    close,
)


@dataclass
class Result:
    """One result of the student's module next to the reference's. ``got`` is the exception if
    the student's code raised; ``shape`` is the expected shape in words ("" for a scalar loss);
    ``cause`` names the likely reason if the result overflows."""

    what: str
    got: object
    want: np.ndarray | float
    shape: str = ""
    cause: str = "overflow"


def attempt(fn: Callable[[], object]) -> object:
    """``fn()``, or the exception it raised (a disqualification or a timeout still propagates)."""
    try:
        return fn()
    except (Disqualified, CheckTimeout, KeyboardInterrupt):
        raise
    except BaseException as exc:  # SystemExit too: in the sandbox it is an ordinary error
        return exc


def _level(r: Result) -> int:
    """0: raised; 1: wrong type or shape; 2: right shape, wrong values; 3: right."""
    if isinstance(r.got, BaseException):
        return 0
    try:
        if not r.shape:
            x = as_scalar(r.got, r.what)
            return 3 if abs(x - r.want) <= 1e-9 + 1e-6 * abs(r.want) else 2
        arr = as_array(r.got, r.what)
    except Mistake:
        return 1
    if arr.shape != np.shape(r.want):
        return 1
    return 3 if close(arr, r.want) else 2


def as_good_as_batch(
    batch: list[Result], edge: list[Result], where: str, *, hidden: bool, finite: bool = False
) -> None:
    """Each ``edge`` result is as good as the same ``batch`` result (see the module docstring);
    with ``finite``, every result that is a number must also be free of inf and NaN."""
    if all(isinstance(b.got, BaseException) for b in batch):
        raise batch[0].got  # nothing works on an ordinary batch: show why
    for b, e in zip(batch, edge, strict=True):
        level, what = _level(b), f"{e.what} {where}"
        if isinstance(e.got, BaseException):
            if level == 0:
                continue
            raise e.got
        if level == 0:
            continue
        if finite and _level(e) >= 2:
            value = as_scalar(e.got, what) if not e.shape else as_array(e.got, what)
            check_finite(np.asarray(value), what, e.cause)
        if level == 3 and not e.shape:
            check_scalar(e.got, float(e.want), what)
        elif level == 3:
            check_values(e.got, np.asarray(e.want), what, hidden=hidden, expected_shape=e.shape)
        elif level == 2 and not e.shape:
            as_scalar(e.got, what)
        elif level == 2:
            check_shape(as_array(e.got, what), np.asarray(e.want), what, hidden, e.shape)


def edge_cases(
    results: Callable[..., list[Result]],
    unchanged: Callable[[], None],
    big: str,
    big_points: float,
    *,
    hidden: bool,
    integers: bool = False,
) -> list[SubCheck]:
    """The sub-checks every ps2 module gets besides its maths: a batch of one example, entries of
    size ~1e3, inputs left as they were. ``results(rows=..., big=...)`` runs the module (student's
    and reference) on one batch; its defaults are the ordinary batch. With ``integers``, the N = 1
    sub-check also asks for float results from integer inputs (``results(ints=True)``)."""

    def one() -> None:
        as_good_as_batch(results(), results(rows=1), "on a batch of one example", hidden=hidden)
        if integers:
            batch = results()
            as_good_as_batch(batch, results(ints=True), "on integer inputs", hidden=hidden)

    def large() -> None:
        as_good_as_batch(
            results(), results(big=True), "on large inputs", hidden=hidden, finite=True
        )

    return [
        SubCheck("a batch of one example (N = 1)" + ", integer inputs" * integers, 0.5, one, True),
        SubCheck(big, big_points, large, hygiene=True),
        SubCheck(inplace.NAME, inplace.POINTS, unchanged, hygiene=True),
    ]
