# class: processes
# what: a bounded fork bomb: up to 1000 processes in sessions of their own that each sleep 600 s (they outlive the kernel)
# cell: sigmoid
# danger: process
# ruff: noqa
import os
import time

for _ in range(1000):
    try:
        if os.fork() == 0:
            try:
                os.setsid()  # out of the kernel's process group, which is killed with it
                time.sleep(600)
            finally:
                os._exit(0)
    except OSError:
        break


class Sigmoid(Module):
    def forward(self, x):
        raise NotImplementedError()

    def backward(self, grad_out):
        raise NotImplementedError()
