"""Checks for ps2_modules. Run them while you work, e.g.::

    from course.grading.ps2 import check_linear
    check_linear(Linear)      # prints ✓/✗ per property and returns your points

The autograder runs the same checks on other data it does not show.
"""

from .layers import check_relu, check_sigmoid, check_tanh
from .linear import check_linear
from .losses import check_euclidean_loss, check_softmax_cross_entropy
from .prelu import check_prelu
from .softmax import check_softmax

POINTS = {
    "Linear": 10,
    "ReLU": 5,
    "Sigmoid": 5,
    "Tanh": 5,
    "Softmax": 8,
    "SoftmaxCrossEntropy": 8,
    "EuclideanLoss": 5,
    "PReLU": 8,
}

__all__ = [
    "POINTS",
    "check_linear",
    "check_relu",
    "check_sigmoid",
    "check_tanh",
    "check_softmax",
    "check_softmax_cross_entropy",
    "check_euclidean_loss",
    "check_prelu",
]
