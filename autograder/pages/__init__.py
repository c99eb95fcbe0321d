"""How graded notebooks look to people: nbgrader preprocessors for feedback and formgrader
(instructor side; nbgrader_config.py wires them in, one job per file).

- :mod:`autograder.pages.mathml`   LaTeX in markdown → MathML, so formulas render with no network
- :mod:`autograder.pages.readable` long lines of output wrap inside their box
- :mod:`autograder.pages.rubric`   formgrader shows the model answer and rubric beside each
  written answer (never in feedback)
"""
