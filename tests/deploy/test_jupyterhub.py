"""A whole class cycle on the course's JupyterHub (deploy/jupyterhub), with real accounts.

The hub (with configurable-http-proxy from npm) listens on a loopback port; one instructor and two
students are real system users with passwords (PAM). The instructor releases ps2_modules through
nbgrader's exchange. Student A works in the real browser: logs in, opens the assignment list,
fetches, edits an answer, validates and submits. Student B does the same with nbgrader's command
line, as their own user. The instructor collects, autogrades (autograder.commands: sandboxed),
generates and releases feedback. Each student fetches their feedback and finds their own score and
report; neither can read the other's work or the instructor's files. Everything started is
stopped and the accounts are removed.

Needs root (accounts, PAM, per-user servers), npm, bubblewrap, Debian's chromium and a Python
every account can run (/usr/bin/python3); without one of them the test is SKIPPED, loudly.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from grading_helpers import PS2  # the registry's ids
from pack_helpers import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    ROOT,
    free_port,
    installed_pack,
    stop_group,
    wait_for_url,
)

sys.path.insert(0, str(ROOT / "deploy" / "jupyterhub"))
import roles  # noqa: E402 (what each role's shell gets: the same as the hub gives its servers)
from install import course_id  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.browser]
A_ID = PS2
ARTIFACTS = ROOT / "tests" / "artifacts"
MEM, NPROC = "3G", 400  # per-user limits given to install.py and read back from /proc


def _loud_skip(reason: str) -> None:
    msg = f"!!! JUPYTERHUB TEST SKIPPED: {reason} !!!"
    print(f"\n{msg}", file=sys.stderr)
    pytest.skip(msg)


def _prerequisites() -> None:
    if os.geteuid() != 0:
        _loud_skip("needs root: it creates system accounts and starts servers as them")
    for exe, why in [("npm", "configurable-http-proxy comes from npm"),
                     ("bwrap", "autograde sandboxes student code with bubblewrap"),
                     ("useradd", "students are real accounts"),
                     ("prlimit", "per-user limits")]:  # fmt: skip
        if not shutil.which(exe):
            _loud_skip(f"{exe} not found ({why})")
    if not CHROMIUM.exists():
        _loud_skip(f"{CHROMIUM} not found; `apt-get install -y chromium`")
    if not Path("/usr/bin/python3").exists():
        _loud_skip(
            "no /usr/bin/python3: the class environment needs a Python every account can run"
        )


class Hub:
    """The running hub and its people: settings, accounts, passwords, URL."""

    def __init__(self, prefix: Path, url: str, users: dict[str, str]) -> None:
        self.prefix, self.url, self.passwords = prefix, url, users
        self.settings = json.loads((prefix / "settings.json").read_text())
        self.instructor = self.settings["instructors"][0]
        self.a, self.b = self.settings["students"]

    def home(self, user: str) -> Path:
        return Path(pwd.getpwnam(user).pw_dir)

    def run_as(self, user: str, *cmd: str, cwd: Path | None = None, check: bool = True,
               stdin: str | None = None) -> subprocess.CompletedProcess:  # fmt: skip
        """``cmd`` as ``user`` with exactly the environment the hub gives that role."""
        env, root = roles.environment(self.settings, user)
        full = ["runuser", "-u", user, "--", "env", "-i", *[f"{k}={v}" for k, v in env.items()],
                *cmd]  # fmt: skip
        done = subprocess.run(full, cwd=cwd or root, capture_output=True, text=True, input=stdin,
                              timeout=600)  # fmt: skip
        if check and done.returncode != 0:
            raise AssertionError(f"{user}$ {' '.join(cmd)} → {done.returncode}\n"
                                 f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")  # fmt: skip
        return done


def _kill_user_processes(uids: set[int]) -> None:
    """SIGKILL, by pid, every process the test's accounts still own (their servers, kernels)."""
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if p.stat().st_uid in uids:
                    os.kill(int(p.name), signal.SIGKILL)
            except (ProcessLookupError, FileNotFoundError, PermissionError):
                pass


@pytest.fixture(scope="module")
def hub() -> Iterator[Hub]:
    _prerequisites()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _loud_skip("the playwright package is missing; `pip install -e '.[test]'`")
    pack = installed_pack()
    tag = secrets.token_hex(3)
    names = [f"hubi{tag}", f"huba{tag}", f"hubb{tag}"]
    passwords = {n: secrets.token_urlsafe(12) for n in names}
    prefix = Path(tempfile.mkdtemp(prefix="course-hub-"))
    os.chmod(prefix, 0o755)
    pwfile = prefix / "passwords"
    pwfile.write_text("".join(f"{n}:{p}\n" for n, p in passwords.items()))
    os.chmod(pwfile, 0o600)
    proc = None
    try:
        subprocess.run(
            [sys.executable, str(ROOT / "deploy/jupyterhub/install.py"), "--prefix", str(prefix),
             "--instructors", names[0], "--students", *names[1:], "--create-users",
             "--password-file", str(pwfile), "--env", str(pack / ".venv"), "--pack", str(pack),
             "--mem", MEM, "--nproc", str(NPROC)],
            check=True, timeout=900,
        )  # fmt: skip
        port, hub_port, api_port = free_port(), free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
        env.update(COURSE_HUB_SETTINGS=str(prefix / "settings.json"),
                   COURSE_HUB_BIND=f"http://127.0.0.1:{port}",
                   COURSE_HUB_PORTS=f"{hub_port},{api_port}")  # fmt: skip
        log = prefix / "hub.log"
        with open(log, "w") as out:
            proc = subprocess.Popen(
                [str(pack / ".venv/bin/jupyterhub"), "-f",
                 str(ROOT / "deploy/jupyterhub/jupyterhub_config.py")],
                cwd=prefix / "state", env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        wait_for_url(f"{url}/hub/api", proc, log, timeout=90)
        yield Hub(prefix, url, passwords)
    finally:
        if proc is not None:
            stop_group(proc)
            ARTIFACTS.mkdir(exist_ok=True)
            shutil.copy(prefix / "hub.log", ARTIFACTS / "hub.log")
        pid_file = prefix / "state" / "proxy.pid"  # the proxy has a session of its own
        if pid_file.exists():
            try:
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
            except (ProcessLookupError, ValueError):
                pass
        uids = set()
        for n in names:
            try:
                uids.add(pwd.getpwnam(n).pw_uid)
            except KeyError:
                pass
        _kill_user_processes(uids)
        time.sleep(0.5)
        for n in names:
            subprocess.run(["userdel", "--remove", n], capture_output=True)
        shutil.rmtree(prefix, ignore_errors=True)


def _solved_source(grade_id: str) -> str:
    """The solution cell's code for ``grade_id``, as the instructor wrote it."""
    nb = json.loads((ROOT / "solutions" / A_ID / f"{A_ID}.ipynb").read_text())
    for c in nb["cells"]:
        if (
            c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id
            and c["cell_type"] == "code"
        ):
            lines = "".join(c["source"]).splitlines()
            return "\n".join(ln for ln in lines if "### BEGIN SOLUTION" not in ln
                             and "### END SOLUTION" not in ln)  # fmt: skip
    raise KeyError(grade_id)


def _points(*answer_ids: str) -> float:
    """Autograded points of the test cells that check these answers (from the release); with
    none, the points of every graded cell (what the feedback's total counts)."""
    nb = json.loads((ROOT / "assignments" / A_ID / f"{A_ID}.ipynb").read_text())
    meta = [c["metadata"].get("nbgrader", {}) for c in nb["cells"]]
    if not answer_ids:
        return sum(m.get("points", 0) for m in meta if m.get("grade"))
    return sum(m["points"] for m in meta if m.get("grade_id") in {f"{a}_test" for a in answer_ids})


def _browser_student(hub: Hub) -> None:
    """Student A in chromium: log in, Assignment List, fetch, edit ReLU, validate, submit."""
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=CHROMIUM_FLAGS)  # fmt: skip
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        try:
            page.goto(f"{hub.url}/hub/login")
            page.fill("#username_input", hub.a)
            page.fill("#password_input", hub.passwords[hub.a])
            page.click("#login_submit")
            page.wait_for_url(re.compile(rf"/user/{hub.a}/lab"), timeout=120_000)
            page.locator(".jp-LabShell").wait_for()

            menu = page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Nbgrader$"))
            menu.click()
            items = page.locator(".lm-Menu-itemLabel").all_inner_texts()
            assert "Assignment List" in items, items
            assert not {"Formgrader", "Create assignment", "Course List"} & set(items), (
                f"a student sees nbgrader's instructor tools: {items}"
            )
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Assignment List$")).click()
            row = page.locator("#released_assignments_list .list_item", has_text=A_ID)
            row.locator("button", has_text="Fetch").click()
            fetched = page.locator("#fetched_assignments_list .list_item", has_text=A_ID)
            fetched.first.wait_for()
            page.screenshot(path=str(ARTIFACTS / "hub_assignment_list.png"))

            page.goto(f"{hub.url}/user/{hub.a}/lab/tree/{A_ID}/{A_ID}.ipynb")
            page.locator(".jp-Notebook").first.wait_for()
            cell = page.locator(".jp-CodeCell", has_text="class ReLU(Module)").first
            cell.scroll_into_view_if_needed()
            cell.locator(".cm-content").click()
            page.keyboard.press("Control+a")
            page.keyboard.insert_text(_solved_source("relu"))
            page.keyboard.press("Escape")
            page.keyboard.press("Control+s")
            expect(page.locator(".jp-mod-dirty")).to_have_count(0, timeout=20_000)

            page.locator(".jp-NotebookPanel-toolbar").get_by_text("Validate").click()
            dialog = page.locator(".jp-Dialog")
            expect(dialog).to_contain_text(re.compile(r"failed|passed|NotImplementedError"),
                                           timeout=180_000)  # fmt: skip
            page.screenshot(path=str(ARTIFACTS / "hub_validate.png"))
            dialog.locator("button").last.click()

            page.goto(f"{hub.url}/user/{hub.a}/lab")
            page.locator(".jp-LabShell").wait_for()
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Nbgrader$")).click()
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Assignment List$")).click()
            fetched = page.locator("#fetched_assignments_list .list_item", has_text=A_ID).first
            fetched.locator("button", has_text="Submit").click()
            expect(
                page.locator("#submitted_assignments_list .list_item", has_text=A_ID).first
            ).to_be_visible(timeout=60_000)
            page.screenshot(path=str(ARTIFACTS / "hub_submitted.png"))
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "hub_browser_failure.png"))
            raise
        finally:
            browser.close()


def _cli_student(hub: Hub) -> None:
    """Student B, as their own user: fetch, answer Linear and Sigmoid, submit."""
    home = hub.home(hub.b)
    hub.run_as(hub.b, "nbgrader", "fetch_assignment", A_ID, cwd=home)
    edit = (
        "import json, sys\n"
        f"path = '{home / A_ID / A_ID}.ipynb'\n"
        "nb = json.load(open(path))\n"
        "answers = json.loads(sys.stdin.read())\n"
        "for c in nb['cells']:\n"
        "    gid = c['metadata'].get('nbgrader', {}).get('grade_id')\n"
        "    if gid in answers and c['cell_type'] == 'code':\n"
        "        c['source'] = answers[gid]\n"
        "json.dump(nb, open(path, 'w'))\n"
    )
    answers = {g: _solved_source(g) for g in ("linear", "sigmoid")}
    hub.run_as(hub.b, "python", "-c", edit, cwd=home, stdin=json.dumps(answers))
    hub.run_as(hub.b, "nbgrader", "submit", A_ID, cwd=home)


def _feedback_html(hub: Hub, student: str) -> str:
    """The student fetches feedback (as themself) and reads the newest HTML file."""
    home = hub.home(student)
    hub.run_as(student, "nbgrader", "fetch_feedback", A_ID, cwd=home)
    found = hub.run_as(student, "find", str(home / A_ID / "feedback"), "-name", "*.html",
                       "-print0").stdout  # fmt: skip
    files = sorted(f for f in found.split("\0") if f)  # folders are timestamps, with spaces
    assert files, f"{student} got no feedback"
    return hub.run_as(student, "cat", files[-1]).stdout


def _cannot_read(hub: Hub, user: str, path: Path) -> None:
    done = hub.run_as(user, "cat", str(path), check=False)
    assert done.returncode != 0 and "Permission denied" in done.stderr, (
        f"{user} could read {path}: {done.stdout[:200]!r}"
    )


def test_class_cycle_release_work_submit_grade_feedback(hub: Hub) -> None:
    course = hub.home(hub.instructor) / "course"
    run_i = hub.run_as
    run_i(hub.instructor, "nbgrader", "generate_assignment", A_ID, "--force")
    run_i(hub.instructor, "nbgrader", "release_assignment", A_ID)

    _browser_student(hub)
    _cli_student(hub)

    run_i(hub.instructor, "nbgrader", "collect", A_ID)
    for s in (hub.a, hub.b):
        assert (course / "submitted" / s / A_ID / f"{A_ID}.ipynb").is_file(), f"{s} not collected"
    graded = run_i(hub.instructor, "python", "-m", "autograder", "autograde",
                   "--workers", "1", check=False)  # fmt: skip
    assert graded.returncode == 0, graded.stdout[-4000:] + graded.stderr[-4000:]
    run_i(hub.instructor, "python", "-m", "autograder", "feedback")
    run_i(hub.instructor, "nbgrader", "release_feedback", A_ID)

    want = {hub.a: _points("relu"), hub.b: _points("linear", "sigmoid")}
    total = _points()  # every graded cell, autograded and written
    reports = {hub.a: "check_relu", hub.b: "check_linear"}
    for s, other in ((hub.a, hub.b), (hub.b, hub.a)):
        html = _feedback_html(hub, s)
        m = re.search(r"\(Score: ([\d.]+) / ([\d.]+)\)", html)
        assert m, f"no score in {s}'s feedback"
        assert (float(m.group(1)), float(m.group(2))) == (want[s], total), (s, m.group(0))
        assert reports[s] in html and "✓" in html, f"{s}'s feedback lacks their report"
        assert other not in html, f"{s}'s feedback names {other}"
        assert "seed=2718" not in html, "a hidden test reached the feedback"

    # Nobody reads what is not theirs.
    for s, other in ((hub.a, hub.b), (hub.b, hub.a)):
        _cannot_read(hub, s, hub.home(other) / A_ID / f"{A_ID}.ipynb")
        _cannot_read(hub, s, course / "submitted" / other / A_ID / f"{A_ID}.ipynb")
        _cannot_read(hub, s, course / "solutions" / A_ID / f"{A_ID}.ipynb")
        _cannot_read(hub, s, course / "gradebook.db")
        inbound = Path(hub.settings["exchange"]) / course_id() / "inbound"
        listing = hub.run_as(s, "ls", str(inbound), check=False)
        assert listing.returncode != 0, f"{s} can list the exchange's inbound: {listing.stdout}"
        engine = hub.run_as(s, "python", "-c", "import autograder.engine.runner", check=False)
        assert engine.returncode != 0, f"{s}'s Python imports the grader's engine"

    # Per-user limits on the student's server (started through the hub for student A).
    pids = hub.run_as(hub.a, "pgrep", "-u", hub.a, "-f", "jupyterhub-singleuser").stdout.split()
    assert pids, "student A's server is not running"
    limits = Path(f"/proc/{pids[0]}/limits").read_text()
    mem = int(MEM.rstrip("G")) * 1024**3
    assert re.search(rf"Max address space\s+{mem}\s+{mem}", limits), limits
    assert re.search(rf"Max processes\s+{NPROC}\s+{NPROC}", limits), limits
