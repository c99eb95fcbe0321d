"""Formulas in markdown cells become MathML when the HTML is made, so they render in any
browser without MathJax (nbconvert's pages load it from a CDN: offline, formulas stayed raw)."""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

# Code (fenced blocks and inline spans) is left alone; then display math before inline math.
_CODE = re.compile(r"(```.*?```|~~~.*?~~~|`[^`\n]*`)", re.S)
_MATH = re.compile(
    r"(?<!\\)\$\$(?P<d1>.+?)\$\$|\\\[(?P<d2>.+?)\\\]|\\\((?P<i2>.+?)\\\)"
    r"|(?<![\\$])\$(?P<i1>[^$\n]+?)(?<!\\)\$(?!\$)",
    re.S,
)


def _render(m: re.Match[str]) -> str:
    display = m.group("d1") is not None or m.group("d2") is not None
    tex = next(g for g in m.group("d1", "d2", "i1", "i2") if g is not None)
    try:
        out = convert(tex.strip(), display="block" if display else "inline")
    except Exception:  # noqa: BLE001 (a formula the converter cannot read stays as the student wrote it)
        return f"<code>{html.escape(m.group(0))}</code>"
    return out.replace("\n", " ")


def markdown_to_mathml(source: str) -> str:
    """``source`` with every $…$, $$…$$, \\(…\\) and \\[…\\] outside code turned into <math>."""
    parts = _CODE.split(source)
    return "".join(p if i % 2 else _MATH.sub(_render, p) for i, p in enumerate(parts))


class LatexToMathML(Preprocessor):
    """Markdown cells: LaTeX → MathML (one job: formulas that render offline)."""

    # nbconvert's preprocessors start disabled; nbgrader registers its list without enabling.
    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):  # noqa: ANN001, D102 (nbconvert's API)
        if cell.cell_type == "markdown":
            cell.source = markdown_to_mathml(cell.source)
        return cell, resources
