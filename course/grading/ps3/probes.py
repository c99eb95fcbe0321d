"""Objects the ps3 checks hand to the student's code, built on the student's side.

In the student's kernel they are ordinary objects; in the autograder the checks build them inside
the sandbox (this file is copied there, see ``engine/profiles.py``) with
:func:`course.grading.student.library`, and read back only plain data (the log, the parameters).
So this file may use only what the sandbox has: NumPy and the reference modules.
"""

from __future__ import annotations

import numpy as np

from ...modules import Linear as _Linear
from ...modules import Module, SoftmaxCrossEntropy


class Linear(_Linear):
    """A Linear layer whose backward may add ``extra`` to ONE entry (flat index ``at``) of a
    parameter's gradient: an error the loss does not have, which a gradient check finds only if
    it compares every entry. ``extra = 0`` (the default) is the reference layer."""

    def __init__(
        self, in_features: int, out_features: int, extra_weight: float = 0.0,
        extra_bias: float = 0.0, at_weight: int = 0, at_bias: int = 0,
    ) -> None:  # fmt: skip
        super().__init__(in_features, out_features, rng=0)
        self._extra = {"weight": (float(extra_weight), int(at_weight)),
                       "bias": (float(extra_bias), int(at_bias))}  # fmt: skip

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad_in = super().backward(grad_out)
        for name, (extra, at) in self._extra.items():
            if extra:
                self.grads[name].flat[at] += extra
        return grad_in


class Recorder(Module):
    """A Linear layer that logs its calls in ``log``: each forward pass with the examples it saw
    (column 0 of x holds row / n), each backward pass; :class:`RecordingSGD` logs into it too."""

    def __init__(self, n: int, d: int, k: int) -> None:
        super().__init__()
        self.inner, self.n, self.log, self.values = _Linear(d, k, rng=0), n, [], []
        self.params, self.grads = self.inner.params, self.inner.grads

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = self.inner.forward(x)  # a wrong x fails in the reference layer, with its message
        self.log.append(("forward", np.rint(np.asarray(x)[:, 0] * self.n).astype(np.int64)))
        return out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        self.log.append(("backward", None))
        return self.inner.backward(grad_out)


class SGD:
    """Plain gradient descent θ ← θ − η ∂ℒ/∂θ (the checks' own optimiser, not the student's)."""

    def __init__(self, model: Module, lr: float) -> None:
        self.model, self.lr = model, float(lr)

    def zero_grad(self) -> None:
        self.model.zero_grad()  # Module.zero_grad: every gradient to 0, in place

    def step(self) -> None:
        grads = self.model.grads
        for name, p in self.model.params.items():
            p -= self.lr * grads[name]


class RecordingSGD(SGD):
    """:class:`SGD` on a :class:`Recorder` that logs every zero_grad and step into its log."""

    def zero_grad(self) -> None:
        self.model.log.append(("zero_grad", None))
        super().zero_grad()

    def step(self) -> None:
        self.model.log.append(("step", None))
        super().step()


class RecordingLoss(SoftmaxCrossEntropy):
    """The reference loss, logging into a :class:`Recorder`'s log the labels of each call (so
    the check can see whether they belong to the examples the model just saw) and its value."""

    def __init__(self, model: Recorder) -> None:
        super().__init__()
        self.model = model

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        loss = super().forward(pred, target)
        labels = np.asarray(target)
        labels = labels.argmax(axis=1) if labels.ndim == 2 else labels
        self.model.log.append(("loss", np.asarray(labels).astype(np.int64)))
        self.model.values.append(float(loss))
        return loss
