# The commands people type. Every target sets up what it needs first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
NODE_DIR   := tests/micropython
NODE_STAMP := $(NODE_DIR)/node_modules/.installed

.PHONY: setup system-packages run test bench lint format clean firmware

setup: system-packages $(STAMP) $(NODE_STAMP)

system-packages:
	@bash tools/install-system-packages.sh

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Real MicroPython (the WebAssembly port, version pinned in package.json) for device tests.
$(NODE_STAMP): $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	cd $(NODE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

run: setup
	$(PY) -m server.demo

test: setup
	$(PY) -m pytest

bench: setup
	$(PY) -m bench

# Every device file compiled with mpy-cross into build/device/, with its size.
firmware: setup
	$(PY) -m host.firmware_build

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache .hypothesis $(NODE_DIR)/node_modules
