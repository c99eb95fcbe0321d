# Every target installs what it needs into .venv first; a second run installs nothing.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# nbgrader runs `alembic` as a subprocess, so the venv's bin/ must come first on PATH.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

STUDENT := $(VENV)/.installed-student
TESTDEP := $(VENV)/.installed-test
BENCHDEP := $(VENV)/.installed-bench
INSTRDEP := $(VENV)/.installed-instructor
BROWSER := $(VENV)/.browser-checked
SANDBOX := $(VENV)/.sandbox-checked

ARGS ?=
PYTEST_ARGS ?=
SUBMISSIONS ?= submitted

.PHONY: lab test test-quick lint bench release autograde feedback grades demo clean-instructor-data \
        student-pack hub-install hub

# --- setup -----------------------------------------------------------------------------------
$(PY):
	$(PYTHON) -m venv $(VENV)

$(STUDENT): requirements.txt pyproject.toml | $(PY)
	$(PY) -m pip install -q -r requirements.txt -e .
	touch $@

$(TESTDEP): $(STUDENT) pyproject.toml
	$(PY) -m pip install -q -e '.[test]'
	touch $@

$(INSTRDEP): $(STUDENT) pyproject.toml
	$(PY) -m pip install -q -e '.[instructor]'
	touch $@

$(BENCHDEP): $(TESTDEP)
	$(PY) -m pip install -q -e '.[bench]'
	touch $@

# $(call apt_install,COMMAND,PACKAGE,WHY,IF-IT-FAILS): install a Debian package unless COMMAND exists.
define apt_install
	@command -v $(1) >/dev/null 2>&1 || { \
	  echo ">>> installing Debian's $(2), $(3)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  (apt-get install -y -q $(2) >/dev/null 2>&1 || \
	   (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $(2) >/dev/null 2>&1)) || \
	  echo "!!! could not install $(2) (need root and apt): $(4)"; }
	@if command -v $(1) >/dev/null 2>&1; then touch $@; fi
endef

# chromium comes from Debian; Playwright drives it without downloading a browser of its own.
$(BROWSER): $(TESTDEP)
	$(call apt_install,chromium,chromium,for the browser test,the browser test will be SKIPPED)

# Autograding runs student code in a bubblewrap sandbox (Debian's bubblewrap package).
$(SANDBOX): | $(PY)
	$(call apt_install,bwrap,bubblewrap,the autograder's sandbox,autograde will stop and say how to fix it)

# The JupyterHub test installs configurable-http-proxy with npm (Debian's npm brings Node).
NODE := $(VENV)/.node-checked
$(NODE): | $(PY)
	$(call apt_install,npm,npm,for the JupyterHub test's proxy,the JupyterHub test will be SKIPPED)

# --- the two main commands ---------------------------------------------------------------------
# Jupyter refuses to run as root unless told to (containers, CI).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

# The first screen is Lecture 1: a notebook opens rendered with clickable links (a .md file would
# open as raw text in the editor), and its course map links every lecture and problem set.
lab: $(STUDENT)
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=$(CURDIR) \
	  --LabApp.default_url=/lab/tree/lectures/01_modules_and_graphs.ipynb $(ROOT_FLAG) $(ARGS)

# Test files are spread over JOBS workers (one file stays on one worker: its shared fixtures are
# built once). `make test-quick` is a developer's inner loop: no browser, no class-sized runs.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
test: $(TESTDEP) $(BROWSER) $(SANDBOX) $(NODE)
	$(PY) -m pytest -n $(JOBS) --dist loadfile $(PYTEST_ARGS)

test-quick: $(TESTDEP) $(SANDBOX)
	$(PY) -m pytest -n $(JOBS) --dist loadfile -m "not slow and not browser" $(PYTEST_ARGS)

lint: $(TESTDEP)
	$(VENV)/bin/ruff check course autograder tests bench deploy
	$(VENV)/bin/ruff format --check course autograder tests bench deploy

bench: $(BENCHDEP)
	$(PY) bench/run_all.py

# --- instructor workflow (see README "For instructors"); nbgrader_config.py is in this folder ---
INSTRUCTOR := $(PY) -m autograder

release: $(STUDENT)
	$(INSTRUCTOR) release

autograde: $(INSTRDEP) $(SANDBOX)
	$(INSTRUCTOR) autograde --submissions $(SUBMISSIONS)

feedback: $(STUDENT)
	$(INSTRUCTOR) feedback

grades: $(STUDENT)
	$(INSTRUCTOR) grades

demo: $(INSTRDEP) $(SANDBOX)
	$(INSTRUCTOR) demo

# --- giving the course to a class (README "Three ways to run a class") ------------------------
DIST ?= dist
# `make student-pack WEEK=N`: the students' pack for week N of the term plan, without the answer
# key of any problem set not yet due (default: the term's last week, the whole library).
WEEK ?=
student-pack: $(STUDENT)
	$(PY) -m autograder.pack $(DIST)/student $(if $(WEEK),--week $(WEEK))

# JupyterHub on this server (run as root): HUB_PREFIX holds the environment, the pack, the
# exchange and the hub's state; the accounts must exist (or add --create-users to HUB_ARGS).
HUB_PREFIX ?= /srv/course-hub
HUB_ARGS ?= --instructors $(USER)
hub-install: $(STUDENT)
	$(PY) deploy/jupyterhub/install.py --prefix $(HUB_PREFIX) $(HUB_ARGS)

HUB_ENV = $(shell $(PY) -c "import json; print(json.load(open('$(HUB_PREFIX)/settings.json'))['env'])")
hub: $(STUDENT)
	cd $(HUB_PREFIX)/state && COURSE_HUB_SETTINGS=$(HUB_PREFIX)/settings.json \
	  $(HUB_ENV)/bin/jupyterhub -f $(CURDIR)/deploy/jupyterhub/jupyterhub_config.py
