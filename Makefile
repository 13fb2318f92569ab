# Two commands: `make lab` and `make test`. Both stand on `make venv`, which installs the exact
# pins of requirements.lock into .venv once, and again only when the pins or pyproject change.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: venv lab site test notebooks bench figures clean

venv: $(STAMP)

# The editable install also compiles the optional C pass (setup.py, src/argmin_kmeans/_fastpass*):
# a second or so with gcc/clang; without a compiler it prints a note and the package runs its
# pure-torch loop (same labels, slower at small d).
$(STAMP): requirements.lock pyproject.toml setup.py src/argmin_kmeans/_fastpass.c src/argmin_kmeans/_fastpass_impl.h
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# JupyterLab on the course's first page, on 127.0.0.1 only, with a fresh random token. The URL it
# prints (the one to copy from a container or over SSH) opens lesson 00: the server's default URL
# is the notebook, not the Launcher. The course's JupyterLab settings ship in jupyter/settings/
# (overrides.json: defaults only, e.g. no "Jupyter news?" pop-up; your own settings still win).
# (--allow-root only when you are root, e.g. in a container; Jupyter refuses root otherwise.)
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
lab: venv
	$(VENV)/bin/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir="$(CURDIR)" $(ALLOW_ROOT) \
	  --LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb \
	  --LabApp.app_settings_dir="$(CURDIR)/jupyter/settings"

# The course as a static HTML site in _build/html: jupyter-book 1.x from the notebooks' stored
# outputs (nothing is executed), warnings are errors, and every script, style and font a page
# loads is in the build (site/vendor/), so the site works offline. Open _build/html/index.html.
site: venv
	rm -rf _build
	$(VENV)/bin/jupyter-book build . --config site/_config.yml --toc site/_toc.yml -W --path-output .

# Lint (ruff) and types (mypy) first, failing on any finding; then unit + property tests of the
# package, nbval (strict) on every notebook, browser tests.
test: venv
	$(PY) -m ruff check src tests benchmarks setup.py
	$(PY) -m mypy src
	$(PY) -m pytest

# Re-execute every notebook in place, top to bottom, in a fresh kernel.
notebooks: venv
	for nb in notebooks/[0-9]*.ipynb; do \
	  $(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.kernel_name=python3 $$nb || exit 1; \
	done

bench: venv
	$(PY) benchmarks/bench_lloyd.py

figures: venv
	$(PY) -m argmin_kmeans.plotting.figures figures

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis _build build src/argmin_kmeans/_fastpass*.so
