# class: processes
# what: the answer raises SystemExit when called, and the answer cell itself calls sys.exit
# cell: central_answer
# ruff: noqa
import sys


def central_difference(f, x, eps=1e-5):
    raise SystemExit(0)


sys.exit(0)
