# flowkit: two commands do all the set-up on a fresh Debian machine (no conda needed).
#
#   make lab      create .venv from requirements.lock, then open JupyterLab on the repository
#                 (notebooks/00_quickstart.ipynb first; data/README.md and docs/ one click away)
#   make test     create/update .venv, install Chromium if missing, run every check in order
#
# `make lab HEADLESS=1` starts JupyterLab without opening a browser and prints the URL.
# `make voila NOTEBOOK=notebooks/40_cost.ipynb` serves a notebook as a dashboard.
# `.ci/run` (CI) calls exactly `make test`.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.NOTPARALLEL:

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8888
VOILA_PORT ?= 8866
HEADLESS ?=
NOTEBOOK ?= notebooks/10_security_hunt.ipynb
NOTEBOOKS ?= $(wildcard notebooks/[0-9]*.ipynb)

# Jupyter, IPython and matplotlib keep their state inside the work tree, never in $HOME.
STATE := $(CURDIR)/.jupyter-state
export JUPYTER_CONFIG_DIR := $(STATE)/config
export JUPYTER_DATA_DIR := $(STATE)/data
export JUPYTER_RUNTIME_DIR := $(STATE)/runtime
export IPYTHONDIR := $(STATE)/ipython
export MPLCONFIGDIR := $(STATE)/matplotlib
_ := $(shell mkdir -p $(JUPYTER_CONFIG_DIR) $(JUPYTER_DATA_DIR) $(JUPYTER_RUNTIME_DIR) $(IPYTHONDIR) $(MPLCONFIGDIR))
export PIP_DISABLE_PIP_VERSION_CHECK := 1

ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
STAGE := scripts/pytest-stage.sh

.PHONY: help venv lab lab-headless voila chromium test lint format-check typecheck unit nbval \
        format strip-notebooks execute-notebooks lock hooks clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 20

venv:  ## create/update .venv from requirements.lock (no-op when up to date)
	@PYTHON=$(PYTHON) scripts/setup-venv.sh

lab: venv  ## open JupyterLab on the repository, notebooks/00 first (HEADLESS=1: print the URL)
	@echo "JupyterLab on http://127.0.0.1:$(PORT)/lab (the URL with its token follows); Ctrl-C stops it"
	$(BIN)/jupyter lab --ip 127.0.0.1 --port $(PORT) $(ROOT_FLAG) $(if $(HEADLESS),--no-browser,) \
	    --ServerApp.root_dir=$(CURDIR) --LabApp.default_url=/lab/tree/notebooks/00_quickstart.ipynb \
	    --LabApp.news_url=None

voila: venv  ## serve NOTEBOOK as a Voila dashboard (code hidden, widgets live; HEADLESS=1: no browser)
	@echo "Voila on http://127.0.0.1:$(VOILA_PORT)/ (it runs $(NOTEBOOK) when the page opens); Ctrl-C stops it"
	$(BIN)/voila $(NOTEBOOK) --port=$(VOILA_PORT) --Voila.ip=127.0.0.1 $(if $(HEADLESS),--no-browser,) \
	    --KernelManager.transport=ipc --VoilaExecutor.timeout=240 --show_tracebacks=True

lab-headless:  ## same as `make lab HEADLESS=1`
	@$(MAKE) --no-print-directory lab HEADLESS=1

chromium:  ## install Debian chromium with apt-get if /usr/bin/chromium is missing
	@scripts/ensure-chromium.sh

test: venv chromium  ## every check, in CI order: lint, format, types, unit+doctest+browser, notebooks
	@$(MAKE) --no-print-directory lint format-check typecheck unit nbval
	@echo "make test: all stages passed"

lint:
	$(BIN)/ruff check .

format-check:
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy flowkit

unit:  ## pytest --doctest-modules flowkit tests (includes the browser test)
	$(STAGE) unit $(BIN)/pytest --doctest-modules flowkit tests

nbval:  ## execute every notebook and compare the cells marked NBVAL_CHECK_OUTPUT
	env -u MPLBACKEND $(STAGE) nbval $(BIN)/pytest --nbval-lax --nbval-current-env \
	    --nbval-sanitize-with .ci/nbval-sanitize.cfg notebooks/

format:  ## ruff format + autofix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

execute-notebooks:  ## re-run notebooks in place (NOTEBOOKS=notebooks/NN_x.ipynb for one), strip them
	@for nb in $(NOTEBOOKS); do \
	    echo "executing $$nb"; \
	    env -u MPLBACKEND $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	        --ExecutePreprocessor.kernel_name=python3 --ExecutePreprocessor.record_timing=False \
	        --ExecutePreprocessor.timeout=600 "$$nb"; \
	done
	@$(MAKE) --no-print-directory strip-notebooks NOTEBOOKS="$(NOTEBOOKS)"

strip-notebooks:  ## drop widget state and volatile metadata, keep outputs and counts
	$(BIN)/nbstripout --keep-output --keep-count $(NOTEBOOKS)

lock:  ## rewrite requirements.lock from the current .venv (after changing pyproject.toml)
	$(BIN)/python scripts/lock.py > requirements.lock

hooks:  ## git filter: strip widget state from notebooks on commit, keeping outputs and counts
	git config filter.nbstripout.clean "$(CURDIR)/$(BIN)/python -m nbstripout --keep-output --keep-count"
	git config filter.nbstripout.smudge cat
	git config filter.nbstripout.required true

clean:  ## remove caches and test artifacts (keeps .venv)
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis artifacts $(STATE)
