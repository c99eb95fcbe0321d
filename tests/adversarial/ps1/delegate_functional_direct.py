# class: delegation
# what: softmax is course.functional.softmax, imported directly (the rules forbid it)
# cell: softmax_answer
# ruff: noqa
from course.functional import softmax as _course_softmax


def softmax(z):
    return _course_softmax(z, axis=1)
