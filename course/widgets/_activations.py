"""Activation choices shared by the explorers, with derivatives taken from the reference modules.

The local derivative g′(z) is what a module's ``backward`` multiplies an upstream gradient of ones by,
so the widgets never re-derive σ′ = σ(1 − σ) or tanh′ = 1 − tanh² themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np

from ..modules import LeakyReLU, Module, ReLU, Sigmoid, Tanh

# key -> (label shown in a dropdown, module factory)
ACTIVATIONS: dict[str, tuple[str, Callable[[], Module]]] = {
    "sigmoid": ("sigmoid", Sigmoid),
    "tanh": ("tanh", Tanh),
    "relu": ("ReLU", ReLU),
    "leaky_relu": ("leaky ReLU", LeakyReLU),
}

# What a dropdown offers: (label, key) pairs.
DROPDOWN_OPTIONS = [(label, key) for key, (label, _) in ACTIVATIONS.items()]


def activation_key(name: str) -> str:
    """Accept "sigmoid", "ReLU", "leaky ReLU", "leaky_relu", ... and return the registry key."""
    if not isinstance(name, str):
        raise ValueError(f"expected an activation name, one of {list(ACTIVATIONS)}; got {name!r}")
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    if key not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; expected one of {list(ACTIVATIONS)}")
    return key


def activation_label(name: str) -> str:
    """The human-readable label, e.g. "leaky ReLU" for "leaky_relu"."""
    return ACTIVATIONS[activation_key(name)][0]


def make_activation(name: str) -> Module:
    """A fresh reference module for the activation ``name``."""
    return ACTIVATIONS[activation_key(name)][1]()


def forward_and_derivative(name: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return g(z) and g′(z) for a 2-D array z: g′ is ``backward`` applied to an upstream of ones
    (the Jacobian of an elementwise function is diagonal, so J·1 is its diagonal)."""
    m = make_activation(name)
    h = m.forward(z)
    return h, m.backward(np.ones_like(h))


@cache
def peak_derivative(name: str) -> float:
    """max_z g′(z), read off a fine grid through 0 (1/4 for the sigmoid, 1 for the others)."""
    grid = np.linspace(-8.0, 8.0, 1601).reshape(1, -1)  # contains z = 0 exactly
    return float(forward_and_derivative(name, grid)[1].max())
