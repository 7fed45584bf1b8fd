# CryoProtect — the two commands of the README:
#   make run    install into .venv, start the embedded PostgreSQL, migrate, load the
#               reference library and serve on http://127.0.0.1:5000
#   make test   install (with test tools) and run the whole test suite
#   make unit   the fast loop: tests/unit only (pure code and code checks; no database or browser)
# and for CI (.github/workflows/ci.yml): make lint, make typecheck
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
STAMP  := $(VENV)/.installed

.PHONY: run test unit lint typecheck install lock clean ketcher

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "CryoProtect needs Python >= 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/cryoprotect serve --host $(HOST) --port $(PORT)

# pytest exits 5 when it collects no tests; make treats any non-zero code as failure.
test: install
	$(BIN)/python -m pytest

# The unit tests alone: the pure core, the layer contracts, ruff and mypy; no PostgreSQL, no
# browser (a few minutes instead of the whole suite's quarter of an hour).
unit: install
	$(BIN)/python -m pytest tests/unit

# The same checks as tests/unit/test_code_quality.py and tests/unit/test_js_lint.py, on their
# own (CI runs them first): ruff on the Python, ESLint (pinned in package-lock.json) on the
# web pages' JavaScript and its unit tests.
lint: install node_modules/.package-lock.json
	$(BIN)/python -m ruff check src tests
	$(BIN)/python -m ruff format --check src tests
	npx --no-install eslint

# The pinned JavaScript tooling (ESLint) from package-lock.json.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

# The structure editor (Ketcher) in src/cryoprotect/web/static/vendor/ketcher, rebuilt from the
# npm packages pinned in web-build/package-lock.json. The built files are committed: only
# someone updating Ketcher runs this (it needs Node.js and npm; running the app does not).
ketcher:
	cd web-build && npm ci --no-audit --no-fund && node build.mjs

typecheck: install
	$(BIN)/python -m mypy

# Regenerate the lock from the current environment (after changing pyproject.toml).
lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^cryoprotect' > requirements.lock

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache node_modules
