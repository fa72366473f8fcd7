# Échoppe: `make demo` and `make test` are the two commands a fresh machine needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test test-slow test-dates run lint bench install browser-setup clean

# The browser tests (tests/browser/): Debian's headless Chromium, its driver, and fonts to draw
# pages with. Without recommends (udev, upower, printing): a headless browser needs none of them.
BROWSER_DEBS := chromium chromium-driver fonts-liberation
# apt-get needs root (CI runs as root; a developer's machine has sudo); never a question asked.
APT_GET := $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) bot.py demo

# Two workers, one test file each at a time: most of the suite waits on real servers, bots and
# browsers, so two run side by side in about 9.5 minutes instead of 15 on two cores.
test: $(STAMP) browser-setup
	$(PY) -m pytest -n 2 --dist loadfile

# What `make test` leaves out for time: the full retraining of the shipped classifier (minutes).
test-slow: $(STAMP)
	$(PY) -m pytest -m slow

# Installs what the browser tests need, when missing (fresh machines, CI): quiet when it works,
# apt's whole output and an error when it does not. Then the pinned axe-core, checked.
browser-setup: $(STAMP)
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		echo "Installing $(BROWSER_DEBS) for the browser tests (about 20 s)"; \
		log=$$(mktemp); \
		if ! { $(APT_GET) update -qq && \
				$(APT_GET) install -y -qq --no-install-recommends $(BROWSER_DEBS); } >$$log 2>&1; then \
			cat $$log >&2; rm -f $$log; \
			echo "make: could not install $(BROWSER_DEBS), which the browser tests need" >&2; \
			exit 1; \
		fi; \
		rm -f $$log; \
	fi
	@$(PY) -m tests.browser.axe install

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
