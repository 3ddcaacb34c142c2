# The two commands of the README's quick start:
#   make demo   set up .venv and run `weaktie demo` on the embedded store (no server needed)
#   make test   set up .venv with the test extras and run the whole test suite
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test setup setup-dev system-deps bench lint clean

# Debian packages the test suite needs: Java 17 and Maven run the real Neo4j server (scripts/neo4j-local);
# Chromium runs the widget's browser tests (Playwright drives /usr/bin/chromium; chromium-driver is for Selenium).
SYSTEM_PACKAGES := openjdk-17-jre-headless maven git chromium chromium-driver

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

setup: $(BIN)/python
	$(BIN)/pip install --quiet -e .

setup-dev: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev,model]"

demo: setup
	$(BIN)/weaktie demo

# Installs what is missing (needs root, as on CI); prints what to install otherwise.
system-deps:
	@missing=""; \
	command -v java >/dev/null || missing="$$missing openjdk-17-jre-headless"; \
	command -v mvn  >/dev/null || missing="$$missing maven"; \
	command -v git  >/dev/null || missing="$$missing git"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v chromedriver >/dev/null || missing="$$missing chromium-driver"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "please install:$$missing (e.g. sudo apt-get install$$missing)"; exit 1; fi; \
	fi

test: system-deps setup-dev
	$(BIN)/ruff check .
	$(BIN)/pytest --durations=15

bench: setup-dev
	$(BIN)/python -m bench.core_loop

lint: setup-dev
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
