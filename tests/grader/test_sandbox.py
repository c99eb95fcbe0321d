"""The sandbox and the trusted runner, without nbgrader: what student code can see and do, and
that a cell which dies, loops or blows up costs only itself."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import nbformat
import numpy as np
import pytest
from grading_helpers import PS2  # the registry's ids

from autograder import registry
from autograder.commands import ROOT
from autograder.demo import solved_notebook
from autograder.engine import runner, sandbox
from autograder.engine.library import build
from autograder.engine.remote import StudentError, World
from autograder.engine.session import Session
from course.grading.core import CheckTimeout

pytestmark = pytest.mark.slow
REPO = str(ROOT)


@pytest.fixture(scope="module")
def world():
    with Session(runner.library_for(PS2)) as session:
        yield World(session)


def run(world: World, source: str) -> str:
    """A cell's text output (stdout and error text)."""
    outs = runner.run_cell(world.session, source, 20.0)
    return "".join(o.get("text", "") + o.get("evalue", "") for o in outs)


def test_bubblewrap_is_available_here():
    assert sandbox.problem() is None


def test_the_student_sees_no_course_directory_and_cannot_write_outside_scratch(world):
    out = run(world, f"import os\nprint(os.path.exists({REPO!r} + '/solutions'), os.getuid())")
    assert out.split() == ["False", str(sandbox.NOBODY if os.geteuid() == 0 else os.geteuid())]
    for path in ("/sandbox/lib/course/x.py", f"{Path(os.__file__).parent}/x.py", "/x"):
        assert "Read-only file system" in run(world, f"open({path!r}, 'w')"), path
    assert run(world, "open('here.txt', 'w').write('ok'); print(open('here.txt').read())") == "ok\n"


def test_no_network_no_other_processes_no_reference_modules(world):
    out = run(world, "import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=2)")
    assert "unreachable" in out or "Errno" in out, out
    assert run(world, "import os\nprint(sorted(int(p) for p in os.listdir('/proc') if p.isdigit())[:3])") in ("[1, 2]\n", "[1, 2, 3]\n")  # fmt: skip
    assert "not available here" in run(world, "from course.modules import Linear")
    assert f"not available to {PS2}" in run(world, "import course.functional")
    assert run(world, "from course.modules import Module\nprint(Module.__name__)") == "Module\n"


def test_stand_ins_behave_like_the_objects(world):
    run(world, "import numpy as np\nclass A:\n    def __init__(self):\n        self.params = {'w': np.zeros(3)}\n    def f(self, x):\n        x *= 2\n        return x.sum()\n    def boom(self):\n        raise ValueError('no')")  # fmt: skip
    a = world.lookup("A")()
    assert type(a).__name__ == "A"
    x = np.ones(3)
    assert a.f(x) == 6.0 and (x == 2).all()  # an in-place change reaches the caller
    with pytest.raises(ValueError, match="no") as info:
        a.boom()
    assert isinstance(info.value, StudentError) and info.value.where == "A.boom"
    from course.grading.student import fill

    fill(a, "params", "w", np.arange(3.0))
    assert (a.params["w"] == [0, 1, 2]).all()


def test_a_call_that_never_returns_is_stopped_and_the_sandbox_restarts(world):
    run(world, "import time\ndef slow():\n    time.sleep(60)\ndef fine():\n    return 7")
    with pytest.raises(CheckTimeout):
        world.ask({"op": "call", "target": world.lookup("slow"), "args": [], "kwargs": {}}, 1.0)
    assert world.lookup("fine")() == 7  # replayed into a fresh sandbox


def _solution_with(cell: str) -> nbformat.NotebookNode:
    nb = copy.deepcopy(solved_notebook(ROOT, PS2))
    i = next(
        i
        for i, c in enumerate(nb.cells)
        if c.metadata.get("nbgrader", {}).get("grade_id") == "linear"
    )
    nb.cells.insert(i + 1, nbformat.v4.new_code_cell(cell))
    return nb


@pytest.mark.parametrize(
    "cell, shows",
    [
        ("import os\nos._exit(0)", "DeadKernelError"),
        (
            "while True:\n    try:\n        pass\n    except BaseException:\n        pass",
            "TimeoutError",
        ),
        ("x = bytearray(50 * 2**30)", "MemoryError"),
        ("input('your name? ')", "EOFError"),
        ("import os\nfor _ in range(3):\n    os.fork() or None", ""),
        ("import os, signal\nos.kill(1, signal.SIGKILL)", ""),
    ],
)
def test_a_cell_that_dies_loops_or_blows_up_costs_only_itself(cell, shows):
    nb = runner.grade(_solution_with(cell), PS2, timeout=5.0)
    bad = next(c for c in nb.cells if c.source == cell)
    text = str(bad.outputs)
    assert shows in text, text
    scores = [float(c.outputs[-1].data["text/plain"]) for c in nb.cells if runner.is_test_cell(c)]
    points = [c.metadata.nbgrader.points for c in nb.cells if runner.is_test_cell(c)]
    assert scores == points, (scores, points)


def test_the_library_offers_each_problem_set_only_its_files(tmp_path):
    root = build(PS2, registry.get(PS2), tmp_path / "lib")
    lib = root / "lib" / "course"
    assert (lib / "modules" / "base.py").is_file() and (lib / "gradcheck.py").is_file()
    assert (
        not (lib / "modules" / "linear.py").exists() and not (lib / "grading" / "core.py").exists()
    )
    assert "_outside" in (lib / "grading" / "ps2" / "__init__.py").read_text()
