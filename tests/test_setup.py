"""The two-command setup: `make lab` serves JupyterLab on the lectures; re-runs install nothing."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import urllib.request

import pytest
from pack_helpers import free_port


def test_readme_opens_with_the_two_commands(repo_root):
    head = (repo_root / "README.md").read_text().split("## ")[0]
    assert "make lab" in head and "make test" in head


@pytest.mark.parametrize("target", ["lab", "test"])
def test_second_run_does_not_reinstall(repo_root, target):
    dry = subprocess.run(
        ["make", "-n", target], cwd=repo_root, capture_output=True, text=True, check=True
    )
    assert "pip install" not in dry.stdout, dry.stdout


def test_make_lab_serves_the_lectures(repo_root):
    port, token = free_port(), "course-test-token"
    args = f"ARGS=--no-browser --port={port} --IdentityProvider.token={token}"
    proc = subprocess.Popen(
        ["make", "lab", args],
        cwd=repo_root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/?token={token}"
        deadline, last = time.time() + 60, None
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    body, final = resp.read().decode(), resp.geturl()
                break
            except OSError as exc:
                last = exc
                time.sleep(0.5)
        else:
            pytest.fail(f"JupyterLab did not answer on {url}: {last}")
        assert "/lab/tree/lectures" in final  # the lectures come first
        assert "JupyterLab" in body or "jupyter" in body.lower()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert re.search(rf"http://(127\.0\.0\.1|localhost):{port}/lab", out), out[-2000:]
