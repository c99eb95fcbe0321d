"""One policy for inputs changed in place, in every problem set: it is a small sub-check of its
own (never part of a values sub-check), judged on what the calls did to their arguments.

The caller still needs its arrays after a call (the fixed convention: inputs are never modified
in place), so ``x -= x.max()`` costs these points and only these, however right the values are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .core import Mistake, NotTested, SubCheck
from .diagnose import check_unchanged

NAME = "inputs are not modified in place"
POINTS = 0.5

Call = tuple[Callable[..., Any], tuple]


def own(fn: Callable[..., Any], *args: Any, mutation: bool = False) -> Any:
    """``fn`` called on copies of the array arguments (so the caller keeps clean data); with
    ``mutation=True`` it fails if one of them was changed, even when ``fn`` then raised."""
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    try:
        return fn(*copies)
    finally:
        if mutation:
            for before, after in zip(args, copies, strict=True):
                if isinstance(before, np.ndarray):
                    check_unchanged(before, after, "an array passed in")


def leave_inputs(calls: Sequence[Call], *, chained: bool = False) -> None:
    """Every call leaves its array arguments as they were. A call that raises is judged on what
    it changed before raising (its failure is graded elsewhere); if every call raised, nothing
    could be judged. ``chained`` calls depend on the first (forward, then backward): if it
    raised, nothing could be judged either."""
    raised: list[BaseException] = []
    for i, (fn, args) in enumerate(calls):
        try:
            own(fn, *args, mutation=True)
        except (Mistake, KeyboardInterrupt):
            raise
        except BaseException as exc:  # SystemExit too: in the sandbox it is an ordinary error
            # A call that never returned (CheckTimeout) is judged like one that raised: its
            # failure is graded elsewhere, and a stub that raises would cost nothing here either.
            if chained and i == 0:
                raise NotTested(exc, "the first call raised") from None
            raised.append(exc)
    if raised and len(raised) == len(calls):
        raise NotTested(raised[0], "every call raised")


def in_place_check(calls: Callable[[], Sequence[Call]]) -> SubCheck:
    """The sub-check: ``calls()`` builds the (function, arguments) pairs, run in order."""
    return SubCheck(NAME, POINTS, lambda: leave_inputs(calls()), hygiene=True)
