# class: processes
# what: forward loops for ever and a bare except swallows every timeout and interrupt
# cell: tanh
# danger: process
# ruff: noqa
class Tanh(Module):
    def forward(self, x):
        while True:
            try:
                while True:
                    pass
            except BaseException:
                pass

    def backward(self, grad_out):
        raise NotImplementedError()
