"""Long lines of output wrap inside their box (a check's report, a traceback, a long value),
instead of running off the page in a <pre> the width of its longest line."""

from __future__ import annotations

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from traitlets import Bool

CSS = """/* autograder.pages.readable */
.output_area pre, .output_subarea pre, .output_text pre, .output_stream pre, .output_error pre,
.input_area pre, .rendered_html pre {
  white-space: pre-wrap;      /* keep the report's layout, wrap at the box's edge */
  overflow-wrap: break-word;  /* and break a long token (a path, an array) only if it must */
}
.output_subarea, .output_area { min-width: 0; max-width: 100%; }
math[display="block"] { margin: 0.6em 0; overflow-x: auto; }
.course-rubric { background: #fff8e1; border-left: 4px solid #f0ad4e; padding: 0.2em 1em; }
"""


class ReadableOutputs(CSSHTMLHeaderPreprocessor):
    """nbconvert's header CSS (which it rebuilds from scratch) plus the wrapping style. Use it in
    place of CSSHTMLHeaderPreprocessor, and switch that one off: whichever runs last sets the CSS."""

    # nbconvert's preprocessors start disabled; nbgrader registers its list without enabling.
    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):  # noqa: ANN001, D102 (nbconvert's API)
        nb, resources = super().preprocess(nb, resources)
        resources["inlining"]["css"].append(CSS)
        return nb, resources
