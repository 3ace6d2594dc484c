# The two commands a newcomer needs: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint

$(BIN)/smartregion-bot: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,postgres]'
	@touch $@

demo: $(BIN)/smartregion-bot
	$(BIN)/smartregion-bot demo

lint: $(BIN)/smartregion-bot
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/pytest -q
	$(BIN)/python -m bench.all --quick

# axe-core from npm for the public page's browser tests (tests/web/test_browser.py), in a
# project-local, gitignored folder; installed once.
AXE := tests/web/node_modules_root/node_modules/axe-core/axe.min.js
$(AXE):
	npm install --silent --no-audit --no-fund --prefix tests/web/node_modules_root axe-core@4

test: $(AXE)
