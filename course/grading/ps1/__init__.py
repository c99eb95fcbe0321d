"""Autograded checks for ps1_chain_rule: one ``check_*`` per notebook item, each returning points.

Run them while you work, e.g. ``ps1.check_chain(dy_dx)``; the autograder runs the same checks on
inputs it does not show. Each check recognises the classic wrong answers (a dropped inner
derivative, σ′ taken from the input, a missing max or 1/N, ...) and names them.
"""

from .build import check_backward
from .calculus import check_central_difference, check_chain, check_dag
from .outputs import (
    check_cross_entropy,
    check_sigmoid,
    check_softmax,
    check_softmax_ce_grad,
    check_tanh,
)

__all__ = [
    "check_chain",
    "check_dag",
    "check_backward",
    "check_central_difference",
    "check_sigmoid",
    "check_tanh",
    "check_softmax",
    "check_cross_entropy",
    "check_softmax_ce_grad",
]
