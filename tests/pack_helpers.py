"""Shared by the student-pack and JupyterHub tests: the pack built and installed once per run,
servers on free loopback ports, and process groups stopped at the end."""

from __future__ import annotations

import atexit
import functools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
INSTALL_TIMEOUT = (
    900  # a fresh venv with JupyterLab and nbgrader: about a minute on an idle machine
)


def _loud_skip(reason: str) -> None:
    """Skip a browser test so that nobody misses it: a banner on stderr as well."""
    import pytest

    msg = f"!!! BROWSER TEST SKIPPED: {reason} !!!"
    print(f"\n{msg}", file=sys.stderr)
    pytest.skip(msg)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_url(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    """Until ``url`` answers 200 (or fail with the server's log if it exits or never answers)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=3) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"no answer from {url} in {timeout:g} s:\n{log.read_text()[-4000:]}")


def stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM the process group ``proc`` leads (started with start_new_session), then SIGKILL."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=wait)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def get(url: str, timeout: float = 10) -> tuple[int, str]:
    """(status, body) of a GET, HTTP errors included."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def page_config(html: str) -> dict:
    """JupyterLab's page config, embedded in the /lab page."""
    m = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                  html, re.S)  # fmt: skip
    assert m, "no jupyter-config-data in the page"
    return json.loads(m.group(1))


@functools.cache
def built_pack() -> Path:
    """``make student-pack`` into a temporary dist/ (the real target, the real zip)."""
    tmp = Path(tempfile.mkdtemp(prefix="student-pack-"))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    subprocess.run(["make", "-s", "student-pack", f"DIST={tmp / 'dist'}"], cwd=ROOT, check=True)
    return tmp / "dist"


@functools.cache
def installed_pack() -> Path:
    """The pack's zip unpacked into a fresh, world-readable directory, with its .venv installed
    by the pack's own Makefile (the step `make lab` runs first)."""
    if os.environ.get(
        "COURSE_TEST_PACK"
    ):  # iterating on these tests: an installed pack (CI: never)
        return Path(os.environ["COURSE_TEST_PACK"])
    fresh = Path(tempfile.mkdtemp(prefix="fresh-"))
    atexit.register(shutil.rmtree, fresh, ignore_errors=True)
    os.chmod(fresh, 0o755)  # the JupyterHub test's users run this environment
    with zipfile.ZipFile(built_pack() / "student.zip") as z:
        z.extractall(fresh)
    pack = fresh / "student"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep)
                                  if not p.startswith(str(Path(sys.executable).parent)))  # fmt: skip
    # Debian's Python, when there is one: the JupyterHub test's accounts cannot run one under /root.
    python = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else "python3"
    subprocess.run(["make", "-s", ".venv/.installed-student", f"PYTHON={python}"], cwd=pack,
                   env=env, check=True, timeout=INSTALL_TIMEOUT)  # fmt: skip
    return pack
