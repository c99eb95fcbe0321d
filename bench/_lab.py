"""A real JupyterLab and a real chromium for browser benchmarks (the setup of tests/test_browser.py).

:func:`jupyterlab` serves a temporary copy of ``lectures/`` on a free loopback port, in its own
process group (ended on exit), with fresh settings (no "Jupyter news" toast) and a runtime folder
of its own, so :func:`kernel_client` can reach a notebook's kernel through its connection file.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
# One set of browser helpers: the test's port finder, server and kernel waits and chromium flags.
from test_browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_FLAGS,
    _free_port,
    _wait_for_server,
    _wait_kernel_idle,
)

ROOT = Path(__file__).resolve().parents[1]
__all__ = ["CHROMIUM", "CHROMIUM_FLAGS", "Lab", "jupyterlab", "kernel_client", "wait_kernel_idle"]
wait_kernel_idle = _wait_kernel_idle


@dataclass
class Lab:
    base: str  # http://127.0.0.1:PORT
    token: str
    runtime: Path  # JUPYTER_RUNTIME_DIR: kernel connection files

    def url(self, notebook: str) -> str:
        return f"{self.base}/lab/tree/{notebook}?token={self.token}"


@contextlib.contextmanager
def jupyterlab() -> Iterator[Lab]:
    tmp = Path(tempfile.mkdtemp(prefix="bench_lab_"))
    try:
        shutil.copytree(ROOT / "lectures", tmp / "root" / "lectures")
        settings = tmp / "settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True)
        (settings / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False})
        )
        env = dict(os.environ)
        env.pop("MPLBACKEND", None)
        env.update(
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            PYTHONPATH=f"{ROOT}{os.pathsep}{env.get('PYTHONPATH', '')}",
            JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
            JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
        )
        port, token = _free_port(), secrets.token_hex(16)
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
            _wait_for_server(f"{base}/api/status?token={token}", proc, log)
            yield Lab(base, token, tmp / "runtime")
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
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def kernel_client(lab: Lab, notebook: str):
    """A jupyter_client BlockingKernelClient on the kernel behind ``notebook`` (a second
    connection, next to the browser's)."""
    from jupyter_client import BlockingKernelClient

    with urllib.request.urlopen(f"{lab.base}/api/sessions?token={lab.token}", timeout=5) as r:
        kid = next(s["kernel"]["id"] for s in json.load(r) if s.get("path") == notebook)
    client = BlockingKernelClient(connection_file=str(lab.runtime / f"kernel-{kid}.json"))
    client.load_connection_file()
    client.start_channels()
    client.wait_for_ready(timeout=30)
    return client


def run_in_kernel(client, code: str, timeout: float = 30) -> str:
    """Execute ``code`` in the kernel and return what it printed (raises on an error)."""
    out: list[str] = []

    def hook(msg: dict) -> None:
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append("\n".join(msg["content"]["traceback"]))

    reply = client.execute_interactive(code, output_hook=hook, timeout=timeout)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"kernel code failed: {''.join(out)[-2000:]}")
    return "".join(out)


def wait_idle(lab: Lab, notebook: str, timeout: float, steady: float) -> None:
    wait_kernel_idle(lab.base, lab.token, notebook, timeout=timeout, steady=steady)
