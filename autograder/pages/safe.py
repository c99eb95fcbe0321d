"""Student HTML never runs in the instructor's browser: pages show a student's Markdown and
outputs only as inert text, formulas and images.

Runs first on every page nbgrader makes (feedback and formgrader's submission view). In Markdown
cells, any HTML tag but a few bare formatting tags (no attributes) is escaped, so ``<script>``,
``<img onerror=…>``, ``<svg onload=…>`` or ``<iframe>`` show as text; ``javascript:`` links
lose their scheme. Formulas and code are left for the next steps (MathML, Markdown), which
escape them themselves. Outputs keep only plain text, LaTeX and bitmap images.
"""

from __future__ import annotations

import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from ..engine.scrub import safe_data
from .mathml import _CODE, _MATH

_PLAIN_TAG = re.compile(
    r"</?(?:b|i|em|strong|br|code|sub|sup|p|ul|ol|li|hr|pre|details|summary|blockquote)\s*/?>",
    re.I,
)
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_SCRIPT_URL = re.compile(r"(?i)(\]\(\s*<?\s*)(?:javascript|vbscript|data)\s*:")


def _escape_tags(text: str) -> str:
    """Escape every tag in ``text`` but the bare formatting ones."""
    out, last = [], 0
    for m in _PLAIN_TAG.finditer(text):
        out.append(_TAG_START.sub("&lt;", text[last : m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(_TAG_START.sub("&lt;", text[last:]))
    return _SCRIPT_URL.sub(r"\1blocked:", "".join(out))


def clean(markdown: str) -> str:
    """``markdown`` with no active HTML outside its code spans and formulas."""
    parts = _CODE.split(markdown)
    cleaned = []
    for i, part in enumerate(parts):
        if i % 2:  # code: Markdown shows it escaped
            cleaned.append(part)
            continue
        pieces, last = [], 0
        for m in _MATH.finditer(part):  # formulas: converted to MathML, or shown as <code>
            pieces += [_escape_tags(part[last : m.start()]), m.group(0)]
            last = m.end()
        pieces.append(_escape_tags(part[last:]))
        cleaned.append("".join(pieces))
    return "".join(cleaned)


class SafeStudentHTML(Preprocessor):
    """Escape HTML in Markdown cells; drop active output types (HTML, JavaScript, SVG, Markdown,
    widgets) from every cell's outputs."""

    # nbconvert's preprocessors start disabled; nbgrader registers its list without enabling.
    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):  # noqa: ANN001, D102 (nbconvert's API)
        if cell.cell_type == "markdown":
            cell.source = clean(cell.source)
            cell.pop("attachments", None)  # an attachment may be an SVG with a script
        for out in cell.get("outputs", []):
            data = out.get("data")
            if isinstance(data, dict):
                out["data"] = safe_data(data)
        return cell, resources
