# OrderLens: `make run` (simulate, ingest, build, serve everything) and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ORDERS ?= 20000
DAYS ?= 730
SCALE ?= 100k
export ORDERLENS_DATA_DIR ?= $(CURDIR)/data
# Every uv install compiles bytecode: dbt, Dagster and the CLI then start seconds sooner
# where PYTHONDONTWRITEBYTECODE keeps Python from caching it (as on this machine).
export UV_COMPILE_BYTECODE := 1

.PHONY: help install run test lint format dev dashboard bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/uv || { $(BIN)/python -m ensurepip --upgrade >/dev/null 2>&1 || true; \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.8; }
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev,spark]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install OrderLens with every pinned dependency

dbt-parse: $(STAMP)
	@cd dbt_project && ORDERLENS_WAREHOUSE=$(ORDERLENS_DATA_DIR)/warehouse.duckdb ../$(BIN)/dbt parse --profiles-dir . --quiet

run: install ## Simulate the default business, ingest it, build everything, serve it (dashboards, Dagster UI, schedules, sensor)
	@test -f $(ORDERLENS_DATA_DIR)/simulated/.done || { \
	  $(BIN)/orderlens simulate --orders $(ORDERS) --days $(DAYS) && touch $(ORDERLENS_DATA_DIR)/simulated/.done; }
	$(BIN)/orderlens ingest $(ORDERLENS_DATA_DIR)/simulated
	$(BIN)/orderlens build
	$(BIN)/orderlens serve

test: install ## Install what the tests need and run them all
	@bash .ci/browser-deps.sh
	@bash .ci/spark-deps.sh
	$(MAKE) --no-print-directory dbt-parse
	$(BIN)/pytest -n 2 --dist loadgroup

lint: install ## Ruff (lint and format check) and sqlfluff on the dbt models
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt_project/models --processes 2

format: install ## Apply ruff formatting
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

dev: install dbt-parse ## Dagster UI with the whole asset graph (http://127.0.0.1:3000)
	@mkdir -p .dagster_home && cp pipelines/dagster.yaml .dagster_home/dagster.yaml
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/orderlens dev --host 127.0.0.1 --port 3000

dashboard: install ## Serve the dashboard on http://127.0.0.1:8501
	$(BIN)/orderlens dashboard

bench: install ## Benchmarks at SCALE=100k|1m|10m: figures saved in bench/results, docs/benchmarks.md rewritten
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev,spark,bench]'
	$(BIN)/python -m bench --scale $(SCALE)

clean: ## Remove the virtual environment and dbt's build output (keeps data/)
	rm -rf $(VENV) dbt_project/target dbt_project/logs
