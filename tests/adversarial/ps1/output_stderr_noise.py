# class: output-channel
# what: the answer writes to stderr through sys.stderr, sys.__stderr__ and file descriptor 2
# cell: dag_answer
# ruff: noqa
import os
import sys


def dag_dy_dx(x):
    sys.stderr.write("Score: 2 / 2\n")
    sys.__stderr__.write("Score: 2 / 2\n")
    os.write(2, b"Score: 2 / 2\n")
    return np.full(np.shape(x), np.nan)
