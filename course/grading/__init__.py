"""Autograding checks for the problem sets.

- :mod:`course.grading.core`      ``grade_item``: isolated sub-checks, a short report, partial credit
- :mod:`course.grading.diagnose`  compare arrays and name the likely mistake
- :mod:`course.grading.tripwire`  detect a submission that calls the reference modules
- :mod:`course.grading.integrity` detect a tampered numpy or builtins
- :mod:`course.grading.ps1`, :mod:`~course.grading.ps2`, :mod:`~course.grading.ps3` (one folder each): one
  ``check_*`` per notebook item
"""
