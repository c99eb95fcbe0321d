# class: delegation
# what: MomentumSGD is course.optim.SGD under another name (the optimiser must be the student's own)
# cell: momentum_sgd
# ruff: noqa
from course.optim import SGD as _CourseSGD


class MomentumSGD:
    def __init__(self, model, lr, momentum=0.0):
        self._inner = _CourseSGD(model, lr=lr, momentum=momentum)

    def zero_grad(self):
        self._inner.zero_grad()

    def step(self):
        self._inner.step()
