# The README's commands. Everything installs into a local .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-all bench-solvers bench-sla bench-forecast bench-policies bench-scale clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## Plan the embedded example campaign, print a readable summary, write the HTML report.
demo: $(STAMP)
	$(BIN)/presale-supply demo --out demo-out
	$(BIN)/presale-supply report --example --policies 4 --out demo-out/report.html

## Lint, type-check and run the fast test tier (what CI runs).
test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -m "not slow"

## Every test, including the slow tier.
test-all: $(STAMP)
	$(BIN)/python -m pytest -q

## Solver comparison suite: every instance, the default and every backend and formulation
## (several hours: 19 instances x 11 configurations, up to 60 s each, plus the baseline).
bench-solvers: $(STAMP)
	$(BIN)/python -m benchmarks.solvers.run --instances all --time-limit 60 --threads 2 \
		--configs auto/auto,cpsat/aggregate,cpsat/facility_location,scip/aggregate,scip/facility_location,highs/aggregate,highs/facility_location,cbc/aggregate,cbc/facility_location,pulp-highs/aggregate,pulp-highs/facility_location

## SLA checker speed and memory on 1M and 10M synthetic orders.
bench-sla: $(STAMP)
	$(BIN)/python benchmarks/sla_bench.py --sizes 1000000,10000000

## Forecaster against statsforecast AutoETS and seasonal naive (Online Retail, carparts).
bench-forecast: $(STAMP)
	$(BIN)/python benchmarks/forecast_retail.py
	$(BIN)/python benchmarks/forecast_carparts.py

## Order policies on 200 simulated campaigns, lock and buffer sensitivity (about 30 min).
bench-policies: $(STAMP)
	$(BIN)/python benchmarks/policies.py --campaigns 200 --sensitivity-campaigns 30 --workers 2

## Planner at 1k and 10k generated SKUs: single process vs a 2-process pool (about 30 min on a
## loaded 2-core machine). Add 100000 to --sizes for the issue 7 target run, --dask for a
## distributed.LocalCluster column.
bench-scale: $(STAMP)
	$(BIN)/python benchmarks/scale_plan.py --sizes 1000,10000 --modes single,pool

clean:
	rm -rf $(VENV) demo-out .pytest_cache .mypy_cache .ruff_cache
