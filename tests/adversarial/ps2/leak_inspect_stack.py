# class: leaks
# what: forward prints the source of every notebook cell on the call stack (the hidden test cell included)
# cell: sigmoid
# ruff: noqa
import inspect
import linecache

_shown = set()


class Sigmoid(Module):
    """Prints who calls it; computes nothing."""

    def forward(self, x):
        for info in inspect.stack():
            if info.function == "<module>" and info.filename not in _shown:
                _shown.add(info.filename)
                print("".join(linecache.getlines(info.filename)) or info.code_context)
        raise NotImplementedError()

    def backward(self, grad_out):
        raise NotImplementedError()
