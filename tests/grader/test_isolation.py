"""One sandbox cannot hurt the machine or the classmates graded next to it: each has its own
process, memory and CPU cgroup, a /scratch of bounded size, and no way to make namespaces.

Every attack runs as a student's cell in a sandbox started the way the grader starts it
(``Session``), and carries its own brake (a count it will not pass, a size it stops at), so a
run without a defence fails its test instead of hurting the machine.
"""

from __future__ import annotations

import errno
import gc
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from grading_helpers import PS2  # the registry's ids

from autograder.engine import cgroups, runner, sandbox
from autograder.engine.session import SandboxDied, Session

MiB = 1 << 20
needs_cgroups = pytest.mark.skipif(
    os.geteuid() != 0 or sandbox.backend().kind == "rlimits",
    reason="needs a writable cgroup (root with cgroup v1, or delegated v2): " + sandbox.mechanism(),
)


@pytest.fixture(scope="module")
def root() -> Path:
    return runner.library_for(PS2)


def ours() -> list[str]:
    """The cgroup folders and tmpfs mounts this process's sandboxes have now."""
    mine = re.compile(rf"autograder-\d+-{os.getpid()}-\d+$")
    found = [
        str(d)
        for parent in sandbox.backend().parents.values()
        for d in parent.iterdir()
        if mine.match(d.name)
    ]
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        source = line.partition(" - ")[2].split()[1]
        if mine.match(source):
            found.append(f"mount {source}")
    return found


@pytest.fixture(autouse=True)
def nothing_left_behind():
    yield
    assert ours() == []


def text(outputs: list[dict]) -> str:
    return "".join(o.get("text", "") + o.get("evalue", "") for o in outputs)


def memory_used(proc: sandbox.Sandbox) -> int:
    """Bytes charged to the sandbox's memory cgroup now."""
    box = proc.box
    if "" in box.dirs:
        return int((box.dirs[""] / "memory.current").read_text())
    return int((box.dirs["memory"] / "memory.usage_in_bytes").read_text())


# --- processes -----------------------------------------------------------------------------------
FORK_BOMB = """
import os, time
kids = 0
try:
    while kids < 1000:  # the brake: far below what would hurt the machine
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
        kids += 1
    print(kids, 0)
except OSError as e:
    print(kids, e.errno)
"""


@pytest.mark.slow
@needs_cgroups
def test_a_fork_bomb_stops_at_the_process_limit_and_a_classmate_still_starts(root):
    limits = sandbox.Limits(processes=64)
    with Session(root, limits=limits) as bomb:
        kids, err = map(int, text(bomb.exec(FORK_BOMB, 30)).split())
        assert err == errno.EAGAIN and 30 < kids < 64, (kids, err)
        # the sleepers are still there, holding every process the bomb could get
        with Session(root, limits=limits) as classmate:
            assert text(classmate.exec("import os\nos.fork() or os._exit(0)\nprint(6 * 7)", 20)) == "42\n"  # fmt: skip
            assert sandbox.limit_hit(classmate.proc) is None
        assert sandbox.limit_hit(bomb.proc) == "process limit (64)"


# --- memory --------------------------------------------------------------------------------------
ALLOCATE_20_GB = """
chunks, total = [], 0
while total < 20 * 2**30:
    if total >= 3 * 2**30:  # the brake, for a run without the memory cgroup
        print("escaped with", total >> 20, "MiB")
        break
    chunks.append(b"x" * (64 << 20))  # written, so really in memory
    total += 64 << 20
"""


def _meminfo_available() -> int:
    line = next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemAvailable:"))  # fmt: skip
    return int(line.split()[1]) * 1024


@pytest.mark.slow
@needs_cgroups
def test_a_20_gb_allocation_is_stopped_by_the_memory_cgroup_and_named(root):
    # No per-process address-space limit: only the cgroup stands in the way.
    limits = sandbox.Limits(memory=256 * MiB, address_space=64 << 30)
    lowest, done = [_meminfo_available()], threading.Event()

    def watch() -> None:
        while not done.wait(0.01):
            lowest.append(_meminfo_available())

    watcher = threading.Thread(target=watch, daemon=True)
    with Session(root, limits=limits) as session:
        session.ensure()
        proc = session.proc
        before = lowest[0]
        watcher.start()
        try:
            with pytest.raises(SandboxDied):
                print(text(session.exec(ALLOCATE_20_GB, 30)))
        finally:
            done.set()
            watcher.join()
        assert sandbox.limit_hit(proc) == "memory limit (256 MiB)"
        assert before - min(lowest) < 1 << 30, "the host lost more than 1 GiB"
        # the sandbox comes back, its memory limit with it
        assert text(session.exec("print('back')", 20)) == "back\n"
        assert sandbox.limit_hit(session.proc) is None


# --- disk ----------------------------------------------------------------------------------------
FILL_SCRATCH = """
import os
total = 0
try:
    for i in range(128):  # the brake: 128 MiB
        with open(f"fill{i}", "wb") as f:
            f.write(b"x" * 2**20)
        total += 2**20
    print(total, 0)
except OSError as e:
    print(total, e.errno)
"""


@needs_cgroups
def test_filling_scratch_stops_at_its_size_and_counts_as_memory(root):
    limits = sandbox.Limits(disk=32 * MiB)
    with Session(root, limits=limits) as session:
        session.ensure()
        before = memory_used(session.proc)
        total, err = map(int, text(session.exec(FILL_SCRATCH, 30)).split())
        assert err == errno.ENOSPC and 28 * MiB <= total <= 32 * MiB, (total, err)
        assert memory_used(session.proc) - before >= 28 * MiB  # tmpfs pages are the sandbox's
        assert sandbox.limit_hit(session.proc) == "disk limit (/scratch, 32 MiB)"
        assert text(session.exec("import os\nfor f in os.listdir():\n    f.startswith('fill') and os.remove(f)\nopen('ok', 'w').write('ok')\nprint(open('ok').read())", 20)) == "ok\n"  # fmt: skip
        assert sandbox.limit_hit(session.proc) is None  # room again


# --- namespaces ----------------------------------------------------------------------------------
NEW_NAMESPACES = """
import ctypes, os, subprocess, threading
libc = ctypes.CDLL(None, use_errno=True)

def attempt(flags):  # in a fresh single-threaded child, so one attempt cannot spoil the next
    pid = os.fork()
    if pid == 0:
        os._exit(0 if libc.unshare(flags) == 0 else ctypes.get_errno())
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])

cmd = subprocess.run(["unshare", "--user", "--map-root-user", "id", "-u"], capture_output=True, text=True)
print(cmd.returncode != 0, cmd.stdout.strip())
print(attempt(0x10000000), attempt(0x10000000 | 0x40000000))  # a user namespace; with a network one
t = threading.Thread(target=lambda: None); t.start(); t.join()  # threads start (clone3 falls back)
"""


def test_the_sandbox_cannot_create_a_user_namespace(root):
    with Session(root) as session:
        out = text(session.exec(NEW_NAMESPACES, 20))
    assert out == f"True \n{errno.EPERM} {errno.EPERM}\n", out


# --- the cgroups go with the sandbox ----------------------------------------------------------------
@pytest.mark.slow
@needs_cgroups
def test_cgroups_and_mounts_are_removed_however_the_sandbox_ends(root, tmp_path):
    with Session(root) as session:  # ended by its session
        session.exec("x = 1", 20)
        assert len(ours()) == len(sandbox.backend().parents) + 1  # a group per controller, a tmpfs
        with pytest.raises(SandboxDied):  # ended by the student (a new sandbox follows)
            session.exec("import os\nos._exit(3)", 20)
        assert session.exec("x = 2", 20) == []
    assert ours() == []

    limits = sandbox.Limits()
    scratch = tmp_path / "s"
    scratch.mkdir()
    quick = [sys.executable, "-c", "pass"]
    proc = sandbox.start(root, scratch, True, limits, program=quick)
    proc.wait()  # reaped by the caller
    assert ours() == [] and sandbox.limit_hit(proc) is None
    proc = sandbox.start(root, scratch, True, limits, program=[sys.executable, "-c", "import time; time.sleep(60)"])  # fmt: skip
    sandbox.cleanup(proc)  # before it is reaped: what is left of it is killed
    assert proc.wait(5) != 0 and ours() == []
    proc = sandbox.start(root, scratch, True, limits, program=quick)
    while proc.poll() is None:
        time.sleep(0.01)
    del proc  # dropped without wait(): its finalizer removes the groups
    gc.collect()
    assert ours() == []
    proc = sandbox.start(root, scratch, True, limits, program=["/nonexistent"])
    assert proc.wait() != 0 and ours() == []  # the program inside cannot start
    with pytest.raises(OSError):  # no scratch folder to mount on: the groups go at once
        sandbox.start(root, tmp_path / "missing", True, limits, program=quick)
    assert ours() == []


@needs_cgroups
def test_a_sandbox_that_cannot_be_started_leaves_nothing(root, tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "bwrap_command", lambda *a, **k: ["/nonexistent/bwrap"])
    with pytest.raises(FileNotFoundError):
        sandbox.start(root, tmp_path, True, sandbox.Limits())


@needs_cgroups
def test_a_cgroup_costs_milliseconds(tmp_path):
    b, limits = sandbox.backend(), sandbox.Limits()
    costs = []
    for i in range(20):
        scratch = tmp_path / str(i)
        scratch.mkdir()
        t = time.perf_counter()
        sandbox.Box(b, limits, scratch, sandbox.NOBODY).close()
        costs.append(time.perf_counter() - t)
    costs.sort()
    print(f"cgroups and tmpfs, made and removed: median {costs[10] * 1e3:.2f} ms")
    assert costs[10] < 0.02


def test_without_cgroups_it_says_so_once_and_still_starts(root, monkeypatch, capfd):
    monkeypatch.setattr(cgroups, "_v2_parent", lambda mounts: None)
    monkeypatch.setattr(cgroups, "_writable", lambda parent: False)
    monkeypatch.setattr(cgroups, "_backend", None)
    assert sandbox.backend().kind == "rlimits" and sandbox.backend().kind == "rlimits"
    lines = [x for x in capfd.readouterr().err.splitlines() if "autograder: warning" in x]
    assert len(lines) == 1 and "no writable cgroup" in lines[0], lines
    with Session(root) as session:
        assert text(session.exec("print(1 + 1)", 20)) == "2\n"
        assert sandbox.limit_hit(session.proc) is None


def test_plain_mode_gets_the_same_limits(root, tmp_path):
    """--no-sandbox (trusted submissions): no bwrap, but the cgroups and /scratch still hold."""
    scratch = tmp_path / "s"
    scratch.mkdir()
    prog = [sys.executable, "-c", "import os; print(open('/proc/self/cgroup').read())"]
    proc = sandbox.start(root, scratch, False, sandbox.Limits(), program=prog)
    out = proc.communicate(timeout=20)[0].decode()
    if sandbox.backend().kind != "rlimits":
        assert proc.box.name in out
    assert proc.returncode == 0 and ours() == []


@needs_cgroups
def test_what_a_grader_killed_outright_left_is_swept_by_the_next(root, monkeypatch, tmp_path):
    """A grader killed with SIGKILL cannot clean up: its sandbox dies with it (--die-with-parent),
    and the next grader's first sandbox removes the groups and tmpfs it left."""
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from autograder.engine import sandbox\n"
        f"p = sandbox.start(Path({str(root)!r}), Path({str(tmp_path)!r}), True, sandbox.Limits(),"
        " program=['/bin/sleep', '60'])\n"
        "print(p.box.name, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    dead = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    name = dead.stdout.strip()
    assert dead.returncode == -9 and name.startswith("autograder-"), dead.stderr

    def left() -> list:
        groups = [p / name for p in sandbox.backend().parents.values() if (p / name).exists()]
        mounts = Path("/proc/self/mountinfo").read_text().splitlines()
        return groups + [x for x in mounts if f" {name} " in x]

    assert len(left()) == len(sandbox.backend().parents) + 1
    monkeypatch.setattr(cgroups, "_backend", None)  # as in a new grader process
    sandbox.backend()
    assert left() == []


def test_a_v2_cgroup_is_read_the_v2_way(tmp_path):
    """cgroup v2 is not on this machine: its files are faked to check the limits and events."""
    b = cgroups._Backend("cgroup v2", {"": tmp_path}, False, True)
    box = sandbox.Box(b, sandbox.Limits(memory=512 * MiB, processes=64, cpus=0.5), tmp_path, 0)
    d = box.dirs[""]
    assert (d / "pids.max").read_text() == "64" and (d / "memory.max").read_text() == str(512 * MiB)
    assert (d / "cpu.max").read_text() == "50000 100000"
    assert box.hit() is None
    (d / "pids.events").write_text("max 3\n")
    assert box.hit() == "process limit (64)"
    (d / "memory.events").write_text("low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\noom_group_kill 0\n")
    assert box.hit() == "memory limit (512 MiB)"


@pytest.mark.slow
@needs_cgroups
def test_a_process_over_its_cpu_time_is_named(root, tmp_path):
    limits = sandbox.Limits(cpu_seconds=1)
    spin = [sys.executable, "-c", "while True: pass"]
    proc = sandbox.start(root, tmp_path, True, limits, program=spin)
    assert proc.wait(30) != 0
    assert sandbox.limit_hit(proc) == "CPU time limit (1 s)"
