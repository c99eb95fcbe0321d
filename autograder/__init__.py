"""The instructor's side of the course: never in a student pack.

- :mod:`autograder.cli`, :mod:`~autograder.commands`, :mod:`~autograder.demo`  the commands
  (``python -m autograder release|autograde|feedback|grades|demo``)
- :mod:`autograder.cellmeta`     the one reader of nbgrader's cell metadata
- :mod:`autograder.execute`      nbgrader's Execute step, replaced by the engine
- :mod:`autograder.engine`       the trusted grader's host side: sandbox, channel, stand-ins, runner,
  cache, Dask batch, recording into the gradebook
- :mod:`autograder.inside`       the only code that runs inside the sandbox (agent and wire format)
- :mod:`autograder.submissions`, :mod:`~autograder.classreport`  finding hand-ins, the class report
- :mod:`autograder.pages`        nbgrader preprocessors for feedback and formgrader pages
- :mod:`autograder.exchange`     files nbgrader's exchange needs to hand feedback back
- :mod:`autograder.pack`         the student pack builder

The checks themselves (``course.grading``) ship to students too: they import nothing from here.
"""
