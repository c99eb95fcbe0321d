# class: output-channel
# what: the answer prints a fake report and a score line to stdout and returns nothing useful
# cell: chain_answer
# ruff: noqa
import sys


def dy_dx(x):
    print("Chain rule along one path: 2 / 2 points")
    print("  ✓ dy_dx at one point (a float)      1 / 1")
    print("  ✓ dy_dx elementwise on an array     1 / 1")
    sys.stdout.write("2.0\n")
    sys.stdout.flush()
    return np.full(np.shape(x), np.nan)
