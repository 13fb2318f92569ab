# Two commands: `make lab` and `make test`. Both stand on `make venv`, which installs the exact
# pins of requirements.lock into .venv once, and again only when the pins or pyproject change.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: venv lab lab-zh zh site test unit notebooks bench figures clean grader-venv release

venv: $(STAMP)

# The editable install also compiles the C E-step (setup.py, src/argmin_kmeans/kernel/_fastpass*):
# a few seconds with gcc/clang. Without a compiler the install fails and says what to do;
# ARGMIN_KMEANS_PURE_TORCH=1 make venv installs without it (the torch loop runs instead).
KERNEL := src/argmin_kmeans/kernel
$(STAMP): requirements.lock pyproject.toml setup.py $(KERNEL)/_fastpass.c $(KERNEL)/_fastpass_simd.h $(KERNEL)/_fastpass_impl.h $(KERNEL)/_fastpass_pool.h
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

# The same JupyterLab in Chinese (中文): the Chinese lesson 00, with JupyterLab's Chinese language
# pack (pinned in requirements.lock, installed by `make venv`; nothing is installed here) chosen
# by jupyter/settings-zh/overrides.json. `make lab` stays English.
lab-zh: venv
	$(VENV)/bin/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir="$(CURDIR)" $(ALLOW_ROOT) \
	  --LabApp.default_url=/lab/tree/notebooks/zh/00_start_here.ipynb \
	  --LabApp.app_settings_dir="$(CURDIR)/jupyter/settings-zh"

# The Chinese edition: notebooks/zh/ from the English notebooks and i18n/zh/ (i18n/build.py:
# markdown translated, code cells and outputs byte for byte the English ones). Fails, naming
# lesson and cell, while a translation is missing or stale.
zh:
	$(PYTHON) i18n/build.py build

# The course as a static HTML site in _build/html: jupyter-book 1.x from the notebooks' stored
# outputs (nothing is executed), warnings are errors, and every script, style and font a page
# loads is in the build (site/vendor/), so the site works offline. Open _build/html/index.html.
# The Chinese edition is a second book (site/zh/) in _build/html/zh/; every page of both has a
# language switch (EN / 中文) to the same lesson in the other language.
site: venv
	rm -rf _build
	$(VENV)/bin/jupyter-book build . --config site/_config.yml --toc site/_toc.yml -W --path-output .
	$(VENV)/bin/jupyter-book build . --config site/zh/_config.yml --toc site/zh/_toc.yml -W \
	  --path-output _build/zh
	mv _build/zh/_build/html _build/html/zh && rm -rf _build/zh

# Lint (ruff) and types (mypy) first, failing on any finding; then unit + property tests of the
# package, nbval (strict) on every notebook, browser tests.
test: venv
	$(PY) -m ruff check src tests benchmarks setup.py classroom instructor i18n
	$(PY) -m mypy src
	$(PY) -m pytest

# The loop while working on the package: the unit and property tests (no browser, no notebooks,
# no wheel or nbgrader release: those are `make test`), on 2 workers. Under 45 s on 2 cores.
# Bytecode is cached (Python's default; some containers turn it off with
# PYTHONDONTWRITEBYTECODE=1): each worker then reads the package's and the tests' compiled,
# assertion-rewritten modules instead of compiling them again (measured: 3-4 s of each run).
unit: venv
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest tests -m "not browser and not packaging" -p no:nbval -o addopts=-ra -n 2

# The classroom edition (INSTRUCTORS.md): nbgrader lives in .venv-grader, beside .venv and never in
# it (its JupyterLab extensions would change the students' JupyterLab): a plain venv whose .pth
# adds .venv's site-packages, plus the exact pins of requirements-grader.lock.
GRADER := .venv-grader
$(GRADER)/.installed: requirements-grader.lock $(STAMP)
	$(PY) -m classroom grader-venv
	touch $@

grader-venv: $(GRADER)/.installed

# release/instructor (nbgrader course directory: source notebooks with solutions and hidden tests,
# gradebook) and release/student (the generated assignments), from the lessons and instructor/.
release: grader-venv
	$(PY) -m classroom release

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
	rm -rf $(VENV) $(GRADER) release .pytest_cache .hypothesis _build build src/argmin_kmeans/kernel/_fastpass*.so src/argmin_kmeans/kernel/_fastpass.skipped
