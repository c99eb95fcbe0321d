"""A real chromium drives a real JupyterLab: run lecture 04, move the saturation slider with the
keyboard, and check that the picture and the readout change to what the kernel computes.

Needs Debian's /usr/bin/chromium (``make test`` tries to apt-get install it) and the Python
playwright package; no browser is downloaded. Without them the test is SKIPPED, loudly.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from pack_helpers import CHROMIUM, CHROMIUM_FLAGS, _loud_skip, free_port, wait_for_url

from course.widgets import saturation_stats

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
LECTURE = "lectures/04_activations_saturation.ipynb"
ARTIFACTS = ROOT / "tests" / "artifacts"
ARROW_PRESSES = 15  # weight scale 1.0 → 2.5 in steps of 0.1


def _kernel_state(base: str, token: str, path: str) -> tuple[str, int] | None:
    """(execution_state, connections) of the kernel behind notebook ``path``, from the server."""
    with urllib.request.urlopen(f"{base}/api/sessions?token={token}", timeout=5) as r:
        for s in json.load(r):
            if s.get("path") == path and s.get("kernel"):
                return s["kernel"]["execution_state"], s["kernel"]["connections"]
    return None


def _wait_kernel_idle(base: str, token: str, path: str, timeout: float, steady: float) -> None:
    """Wait until the notebook's kernel is connected and has been idle for ``steady`` seconds.

    The page's own execution indicator says "idle" before the kernel has even started, and a
    queue of cells passes through idle for a moment between cells: the server's view, held for
    a while, says neither.
    """
    deadline = time.monotonic() + timeout
    since = None
    while time.monotonic() < deadline:
        state = _kernel_state(base, token, path)
        if state is not None and state[0] == "idle" and state[1] >= 1:
            since = since or time.monotonic()
            if time.monotonic() - since >= steady:
                return
        else:
            since = None
        time.sleep(0.25)
    raise AssertionError(f"the kernel of {path} was not idle for {steady} s within {timeout} s")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """JupyterLab on a free loopback port, serving a temp copy of lectures/, in its own process
    group (killed in teardown). Yields (base url, token)."""
    if not CHROMIUM.exists():
        _loud_skip(f"{CHROMIUM} not found; install it with `apt-get install -y chromium`")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _loud_skip("the playwright package is missing; `pip install -e '.[test]'`")
    if not (ROOT / LECTURE).exists():
        pytest.fail(f"{LECTURE} is missing: the browser test drives its saturation explorer")

    tmp = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "lectures", tmp / "root" / "lectures")
    # Fresh user settings and workspaces: no stale layout, and no "Jupyter news" toast.
    notif = (
        tmp / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    )
    notif.parent.mkdir(parents=True)
    notif.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # the lecture's own plots should render inline in the browser
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=f"{ROOT}{os.pathsep}{env.get('PYTHONPATH', '')}",
        JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
    )
    port, token = free_port(), secrets.token_hex(16)
    log = tmp / "lab.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser",
             "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
             f"--ServerApp.root_dir={tmp / 'root'}", "--ServerApp.terminals_enabled=False",
             "--allow-root"],
            stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_url(f"{base}/api/status?token={token}", proc, log, timeout=45)
        yield base, token
    finally:
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)  # the server and the kernels it started
                proc.wait(timeout=wait)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue


def test_saturation_slider_moves_plot_and_readout(lab: tuple[str, str]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, token = lab
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(30_000)
            page.goto(f"{base}/lab/tree/{LECTURE}?token={token}")
            page.locator(".jp-Notebook").first.wait_for()
            _wait_kernel_idle(base, token, LECTURE, timeout=30, steady=0.5)

            # Run ▸ Run All Cells, from the menu bar.
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()

            label = page.locator(".widget-label", has_text="weight scale")
            explorer = page.locator(".widget-vbox", has=label).last  # the innermost VBox
            # Cells far below the viewport may be laid out lazily: attached is enough here.
            explorer.wait_for(state="attached", timeout=40_000)
            _wait_kernel_idle(base, token, LECTURE, timeout=40, steady=1.5)  # Run All has finished
            errors = page.locator(
                ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
            )
            assert errors.filter(has_text="Traceback").count() == 0, "a lecture cell raised"

            slider = explorer.locator(".widget-slider", has=label)
            readout = explorer.locator(".widget-html", has_text="saturated")
            image = explorer.locator("img")
            explorer.scroll_into_view_if_needed()
            expect(slider.locator(".widget-readout")).to_have_text("1.00")
            text_before, src_before = readout.inner_text(), image.get_attribute("src")
            pixels_before = image.screenshot()

            slider.locator(".noUi-handle").focus()
            for _ in range(ARROW_PRESSES):
                page.keyboard.press("ArrowRight")
            expect(slider.locator(".widget-readout")).to_have_text("2.50")

            # What the kernel should show for weight scale 2.5, computed here independently.
            want = saturation_stats("sigmoid", weight_scale=2.5)
            expect(readout).to_contain_text(f"{want.mean_derivative:.4f}", timeout=15_000)
            expect(readout).to_contain_text(f"{100 * want.saturated_fraction:.1f}%")
            assert readout.inner_text() != text_before
            expect(image).not_to_have_attribute("src", src_before or "")
            assert image.screenshot() != pixels_before, "the plot did not change"

            explorer.screenshot(path=str(ARTIFACTS / "saturation_explorer.png"))
            flow = page.locator(
                ".widget-vbox", has=page.locator(".widget-label", has_text="init scale")
            ).last
            flow.scroll_into_view_if_needed()
            expect(flow.locator(".widget-html", has_text="∂ℒ/∂h")).to_be_visible()
            flow.screenshot(path=str(ARTIFACTS / "gradient_flow_explorer.png"))
            page.screenshot(path=str(ARTIFACTS / "lecture04_after_slider.png"))
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "browser_test_failure.png"))
            prompts = page.locator(".jp-InputArea-prompt").all_inner_texts()
            outputs = page.locator(".jp-OutputArea-output").all_inner_texts()
            print(
                "input prompts:", prompts, "\noutputs:", [o[:300] for o in outputs], file=sys.stderr
            )
            raise
        finally:
            browser.close()
