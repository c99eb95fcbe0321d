# class: import-system
# what: a sys.setprofile hook (which the grader's own hook saves and restores) rewrites `earned` to the maximum
# after: setup
# ruff: noqa
import ctypes
import sys


def _profile(frame, event, arg):
    if event == "call" and frame.f_code.co_name in ("clean_score", "_clean_score", "clip_score"):
        names = frame.f_code.co_varnames[: frame.f_code.co_argcount]
        if len(names) >= 2:
            local = frame.f_locals
            local[names[0]] = local[names[1]]
            ctypes.pythonapi.PyFrame_LocalsToFast(ctypes.py_object(frame), ctypes.c_int(0))


sys.setprofile(_profile)
