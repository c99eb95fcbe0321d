# class: processes
# what: the optimiser's constructor calls os._exit(0), so the kernel dies in the middle of the checks
# cell: momentum_sgd
# ruff: noqa
import os


class MomentumSGD:
    def __init__(self, model, lr, momentum=0.0):
        os._exit(0)

    def zero_grad(self):
        pass

    def step(self):
        pass
