# Everything installs from nothing: `make test` creates .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo bench lint format template clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check ccrc_sync tests bench scripts
	$(BIN)/ruff format --check ccrc_sync tests bench scripts
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

demo: $(STAMP)
	$(BIN)/ccrc-sync sync --config config/ccrc_sync.toml

bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check ccrc_sync tests bench scripts

format: $(STAMP)
	$(BIN)/ruff format ccrc_sync tests bench scripts
	$(BIN)/ruff check --fix ccrc_sync tests bench scripts

template: $(STAMP)
	$(BIN)/python scripts/make_template.py

clean:
	rm -rf $(VENV) var .pytest_cache
