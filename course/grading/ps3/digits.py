"""The digits the fit_digits check trains and tests on, and the sandbox's copy without the test rows.

The check always tests on *held-out* rows: those of the visible split ``load_digits(seed=0)``'s
test set. The sandbox's copy of ``digits.csv.gz`` leaves them out (see ``engine/profiles.py``), so
nothing the student's code can reach there holds their labels; the grader sends their pixels to
the model's ``forward`` and scores the answers itself.

- visible (``seed=None``): exactly ``load_digits(seed=0)`` (1348 training rows, 449 test rows);
- hidden (a seed): a random 80% of the held-out rows to test on; the training set is every other
  row, shuffled, standardised with its own mean and standard deviation. The seed also draws a
  secret relabelling of the ten classes and a secret order of the 64 pixels, the same for training
  and test rows: a network trained on the data it is given learns them as well as the originals
  (a fully connected layer does not care about the pixels' order), while a model trained before
  the call, or a lookup over the public digits pasted into the notebook, answers for the wrong
  classes at the wrong pixels.
"""

from __future__ import annotations

import gzip
from importlib import resources

import numpy as np

from ...data import Split, digits_raw, standardize

TEST_FRACTION = 0.25  # load_digits' default: the visible split, and the rows held out
HIDDEN_TEST_FRACTION = 0.8  # of the held-out rows, for a hidden check


def held_out(n: int) -> np.ndarray:
    """Indices of the held-out rows among ``n``: the test rows of ``load_digits(seed=0)`` (the
    same permutation and count as ``course.data.train_test_split``)."""
    order = np.random.default_rng(0).permutation(n)
    return order[: max(1, round(TEST_FRACTION * n))]


def secret(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(the order of the 64 pixels, the new label of each class) of the hidden check ``seed``."""
    rng = np.random.default_rng([seed, 64, 10])
    return rng.permutation(64), rng.permutation(10)


def split(seed: int | None) -> Split:
    """The check's training and test data (test rows always held out)."""
    x, y = digits_raw()
    test = held_out(len(y))
    train = np.setdiff1d(np.arange(len(y)), test)
    if seed is None:
        train = np.random.default_rng(0).permutation(len(y))[len(test) :]  # load_digits' order
    else:
        rng = np.random.default_rng(seed)
        test = rng.permutation(test)
        cut = round(HIDDEN_TEST_FRACTION * len(test))
        train = rng.permutation(np.concatenate([train, test[cut:]]))
        test = test[:cut]
        pixels, labels = secret(seed)
        x, y = x[:, pixels], labels[y]
    out = Split(x[train], y[train], x[test], y[test], 10)
    out.x_train, out.x_test, out.mean, out.std = standardize(out.x_train, out.x_test)
    return out


def sandbox_file() -> bytes:
    """``digits.csv.gz`` without the held-out rows: the sandbox's copy of the data."""
    path = resources.files("course") / "data_files" / "digits.csv.gz"
    with path.open("rb") as fh, gzip.open(fh, "rt") as text:
        rows = [line for line in text if line.strip()]
    drop = set(held_out(len(rows)).tolist())
    kept = "".join(row for i, row in enumerate(rows) if i not in drop)
    return gzip.compress(kept.encode(), mtime=0)
