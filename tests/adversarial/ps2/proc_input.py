# class: processes
# what: the answer asks for input() at cell level and in forward (the kernel has no stdin)
# cell: softmax
# ruff: noqa
try:
    _answer = input("Softmax, please: ")
except BaseException:
    _answer = ""


class Softmax(Module):
    def forward(self, x):
        input("the expected output, please: ")
        raise NotImplementedError()

    def backward(self, grad_out):
        raise NotImplementedError()
