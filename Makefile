# The two commands of the README's quick start:
#   make demo   set up .venv and run `weaktie demo` on the embedded store (no server needed)
#   make test   set up .venv with the test extras and run the whole test suite
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test setup setup-dev bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

setup: $(BIN)/python
	$(BIN)/pip install --quiet -e .

setup-dev: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev,model]"

demo: setup
	$(BIN)/weaktie demo

test: setup-dev
	$(BIN)/ruff check .
	$(BIN)/pytest

bench: setup-dev
	$(BIN)/python -m bench.core_loop

lint: setup-dev
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
