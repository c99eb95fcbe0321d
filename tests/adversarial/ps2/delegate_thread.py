# class: delegation
# what: Sigmoid runs course.modules.Sigmoid in another thread, where a per-thread profile hook sees nothing
# cell: sigmoid
# ruff: noqa
import threading

from course.modules import Sigmoid as _CourseSigmoid


def _elsewhere(fn, *args):
    box = {}
    worker = threading.Thread(target=lambda: box.update(value=fn(*args)))
    worker.start()
    worker.join()
    return box["value"]


class Sigmoid(Module):
    """y = 1 / (1 + e^(−x)), elementwise."""

    def __init__(self):
        super().__init__()
        self._inner = _elsewhere(_CourseSigmoid)

    def forward(self, x):
        return _elsewhere(self._inner.forward, x)

    def backward(self, grad_out):
        return _elsewhere(self._inner.backward, grad_out)
