"""Data sets: offline, seeded, split without leakage, standardised from the training set."""

from __future__ import annotations

import numpy as np
import pytest

from course.data import (
    digits_raw,
    load_blobs,
    load_digits,
    load_spirals,
    make_blobs,
    make_spirals,
    minibatches,
    standardize,
    train_test_split,
)


def test_digits_are_the_real_uci_set():
    x, y = digits_raw()
    assert x.shape == (1797, 64) and y.shape == (1797,)
    assert x.min() == 0 and x.max() == 16
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_split_is_seeded_disjoint_and_complete():
    a, b, c = load_digits(seed=0), load_digits(seed=0), load_digits(seed=1)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.y_train, c.y_train)
    assert len(a.x_train) + len(a.x_test) == 1797
    assert len(a.x_test) == round(0.25 * 1797)


def test_standardisation_uses_training_statistics_only():
    s = load_digits(seed=0)
    np.testing.assert_allclose(s.x_train.mean(axis=0), 0, atol=1e-12)
    nonconstant = s.std != 1.0
    np.testing.assert_allclose(s.x_train.std(axis=0)[nonconstant], 1, atol=1e-12)
    raw = load_digits(seed=0, normalize=False)
    np.testing.assert_allclose(s.x_test, (raw.x_test - s.mean) / s.std)
    assert np.all(np.isfinite(s.x_test))


def test_standardize_constant_feature():
    tr, te, mean, std = standardize(np.array([[1.0, 5.0], [3.0, 5.0]]), np.array([[2.0, 6.0]]))
    np.testing.assert_allclose(tr, [[-1, 0], [1, 0]])
    np.testing.assert_allclose(te, [[0, 1]])


@pytest.mark.parametrize("make", [make_spirals, make_blobs])
def test_synthetic_sets_are_seeded(make):
    x1, y1 = make(50, 3, seed=4)
    x2, y2 = make(50, 3, seed=4)
    np.testing.assert_array_equal(x1, x2)
    assert x1.shape == (150, 2) and np.bincount(y1).tolist() == [50, 50, 50]
    assert not np.array_equal(x1, make(50, 3, seed=5)[0])


@pytest.mark.parametrize("load", [load_spirals, load_blobs])
def test_synthetic_loaders_split(load):
    s = load(n_per_class=40)
    assert s.x_train.shape[1] == 2 and s.n_classes == 3
    assert len(s.x_train) + len(s.x_test) == 120


def test_split_errors():
    with pytest.raises(ValueError, match="test_fraction"):
        train_test_split(np.zeros((4, 2)), np.zeros(4, int), test_fraction=1.5)
    with pytest.raises(ValueError, match="3 rows but y has 2"):
        train_test_split(np.zeros((3, 2)), np.zeros(2, int))


def test_minibatches_cover_each_index_once_in_new_order():
    first = np.concatenate(list(minibatches(10, 3, rng=0)))
    second = np.concatenate(list(minibatches(10, 3, rng=1)))
    assert sorted(first) == list(range(10)) and sorted(second) == list(range(10))
    assert not np.array_equal(first, second)
    assert [len(b) for b in minibatches(10, 3, rng=0)] == [3, 3, 3, 1]
