"""What a student's notebook or sandbox sends, made safe: text to write anywhere (files, gradebook,
report), and outputs to show on the instructor's pages."""

from __future__ import annotations

from typing import Any


def scrub(text: str) -> str:
    """``text`` as valid UTF-8: a lone surrogate (which no file or socket can encode) becomes
    U+FFFD, so nothing a student prints can stop the cache, the gradebook or the report."""
    return text.encode("utf-8", "replace").decode("utf-8") if isinstance(text, str) else text


def scrub_notebook(obj: Any) -> Any:
    """Every string of a notebook (sources, outputs, metadata) scrubbed, in place."""
    if isinstance(obj, dict):
        for k, v in list(obj.items()):
            obj[k] = scrub_notebook(v) if isinstance(v, dict | list) else scrub(v)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            obj[i] = scrub_notebook(v) if isinstance(v, dict | list) else scrub(v)
    return obj


# What a student's output may show on the instructor's pages: no HTML, JavaScript, SVG or
# Markdown (each can carry a script into formgrader or the feedback page).
SAFE_MIME = ("text/plain", "text/latex", "image/png", "image/jpeg", "image/gif")


def safe_data(data: dict) -> dict:
    """An output's ``data`` with only the SAFE_MIME types (text values); when nothing is left, a
    line saying which types were dropped."""
    kept = {k: v for k, v in data.items() if k in SAFE_MIME and isinstance(v, str)}
    if kept:
        return kept
    kinds = ", ".join(sorted(str(k) for k in data))[:200]
    return {"text/plain": f"[output of type {kinds} not shown to the grader]"}
