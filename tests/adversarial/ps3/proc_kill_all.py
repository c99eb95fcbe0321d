# class: processes
# what: the answer cell calls os.kill(-1, SIGKILL): every process the kernel's user may signal
# cell: build_mlp
# danger: kill-all
# ruff: noqa
import os
import signal

os.kill(-1, signal.SIGKILL)


def build_mlp(sizes, activation="relu", seed=0):
    raise NotImplementedError()
