"""JupyterHub for the course on one server: system accounts, nbgrader's exchange, limits per user.

Reads the settings written by install.py (``COURSE_HUB_SETTINGS``, default
/srv/course-hub/settings.json). Start it as root (PAM logins and per-user servers need it) with
``make hub HUB_PREFIX=/srv/course-hub``, which runs the environment's ``jupyterhub -f`` this file.

``COURSE_HUB_BIND`` (default http://:8000) is where the hub listens; ``COURSE_HUB_PORTS`` =
"HUB,PROXY_API" moves its two internal ports (the test uses free loopback ports).
"""

import json
import os
import pwd
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import roles  # noqa: E402 (this folder's roles.py: one definition of what each role gets)

c = get_config()  # noqa: F821 (JupyterHub provides get_config when it loads this file)
S = json.loads(
    Path(os.environ.get("COURSE_HUB_SETTINGS", "/srv/course-hub/settings.json")).read_text()
)
ENV = Path(S["env"])
INSTRUCTORS, STUDENTS = set(S["instructors"]), set(S["students"])

c.JupyterHub.bind_url = os.environ.get("COURSE_HUB_BIND", "http://:8000")
if os.environ.get("COURSE_HUB_PORTS"):
    hub_port, api_port = os.environ["COURSE_HUB_PORTS"].split(",")
    c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{hub_port}"
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{api_port}"
state = Path(S["state"])
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.command = [S["proxy"]]
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")

# Real accounts: PAM checks the system password; only the course's users may log in.
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.open_sessions = False  # no login session manager in a container
c.Authenticator.allowed_users = INSTRUCTORS | STUDENTS
c.Authenticator.admin_users = INSTRUCTORS

# Each user's server runs as that user, from the course environment, under per-user limits:
# prlimit caps every process's address space and the account's process count (a fork bomb or a
# runaway allocation stops at the limit instead of taking the server down).
limits = S["limits"]
c.JupyterHub.spawner_class = "localprocess"
# (Bytes, not "4G": util-linux 2.38's prlimit crashes on a size suffix.)
SERVER_CMD = ["/usr/bin/prlimit", f"--as={limits['mem_bytes']}", f"--nproc={limits['nproc']}",
              "--", str(ENV / "bin" / "jupyterhub-singleuser")]  # fmt: skip
c.Spawner.cmd = SERVER_CMD
c.Spawner.mem_limit = limits["mem_bytes"]  # shown to the user; prlimit enforces it
c.Spawner.default_url = "/lab"
c.Spawner.http_timeout = 60
c.Spawner.start_timeout = 90


def _role_environment(spawner):
    """The role's environment and root (roles.py); a student's first login copies the lectures."""
    env, root = roles.environment(S, spawner.user.name)
    spawner.environment.update(env)
    spawner.notebook_dir = str(root)
    # nbgrader reads nbgrader_config.py from the working directory: start in the root, not ~.
    spawner.cmd = ["/usr/bin/env", f"--chdir={root}", *SERVER_CMD]
    user = pwd.getpwnam(spawner.user.name)
    lectures = Path(user.pw_dir) / "lectures"
    if spawner.user.name in STUDENTS and not lectures.exists():
        shutil.copytree(Path(S["pack"]) / "lectures", lectures)
        for p in [lectures, *lectures.rglob("*")]:
            os.chown(p, user.pw_uid, user.pw_gid)


c.Spawner.pre_spawn_hook = _role_environment
