"""Small data sets that work offline: the UCI handwritten digits (shipped in the package) and
synthetic 2-D sets for pictures. Every loader returns a seeded train/test split."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from importlib import resources

import numpy as np

from .init import make_rng


@dataclass
class Split:
    """Train and test arrays. ``x_*`` have shape (N, D) float64; ``y_*`` are int labels (N,)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    mean: np.ndarray | None = None
    std: np.ndarray | None = None

    def __repr__(self) -> str:
        return (
            f"Split(train={self.x_train.shape}, test={self.x_test.shape}, "
            f"classes={self.n_classes}, normalized={self.mean is not None})"
        )


def standardize(
    x_train: np.ndarray, x_test: np.ndarray, min_std: float = 1e-8
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x ← (x − μ) / σ per feature, with μ and σ from the *training* set only (no test leakage).

    Features that are constant in training (σ < min_std) are only centred.
    Returns (x_train, x_test, mean, std).
    """
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    std = np.where(std < min_std, 1.0, std)
    return (x_train - mean) / std, (x_test - mean) / std, mean, std


def train_test_split(
    x: np.ndarray,
    y: np.ndarray,
    test_fraction: float = 0.25,
    seed: int | None = 0,
    normalize: bool = True,
    n_classes: int | None = None,
) -> Split:
    """Shuffle with ``seed``, hold out ``test_fraction`` of the rows, and optionally standardise."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1); got {test_fraction!r}")
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x has {x.shape[0]} rows but y has {y.shape[0]} labels")
    order = make_rng(seed).permutation(x.shape[0])
    n_test = max(1, round(test_fraction * x.shape[0]))
    test, train = order[:n_test], order[n_test:]
    split = Split(x[train], y[train], x[test], y[test], int(n_classes or y.max() + 1))
    if normalize:
        split.x_train, split.x_test, split.mean, split.std = standardize(
            split.x_train, split.x_test
        )
    return split


def digits_raw() -> tuple[np.ndarray, np.ndarray]:
    """All 1797 UCI digits: pixels (1797, 64) with values 0..16 as float64, labels (1797,) in 0..9."""
    path = resources.files("course") / "data_files" / "digits.csv.gz"
    with path.open("rb") as fh, gzip.open(fh, "rt") as text:
        table = np.loadtxt(text, delimiter=",", dtype=np.int64)
    return table[:, :-1].astype(np.float64), table[:, -1]


def load_digits(test_fraction: float = 0.25, seed: int | None = 0, normalize: bool = True) -> Split:
    """The 8×8 handwritten digits (UCI, CC BY 4.0): 10 classes, 64 features per image."""
    x, y = digits_raw()
    return train_test_split(x, y, test_fraction, seed, normalize, n_classes=10)


def make_spirals(
    n_per_class: int = 100, n_classes: int = 3, noise: float = 0.2, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved 2-D spirals, one arm per class: not linearly separable, easy for a small MLP."""
    rng = make_rng(seed)
    r = np.tile(np.linspace(0.0, 1.0, n_per_class), n_classes)
    labels = np.repeat(np.arange(n_classes), n_per_class)
    theta = labels * (2 * np.pi / n_classes) + 4.0 * r + noise * rng.standard_normal(r.size)
    x = np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1)
    return x, labels


def make_blobs(
    n_per_class: int = 100, n_classes: int = 3, spread: float = 0.6, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs in 2-D with centres on a circle of radius 2: nearly linearly separable."""
    rng = make_rng(seed)
    angles = 2 * np.pi * np.arange(n_classes) / n_classes
    centres = 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    labels = np.repeat(np.arange(n_classes), n_per_class)
    x = centres[labels] + spread * rng.standard_normal((labels.size, 2))
    return x, labels


def _split_synthetic(make, n_per_class, n_classes, test_fraction, seed, normalize) -> Split:
    x, y = make(n_per_class, n_classes, seed=seed)
    return train_test_split(x, y, test_fraction, seed, normalize, n_classes)


def load_spirals(
    n_per_class: int = 100,
    n_classes: int = 3,
    test_fraction: float = 0.25,
    seed: int | None = 0,
    normalize: bool = True,
) -> Split:
    """make_spirals, split and standardised."""
    return _split_synthetic(make_spirals, n_per_class, n_classes, test_fraction, seed, normalize)


def load_blobs(
    n_per_class: int = 100,
    n_classes: int = 3,
    test_fraction: float = 0.25,
    seed: int | None = 0,
    normalize: bool = True,
) -> Split:
    """make_blobs, split and standardised."""
    return _split_synthetic(make_blobs, n_per_class, n_classes, test_fraction, seed, normalize)


def minibatches(n: int, batch_size: int, rng: np.random.Generator | int | None = None):
    """Yield index arrays covering 0..n−1 once, in a fresh random order (shuffle every epoch)."""
    order = make_rng(rng).permutation(n)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]
