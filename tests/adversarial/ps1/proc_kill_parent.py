# class: processes
# what: the answer cell kills its kernel's parent (under the old engine: nbgrader, so the rest of the class is not graded)
# cell: chain_answer
# danger: process
# ruff: noqa
import os
import signal

os.kill(os.getppid(), signal.SIGKILL)


def dy_dx(x):
    return np.full(np.shape(x), np.nan)
