"""``python -m autograder``: the instructor's command line (see :mod:`autograder.cli`)."""

from .cli import main

raise SystemExit(main())
