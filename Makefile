# One command to run the bot, one to test it; each sets up .venv by itself on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run playground test lint format check bench clean crash-test e2e

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot

# The bot against a local Discord simulator, with a page on http://127.0.0.1:8765 to try it.
playground: $(STAMP)
	$(BIN)/python -m bot playground

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: $(STAMP)
	$(BIN)/python -m bot check

# Both are part of `make test`; these run them alone.
crash-test: $(STAMP)
	$(BIN)/python -m pytest tests/test_crash_safety.py tests/test_money_state_machine.py -s

e2e: $(STAMP)
	$(BIN)/python -m pytest tests/e2e -s

bench: $(STAMP)
	$(BIN)/python bench/gift_throughput.py
	$(BIN)/python bench/alert_burst.py
	$(BIN)/python bench/interaction_latency.py
	$(BIN)/python bench/export_under_load.py
	$(BIN)/python bench/overlay_fanout.py
	$(BIN)/python bench/growth.py --gifts 20000 --members 5000

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
