"""Bad input gets a clear error naming the module, what was expected and what was given."""

from __future__ import annotations

import numpy as np
import pytest

from course.modules import (
    CrossEntropy,
    EuclideanLoss,
    LeakyReLU,
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    SigmoidBinaryCrossEntropy,
    Softmax,
    SoftmaxCrossEntropy,
    Tanh,
)
from course.optim import SGD

ACTIVATIONS = [ReLU, LeakyReLU, Sigmoid, Tanh, Softmax]


def test_linear_wrong_width_names_both_shapes():
    with pytest.raises(ValueError) as err:
        Linear(3, 4, rng=0)(np.zeros((5, 2)))
    assert str(err.value) == "Linear(3→4) got input of shape (5, 2); expected (N, 3)"


@pytest.mark.parametrize("bad", [np.zeros(3), np.zeros((2, 3, 3)), np.float64(1.0)])
def test_linear_wrong_ndim(bad):
    with pytest.raises(
        ValueError, match=r"Linear\(3→4\) got input of shape .*; expected a 2-D batch \(N, 3\)"
    ):
        Linear(3, 4, rng=0)(bad)


@pytest.mark.parametrize("cls", ACTIVATIONS)
def test_activation_wrong_ndim(cls):
    with pytest.raises(
        ValueError, match=rf"{cls.__name__}\(.*\) got input of shape \(3,\); expected a 2-D"
    ):
        cls()(np.zeros(3))


def test_empty_batch():
    with pytest.raises(ValueError, match=r"empty batch of shape \(0, 3\)"):
        Linear(3, 1, rng=0)(np.zeros((0, 3)))


def test_non_numeric_input():
    with pytest.raises(
        ValueError,
        match=r"ReLU\(\) expected a numeric input; got an array of shape \(2,\) and dtype <U1",
    ):
        ReLU()(np.array(["a", "b"]))


@pytest.mark.parametrize("cls", [*ACTIVATIONS, lambda: Linear(2, 2, rng=0)])
def test_backward_before_forward(cls):
    m = cls()
    with pytest.raises(RuntimeError, match=r"backward\(\) was called before forward\(\)"):
        m.backward(np.ones((1, 2)))


@pytest.mark.parametrize("cls", [SoftmaxCrossEntropy, CrossEntropy, EuclideanLoss])
def test_loss_backward_before_forward(cls):
    with pytest.raises(
        RuntimeError, match=rf"{cls.__name__}\(\): backward\(\) was called before forward"
    ):
        cls().backward()


@pytest.mark.parametrize("cls", [*ACTIVATIONS, lambda: Linear(3, 3, rng=0)])
def test_grad_out_of_wrong_shape(cls):
    m = cls()
    m(np.ones((4, 3)))
    with pytest.raises(
        ValueError, match=r"\.backward got grad_out of shape \(3, 4\); expected shape \(4, 3\)"
    ):
        m.backward(np.ones((3, 4)))


def test_loss_grad_out_must_be_scalar():
    loss = SoftmaxCrossEntropy()
    loss(np.zeros((2, 3)), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"expected a scalar grad_out .* got shape \(2,\)"):
        loss.backward(np.ones(2))


@pytest.mark.parametrize("cls", [SoftmaxCrossEntropy, CrossEntropy])
def test_labels_out_of_range(cls):
    with pytest.raises(
        ValueError, match=r"got label 3 out of range; expected labels in 0..2 for 3 classes"
    ):
        cls()(np.full((2, 3), 1 / 3), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"got label -1 out of range"):
        cls()(np.full((2, 3), 1 / 3), np.array([-1, 0]))


@pytest.mark.parametrize("cls", [SoftmaxCrossEntropy, CrossEntropy])
def test_labels_of_wrong_dtype(cls):
    with pytest.raises(
        ValueError,
        match=r"expected integer class labels of shape \(2,\); got an array of shape \(2,\) and dtype float64",
    ):
        cls()(np.full((2, 3), 1 / 3), np.array([0.0, 1.0]))


def test_labels_wrong_count_and_rows():
    with pytest.raises(ValueError, match=r"got 3 labels for a batch of 2"):
        SoftmaxCrossEntropy()(np.zeros((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"target rows of shape \(2, 2\); expected shape \(2, 3\)"):
        SoftmaxCrossEntropy()(np.zeros((2, 3)), np.eye(2))
    with pytest.raises(ValueError, match=r"distribution"):
        SoftmaxCrossEntropy()(np.zeros((2, 3)), np.ones((2, 3)))


def test_cross_entropy_wants_probabilities():
    with pytest.raises(
        ValueError, match=r"expected probabilities in \[0, 1\].*SoftmaxCrossEntropy"
    ):
        CrossEntropy()(np.array([[2.0, -1.0]]), np.array([0]))


def test_euclidean_target_shape():
    with pytest.raises(
        ValueError, match=r"EuclideanLoss\(\) got target of shape \(2, 1\); expected shape \(2, 3\)"
    ):
        EuclideanLoss()(np.zeros((2, 3)), np.zeros((2, 1)))


def test_binary_ce_errors():
    with pytest.raises(ValueError, match=r"expected \(N, 1\)"):
        SigmoidBinaryCrossEntropy()(np.zeros((2, 2)), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"expected labels 0 or 1"):
        SigmoidBinaryCrossEntropy()(np.zeros((2, 1)), np.array([0, 2]))


def test_constructor_errors():
    with pytest.raises(
        ValueError, match=r"Linear expected in_features to be a positive int; got 0"
    ):
        Linear(0, 3)
    with pytest.raises(ValueError, match=r"unknown init scheme 'glorot'"):
        Linear(2, 3, init="glorot")
    with pytest.raises(ValueError, match=r"Sequential expected Module instances; item 1 is"):
        Sequential(ReLU(), np.tanh)
    with pytest.raises(ValueError, match=r"positive learning rate"):
        SGD(ReLU(), lr=0)
    with pytest.raises(ValueError, match=r"momentum in \[0, 1\)"):
        SGD(ReLU(), lr=0.1, momentum=1.0)


def test_sequential_error_names_the_layer():
    net = Sequential(Linear(4, 3, rng=0), ReLU(), Linear(5, 2, rng=1))
    with pytest.raises(
        ValueError, match=r"Linear\(5→2\) got input of shape \(2, 3\); expected \(N, 5\)"
    ):
        net(np.zeros((2, 4)))


def test_none_from_a_module_that_forgot_to_return():
    class Forgetful(ReLU):
        def forward(self, x):
            super().forward(x)  # no return

    with pytest.raises(ValueError, match=r"Linear\(2→1\) got None as its input; did a forward\(\)"):
        Sequential(Forgetful(), Linear(2, 1, rng=0))(np.ones((3, 2)))
