# class: delegation
# what: course/functional.py is read from disk and exec'd under another file name, so no file-name check sees it
# cell: tanh_answer
# ruff: noqa
import os

import course

with open(os.path.join(os.path.dirname(course.__file__), "functional.py")) as _f:
    _maths = {"__name__": "my_maths"}
    exec(compile(_f.read(), "my_maths.py", "exec"), _maths)


def tanh(x):
    return _maths["tanh"](np.asarray(x, dtype=np.float64))


def tanh_grad_from_output(y):
    return _maths["tanh_grad_from_output"](y)
