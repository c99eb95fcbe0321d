"""One sandboxed agent and the trusted end of its channel.

Every request has a deadline kept here, on the trusted side: a reply that does not come in time
(an endless loop, a sleep, a blocked ``input()``) kills the sandbox. A sandbox that died (killed,
``os._exit``, out of memory) is started again on the next request, and the cells that had run in
it are run again, so one failure costs only the call it happened in.
"""

from __future__ import annotations

import os
import select
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from course.grading.core import CheckTimeout, current_deadline

from ..inside import wire
from . import sandbox

READY_TIMEOUT = 60.0  # seconds for a new sandbox to start (Python, numpy, IPython)
MAX_FAILED_STARTS = 3  # sandboxes in a row that never became ready; then every request fails
# A function of the student's that once ran past its time limit is stopped after this long when
# it is found running again (a second endless loop costs half a second, not the whole limit).
SEEN_LOOPING = 0.5
WHERE = ".where"  # autograder/inside/agent.py writes there, in /scratch, where it is now


class SandboxDied(Exception):
    """The sandbox ended during a request (the student's code exited, crashed or ran out of
    memory)."""


class SeenLooping(CheckTimeout):
    """Stopped early: the student function running is one that looped before (its message says
    which, and how it was stopped the first time)."""


class SandboxBroken(Exception):
    """The sandbox answered something that is not a valid reply, or cannot be started."""


class Session:
    """Starts the agent, sends requests, enforces deadlines, restarts after failures."""

    def __init__(self, root: Path, *, sandboxed: bool = True, limits: sandbox.Limits | None = None,
                 replay_timeout: float = 120.0, looping: dict[str, str] | None = None) -> None:  # fmt: skip
        self.root, self.sandboxed = root, sandboxed
        self.limits = limits or sandbox.Limits()
        self.replay_timeout = replay_timeout
        self.proc = None
        self.generation = 0
        self.failed_starts = 0
        self.last_limit: str | None = None  # the limit the last sandbox that ended had hit
        # Student function → what was stopped in it first; shared by a notebook's passes, so a
        # loop one sandbox found is cut in the others at once.
        self.looping: dict[str, str] = {} if looping is None else looping
        self.history: list[str] = []  # cells that ran to the end, replayed after a restart
        self.callbacks: dict[int, Callable[..., Any]] = {}
        self.scratch: Path | None = None
        self._deadline = 0.0

    # --- lifecycle ------------------------------------------------------------------------------
    def _start(self) -> None:
        # Restarts after the student's code died or looped are not limited (each is the
        # student's own cost); a sandbox that will not start at all is, or grading would hang.
        if self.failed_starts >= MAX_FAILED_STARTS:
            raise SandboxBroken(
                f"the sandbox failed to start {MAX_FAILED_STARTS} times; no more attempts"
            )
        self.generation += 1
        self.scratch = Path(tempfile.mkdtemp(prefix="scratch-"))
        self.proc = sandbox.start(self.root, self.scratch, self.sandboxed, self.limits)
        self._deadline = time.monotonic() + READY_TIMEOUT
        try:
            reply = self._read()
        except (CheckTimeout, SandboxDied, wire.WireError, ValueError, OSError):
            reply = None
        if not isinstance(reply, dict) or "ready" not in reply:
            self.kill()
            self.failed_starts += 1
            raise SandboxBroken("the sandbox did not start")
        self.failed_starts = 0
        replayed, self.history = self.history, []
        for source in replayed:  # bring the new sandbox to where the old one was
            try:
                self.exec(source, self.replay_timeout)
            except (CheckTimeout, SandboxDied):
                continue

    def ensure(self) -> None:
        """Start the sandbox if it is not running (after a failure, with the cells replayed)."""
        if not self.alive():
            self.kill()
            self._start()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """End the sandbox and everything in it (bwrap's pid namespace goes with it)."""
        if self.proc is not None:
            for pipe in (self.proc.stdin, self.proc.stdout):
                try:
                    pipe.close()
                except OSError:
                    pass
            try:
                os.killpg(self.proc.pid, 9)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.wait()  # also removes its cgroups and its /scratch
            self.last_limit = sandbox.limit_hit(self.proc)
            self.proc = None
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None

    def close(self) -> None:
        self.kill()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --- the channel ----------------------------------------------------------------------------
    def where(self) -> str:
        """The student function the sandbox's main thread is in now ("" if none or unknown)."""
        try:
            return (self.scratch / WHERE).read_text()[:300] if self.scratch else ""
        except OSError:
            return ""

    def _read_exact(self, n: int) -> bytes:
        fd = self.proc.stdout.fileno()
        chunks, left = [], n
        started = time.monotonic()
        while left:
            wait = self._deadline - time.monotonic()
            if wait <= 0:
                raise CheckTimeout("timeout")
            if self.looping:  # look every quarter second for a loop seen before
                wait = min(wait, 0.25)
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                if self.looping and time.monotonic() - started > SEEN_LOOPING:
                    again = self.where()
                    if again in self.looping:
                        raise SeenLooping(again)
                continue
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                raise SandboxDied("the sandbox ended")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _read(self) -> Any:
        return wire.Reader(self._read_exact).message()

    def _send(self, value: Any, to_ref: Callable[[Any], Any]) -> None:
        try:
            wire.send(self.proc.stdin.fileno(), value, to_ref)
        except (BrokenPipeError, OSError) as exc:
            raise SandboxDied("the sandbox ended") from exc

    def request(self, msg: dict, timeout: float, to_ref: Callable[[Any], Any],
                from_wire: Callable[[Any], Any], bounded: bool = True) -> dict:  # fmt: skip
        """Send ``msg`` and return the reply, answering callbacks meanwhile. ``timeout`` is cut
        to the current sub-check's deadline. On a timeout or a broken reply the sandbox is
        killed (it is restarted by the next request). Restarting a sandbox the student's code
        ended does not count against the sub-check's deadline (it is not the answer's time)."""
        start = time.monotonic()
        self.ensure()
        restart = time.monotonic() - start
        budget = timeout
        deadline = current_deadline() if bounded else None
        if deadline is not None:
            budget = min(budget, deadline + restart - time.monotonic())
        self._deadline = time.monotonic() + max(budget, 0.0)
        try:
            self._send(msg, to_ref)
            while True:
                reply = self._read()
                if not isinstance(reply, dict):
                    raise SandboxBroken("the sandbox sent something that is not a reply")
                if "callback" not in reply:
                    return reply
                self._send(self._answer(reply, from_wire), to_ref)
        except CheckTimeout as exc:
            where = self.where()
            self.kill()
            if isinstance(exc, SeenLooping):
                name = str(exc).split(":")[0]
                raise SeenLooping(
                    f"stopped: it is running `{name}` again, which looped before "
                    f"({self.looping.get(str(exc), 'earlier')})"
                ) from None
            if where:
                self.looping.setdefault(where, f"ran past {budget:.3g} s")
            raise CheckTimeout(f"this took longer than {budget:.3g} s (an endless loop?)") from None
        except SandboxDied:
            self.kill()
            raise
        except (wire.WireError, SandboxBroken, ValueError, OSError) as exc:
            self.kill()
            raise SandboxBroken(f"the sandbox's reply broke the protocol ({exc})") from None
        except BaseException:
            self.kill()  # the conversation cannot be resumed half-way
            raise

    def _answer(self, msg: dict, from_wire: Callable[[Any], Any]) -> dict:
        """Run a grader function the student's code called back (a test function in ps1)."""
        fn = self.callbacks.get(msg.get("callback"))
        args, kwargs = msg.get("args", []), msg.get("kwargs", {})
        if fn is None or not isinstance(args, list) or not isinstance(kwargs, dict):
            return {"error": {"type": "TypeError", "message": "bad call of a grader function"}}
        if _holds_handle([args, kwargs]):  # using it would need a request inside this reply
            return {"error": {"type": "TypeError", "message":
                              "the grader's function takes numbers and arrays only"}}  # fmt: skip
        try:
            return {"value": fn(*args, **kwargs)}
        except Exception as exc:  # the student gave our function bad input: their error
            return {"error": {"type": type(exc).__name__, "message": str(exc)[:500]}}

    def exec(self, source: str, timeout: float) -> list[dict]:
        """Run one notebook cell; return its outputs (plain dicts, checked by the caller)."""
        reply = self.request({"op": "exec", "source": source}, timeout, _no_refs, _plain, False)
        outputs = reply.get("outputs")
        if not isinstance(outputs, list):
            raise SandboxBroken("the sandbox sent no outputs")
        self.history.append(source)
        return outputs


def _holds_handle(value: Any) -> bool:
    if isinstance(value, wire.Handle):
        return True
    if isinstance(value, (list, tuple)):
        return any(map(_holds_handle, value))
    if isinstance(value, dict):
        return any(map(_holds_handle, value.values()))
    return False


def _no_refs(obj: Any) -> Any:
    raise TypeError(f"cannot send a {type(obj).__name__}")


def _plain(value: Any) -> Any:
    return value
