"""Reference modules. Batches are rows: x has shape (N, D); every gradient has the shape of what it
is the gradient of."""

from .activations import LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .base import Module
from .container import Sequential
from .elu import ELU
from .linear import Linear
from .losses import (
    CrossEntropy,
    EuclideanLoss,
    Loss,
    SigmoidBinaryCrossEntropy,
    SoftmaxCrossEntropy,
)
from .prelu import PReLU
from .rbf import RBF

__all__ = [
    "Module",
    "Linear",
    "ReLU",
    "LeakyReLU",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "Loss",
    "CrossEntropy",
    "SoftmaxCrossEntropy",
    "SigmoidBinaryCrossEntropy",
    "EuclideanLoss",
    "Sequential",
    "PReLU",
    "ELU",
    "RBF",
]
