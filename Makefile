# Two commands: `make run` and `make test`. Both create .venv when it is missing and install
# the app with the versions pinned in constraints.txt.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --disable-pip-version-check -q -c constraints.txt
# Two pytest-xdist workers (one per core of the 2-core machines CI runs on), each test file on
# one worker: a module's shared fixtures (a child process, a window) are made once.
# `make test JOBS=` runs in one process.
JOBS   ?= -n 2 --dist loadfile
TEST   := QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(JOBS)

.PHONY: run test test-fast bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.app: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e .
	touch $@

$(VENV)/.test: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e '.[test]'
	touch $(VENV)/.app $@

run: $(VENV)/.app
	$(BIN)/python main.py $(ARGS)

test: $(VENV)/.test
	$(TEST) $(PYTEST_ARGS)

# The inner loop: the math, the Qt-free view logic, the layering and one window, with fewer
# hypothesis examples (the quick profile).
test-fast: $(VENV)/.test
	HYPOTHESIS_PROFILE=quick $(TEST) tests/core tests/views tests/test_layering.py \
	    tests/gui/test_presets_and_compute.py $(PYTEST_ARGS)

lint: $(VENV)/.test
	$(BIN)/ruff check .

bench: $(VENV)/.app
	$(BIN)/python benchmarks/bench_core.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis *.egg-info
