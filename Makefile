# Échoppe: `make demo` and `make test` are the two commands a fresh machine needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test test-dates run lint bench install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) bot.py demo

test: $(STAMP)
	$(PY) -m pytest

# The suite under a faked clock at dates that break date code (needs Debian's faketime).
test-dates: $(STAMP)
	command -v faketime >/dev/null || (apt-get update -qq && apt-get install -y -qq faketime)
	.ci/test-dates

run: $(STAMP)
	$(PY) bot.py run

lint: $(STAMP)
	$(VENV)/bin/ruff check bot handlers nlp bench tests bot.py
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
