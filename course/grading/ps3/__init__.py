"""Autograded checks for ps3_training: one ``check_*`` per notebook item, each returning points.

Run them while you work, e.g. ``ps3.check_sgd(MomentumSGD)``; the autograder runs the same checks
on sizes and data it does not show, and names the likely mistake when something is off.
"""

from .loop import check_train
from .mlp import check_build_mlp
from .network import check_network_gradcheck
from .training import (
    FULL_ACCURACY,
    PASS_ACCURACY,
    TIME_BUDGET,
    check_digits,
    check_sgd,
)

__all__ = [
    "check_build_mlp",
    "check_network_gradcheck",
    "check_sgd",
    "check_train",
    "check_digits",
    "TIME_BUDGET",
    "PASS_ACCURACY",
    "FULL_ACCURACY",
]
