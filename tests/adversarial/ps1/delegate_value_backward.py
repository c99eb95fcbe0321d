# class: delegation
# what: backward(root) calls root.backward(), the library's reference walk (the question forbids it)
# cell: backward_answer
# ruff: noqa


def backward(root):
    root.backward()
