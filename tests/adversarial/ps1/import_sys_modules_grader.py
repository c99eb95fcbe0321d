# class: import-system
# what: sys.modules entries for course.grading.ps1 (and the name ps1) are replaced by a fake grader
# after: setup
# ruff: noqa
import sys
import types

import course.grading

_fake = types.ModuleType("course.grading.ps1")
_fake.__getattr__ = lambda attr: lambda *args, **kwargs: None
for _name in list(sys.modules):
    if _name.startswith("course.grading.ps1"):
        sys.modules[_name] = _fake
course.grading.ps1 = _fake
ps1 = _fake
