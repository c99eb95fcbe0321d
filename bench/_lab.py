"""A real JupyterLab and a real chromium for browser benchmarks: tests/notebooks/test_browser.py's setup.

:func:`jupyterlab` runs that test's ``lab`` fixture (a temporary copy of ``lectures/`` on a free
loopback port, its own process group, fresh settings, a runtime folder of its own), so that
:func:`kernel_client` can reach a notebook's kernel through its connection file.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "tests" / d) for d in ("", "notebooks")]
# One browser setup: the test's fixture, waits and chromium flags.
import test_browser  # noqa: E402
from test_browser import CHROMIUM, CHROMIUM_FLAGS, _wait_kernel_idle  # noqa: E402

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


class _TmpFactory:
    """What the test's fixture asks of pytest's tmp_path_factory: ``mktemp(name)``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def mktemp(self, name: str) -> Path:
        path = self.root / name
        path.mkdir()
        return path


@contextlib.contextmanager
def jupyterlab() -> Iterator[Lab]:
    """Run tests/notebooks/test_browser.py's own ``lab`` fixture (one setup for the test and the bench)."""
    tmp = Path(tempfile.mkdtemp(prefix="bench_lab_"))
    fixture = test_browser.lab.__wrapped__(_TmpFactory(tmp))
    try:
        base, token = next(fixture)
        yield Lab(base, token, tmp / "lab" / "runtime")
    finally:
        fixture.close()  # its finally: ends the server's process group
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
