"""Text a student's notebook or sandbox sends, made safe to write anywhere (files, gradebook, report)."""

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
