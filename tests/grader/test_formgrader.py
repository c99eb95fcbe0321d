"""Formgrader and feedback as people see them, in a real JupyterLab and a real chromium.

A ps1 submission with a written derivation (LaTeX) and a wrong softmax gradient is autograded in a
temporary course directory. Then:
- formgrader's page shows, right after the student's written answer, the model answer and rubric
  from solutions/ (autograder.pages.rubric);
- the student's feedback HTML has none of them, renders the formulas as MathML without any
  network (autograder.pages.mathml), and every report line wraps inside its box
  (autograder.pages.readable): no output box is wider than the page's.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from grading_helpers import PS1  # the registry's ids
from nbgrader.api import Gradebook
from pack_helpers import CHROMIUM, CHROMIUM_FLAGS, free_port, stop_group, wait_for_url

from autograder.commands import ROOT, autograde, feedback, release
from autograder.demo import copy_course, solved_notebook, submit
from autograder.pages.rubric import model_answers

pytestmark = [pytest.mark.slow, pytest.mark.browser]
A_ID = PS1
STUDENT = "ada"
ARTIFACTS = ROOT / "tests" / "artifacts"
ANSWER = (
    "By the chain rule through the softmax, $\\dfrac{\\partial \\mathcal L}{\\partial z_i} = "
    "\\hat y_i - \\mathbb 1[i = \\ell]$, and averaging over the batch divides by $N$:\n\n"
    "$$\\nabla_Z \\mathcal L = \\frac{1}{N}(\\hat Y - Y).$$\n\nAda's own words, unique: zebra-17."
)
# Student HTML that would run in the instructor's browser if a page kept it (issue 21): each
# sets window.__pwned. In the written answer, in a cell of the student's own, and as outputs.
ATTACK_MARKDOWN = (
    '\n\n<script>window.__pwned = 1</script> <img src=x onerror="window.__pwned = 2">'
    ' <svg onload="window.__pwned = 3"></svg> $<img src=x onerror="window.__pwned = 4">$'
    " [a link](javascript:window.__pwned=5)"
)
ATTACK_CELL = '<iframe srcdoc="<script>parent.__pwned = 6</script>"></iframe> <b>bold</b>'
ATTACK_OUTPUTS = (
    "from IPython.display import HTML, SVG, Javascript, display\n"
    "display(HTML('<script>window.__pwned = 7</script><img src=x onerror=\"window.__pwned=8\">'))\n"
    'display(SVG(\'<svg xmlns="http://www.w3.org/2000/svg" onload="window.__pwned=9"/>\'))\n'
    "display(Javascript('window.__pwned = 10'))\n"
)


def assert_inert(page) -> None:  # noqa: ANN001 (a Playwright page)
    """No student script ran on ``page``, and the student's tags show as text."""
    page.wait_for_timeout(500)  # give an onerror or an iframe's script the time to fire
    assert page.evaluate("() => window.__pwned") is None, "a student's script ran"
    assert "<script>window.__pwned = 1</script>" in page.locator("body").inner_text()


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    if not CHROMIUM.exists():
        pytest.skip(f"!!! FORMGRADER TEST SKIPPED: {CHROMIUM} not found !!!")
    course = copy_course(tmp_path_factory.mktemp("course"))
    db = f"sqlite:///{course / 'gradebook.db'}"
    release(course, [A_ID], db_url=db)
    nb = solved_notebook(course, A_ID)
    for c in nb.cells:
        gid = c.metadata.get("nbgrader", {}).get("grade_id")
        if gid == "derivation":
            c.source = ANSWER + ATTACK_MARKDOWN
        if gid == "grad_answer":  # forgets the 1/N: a report with a diagnosis, not a bare ✓
            c.source = c.source.replace("return grad / n", "return grad")
    at = next(
        i
        for i, c in enumerate(nb.cells)
        if c.metadata.get("nbgrader", {}).get("grade_id") == "derivation"
    )
    nb.cells[at + 1 : at + 1] = [nbformat.v4.new_markdown_cell(ATTACK_CELL),
                                 nbformat.v4.new_code_cell(ATTACK_OUTPUTS)]  # fmt: skip
    submit(course, STUDENT, A_ID, nb)
    assert autograde(course, db_url=db, workers=1) == 0
    feedback(course, db_url=db)
    return course, db


def _rubric_lines() -> list[str]:
    text = model_answers(ROOT / "solutions" / A_ID / f"{A_ID}.ipynb")["derivation"]
    return [line.strip() for line in text.splitlines() if len(line.strip()) > 20]


def _phrases() -> list[str]:
    """The longest run of plain words (no formula) of each rubric line: what the grader reads."""
    out = []
    for line in _rubric_lines():
        runs = [r.replace("**", "").strip(" .,;:()-") for r in re.split(r"\$[^$]*\$", line)]
        best = max(runs, key=len)
        if len(best) >= 12:
            out.append(best)
    return out


def test_feedback_has_no_rubric_and_renders_offline(graded: tuple[Path, str]) -> None:
    from playwright.sync_api import sync_playwright

    course, _ = graded
    page_file = course / "feedback" / STUDENT / A_ID / f"{A_ID}.html"
    html = page_file.read_text()
    assert "zebra-17" in html, "the student's own answer is missing from feedback"
    assert "Model answer" not in html and "Rubric (" not in html
    leaked = [line for line in _rubric_lines() if line in html]
    assert not leaked, f"rubric or model answer in feedback: {leaked[:3]}"
    assert "<math" in html and "\\dfrac" not in html, "formulas left as LaTeX"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=[*CHROMIUM_FLAGS, "--no-proxy-server"])  # fmt: skip
        page = browser.new_page(viewport={"width": 900, "height": 1000})
        page.route(
            "**/*", lambda r: r.abort() if r.request.url.startswith("http") else r.continue_()
        )
        page.goto(page_file.as_uri())
        assert_inert(page)
        maths = page.locator("math")
        assert maths.count() >= 3
        box = maths.first.bounding_box()
        assert box and box["width"] > 10 and box["height"] > 5, f"formula not laid out: {box}"
        widths = page.evaluate(
            """() => [...document.querySelectorAll('.output_area pre, .output_subarea pre')]
                   .map(e => [e.scrollWidth, e.clientWidth, e.innerText.length])"""
        )
        assert widths and max(n for *_, n in widths) > 0
        long_ones = [w for w in widths if w[2] > 150]
        assert long_ones, "no long report line to wrap: the test would prove nothing"
        overflowing = [w for w in widths if w[0] > w[1] + 1]
        assert not overflowing, (
            f"output boxes wider than their box (scroll, client, chars): {overflowing}"
        )
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "feedback_ps1.png"), full_page=True)
        browser.close()


def test_formgrader_shows_model_answer_and_rubric_beside_the_written_answer(
    graded: tuple[Path, str],
) -> None:
    from playwright.sync_api import expect, sync_playwright

    course, db = graded
    with Gradebook(db) as gb:
        sub_id = gb.find_submission_notebook(A_ID, A_ID, STUDENT).id
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    log = course / "lab.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1",
             f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={course}",
             "--ServerApp.terminals_enabled=False", "--allow-root"],
            cwd=course, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_url(f"{base}/api/status?token={token}", proc, log, timeout=60)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                        args=CHROMIUM_FLAGS)  # fmt: skip
            page = browser.new_page(viewport={"width": 1200, "height": 1000})
            page.goto(f"{base}/formgrader/submissions/{sub_id}/?token={token}")
            answer = page.locator(".nbgrader_cell", has_text="zebra-17")
            expect(answer).to_have_count(1, timeout=30_000)
            assert_inert(page)
            # The rubric box is the cell right after the student's answer.
            cell = page.locator(".cell", has=answer)
            rubric = cell.locator("xpath=following-sibling::div[1]")
            expect(rubric.locator(".course-rubric")).to_contain_text("Model answer")
            expect(rubric.locator(".course-rubric")).to_contain_text(re.compile(r"Rubric \(\d"))
            for phrase in _phrases():
                expect(rubric).to_contain_text(phrase)
            assert rubric.locator("math").count() > 0, "the model answer's formulas are raw"
            style = rubric.locator(".course-rubric").evaluate(
                "e => getComputedStyle(e).borderLeftWidth"
            )
            assert style == "4px", f"the rubric box is not marked out (border {style})"
            ARTIFACTS.mkdir(exist_ok=True)
            rubric.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "formgrader_rubric.png"))
            browser.close()
        # The notebook on disk is untouched: the box exists only on formgrader's page.
        nb = nbformat.read(course / "autograded" / STUDENT / A_ID / f"{A_ID}.ipynb", 4)
        assert not any("course-rubric" in c.source for c in nb.cells)
        assert json.dumps(nb).count("Model answer") == 0
    finally:
        stop_group(proc)
