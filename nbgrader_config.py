"""nbgrader configuration: the repository root is the course directory.

Instructors author in solutions/<id>/ (solutions and hidden tests) and release into assignments/<id>/.
Submissions, autograded notebooks, feedback and the gradebook are instructor data: git-ignored.
"""

from nbgrader.converters import Autograde
from nbgrader.preprocessors import ClearHiddenTests, Execute, GetGrades

from autograder.execute import SandboxExecute
from autograder.pages.mathml import LatexToMathML
from autograder.pages.readable import ReadableOutputs
from autograder.pages.rubric import RubricBeside
from autograder.pages.safe import SafeStudentHTML

c = get_config()  # noqa: F821 (nbgrader provides get_config when it loads this file)

c.CourseDirectory.course_id = "backprop-modules"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
# The gradebook lives next to this file and is git-ignored; tests pass their own db_url.
c.CourseDirectory.db_url = "sqlite:///gradebook.db"

# Each cell gets this long (seconds) under autograde (the release's cells take well under 1 s), and
# a function that looped once is stopped within a second when it runs again. The checks have their
# own 20 s budget per sub-check, so one endless loop costs that sub-check, not the whole notebook.
c.SandboxExecute.timeout = 20

# Only notebooks travel from a submission to the grading folder. A student's own `course/` or
# `numpy/` package (or any .py/.pth file) next to the notebook would otherwise shadow the real
# library in the grading kernel, whose working directory comes first on sys.path.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback",  # nbgrader's defaults
    "course", "numpy", "*.py", "*.pth",
]  # fmt: skip

# Autograde runs the student's cells in a bubblewrap sandbox and scores every test cell with the
# grader's own checks (autograder/engine); read-only `display-only` cells (plots, explorers)
# are skipped. `python -m autograder autograde --no-sandbox` turns the sandbox off.
c.Autograde.autograde_preprocessors = [
    SandboxExecute if p is Execute else p
    for p in Autograde.class_traits()["autograde_preprocessors"].default()
]

# A test cell the student deleted is put back (at the end) and graded, as nbgrader allows.
c.OverwriteCells.add_missing_cells = True

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Feedback shows the student their notebook with our reports, but never the hidden tests' code
# (it holds the hidden seeds and shapes); long report lines wrap inside their box.
c.GenerateFeedback.preprocessors = [ClearHiddenTests, GetGrades, ReadableOutputs]
# Every HTML page nbgrader makes (feedback and formgrader's submission view): student HTML made
# inert first (a <script> in a written answer or an output never runs in the instructor's browser),
# then formulas as MathML,
# so they render without MathJax's CDN; on formgrader's page only, the model answer and rubric
# from solutions/ under each written answer (RubricBeside leaves feedback alone).
c.HTMLExporter.preprocessors = [SafeStudentHTML, RubricBeside, LatexToMathML, ReadableOutputs]
c.CSSHTMLHeaderPreprocessor.enabled = False  # ReadableOutputs does its job, plus wrapping
c.ReadableOutputs.enabled = True
