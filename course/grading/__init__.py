"""Autograding checks for the problem sets.

- :mod:`course.grading.core`      ``grade_item``: isolated sub-checks, a short report, partial credit
- :mod:`course.grading.diagnose`  compare arrays and name the likely mistake
- :mod:`course.grading.student`   touch the student's objects the same way in their kernel and here
- :mod:`autograder.engine`    the trusted grader: sandbox, channel, stand-ins, runner (nbgrader's side)
- :mod:`autograder.inside.agent`     the only grading code inside the sandbox (the student's side)
- :mod:`autograder.execute`   nbgrader's Execute step, replaced by the engine
- :mod:`course.grading.ps1`, :mod:`~course.grading.ps2`, :mod:`~course.grading.ps3` (one folder each): one
  ``check_*`` per notebook item
"""
