"""What each role's server (and shell) gets: environment variables and its root folder.

One definition, used by jupyterhub_config.py when it starts a user's server and by anything that
runs nbgrader as a user outside the hub (tests/deploy/test_jupyterhub.py, an admin's shell).
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path
from typing import Any


def environment(settings: dict[str, Any], user: str) -> tuple[dict[str, str], Path]:
    """(environment variables, server root) for ``user``.

    Instructors: their ~/course first on sys.path (the full grading library) and as the root, so
    formgrader and `nbgrader` find the course. Students: the pack's Jupyter config (nbgrader's
    instructor tools off), their home as the root. Everyone: the exchange's nbgrader config.
    """
    home = Path(pwd.getpwnam(user).pw_dir)
    env_bin = Path(settings["env"]) / "bin"
    config_path = [settings["jupyter_config"]]
    env = {
        "PATH": os.pathsep.join([str(env_bin), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": str(home),
        "USER": user,
    }
    if user in settings["instructors"]:
        env["PYTHONPATH"] = str(home / "course")
        root = home / "course"
    elif user in settings["students"]:
        config_path.insert(0, str(Path(settings["pack"]) / "jupyter-config"))
        root = home
    else:
        raise ValueError(f"{user!r} is neither an instructor nor a student of this course")
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(config_path)
    return env, root
