# Run `make` (or `make help`) for the list of targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv/bin
BOOTSTRAP := infra/bootstrap.sh

# `make token` defaults; override like `make token ROLE=kvv_officer`.
ORG ?= polisen
UNIT ?= pa-kronoberg
ROLE ?= custody_officer
# Extra pytest arguments, e.g. `make pytest PYTEST_ARGS='-k handover -x'`.
PYTEST_ARGS ?=
# `make fuzz`: random examples per generated test (HANDOVER_FUZZ_EXAMPLES); `make test` runs a few.
FUZZ_EXAMPLES ?= 300

.PHONY: help bootstrap deps run test lint format typecheck pytest fuzz openapi migrate token bench faults prod-like clean

help: ## Show this list of targets
	@echo "Usage: make <target> [VAR=value ...]"
	@echo
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  %-10s %s\n", $$1, $$2}'

bootstrap: ## Install uv, the Python dependencies (.venv) and PostgreSQL 15 if missing
	@$(BOOTSTRAP)

deps: # Python dependencies only (no PostgreSQL)
	@$(BOOTSTRAP) --no-postgres

run: ## Run PostgreSQL, Temporal, worker and API locally with embedded servers
	@$(BOOTSTRAP) --no-browser
	exec $(VENV)/handover dev

test: bootstrap ## Lint, type-check and run the whole test suite on throwaway servers
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/mypy
	@$(MAKE) --no-print-directory pytest

lint: deps ## Check code with ruff (lint and formatting)
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .

format: deps ## Format code and apply safe lint fixes with ruff
	$(VENV)/ruff format .
	$(VENV)/ruff check --fix .

typecheck: deps ## Type-check with mypy
	$(VENV)/mypy

pytest: bootstrap ## Run only pytest (extra arguments in PYTEST_ARGS)
	@echo "$(VENV)/pytest $(PYTEST_ARGS)"; \
	rc=0; $(VENV)/pytest $(PYTEST_ARGS) || rc=$$?; \
	if [[ $$rc -eq 5 ]]; then \
		echo "make: pytest collected no tests (exit code 5); failing." >&2; exit 1; \
	fi; \
	exit $$rc

fuzz: bootstrap ## Long, random run of the contract and hostile-input tests (FUZZ_EXAMPLES)
	HANDOVER_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) HANDOVER_FUZZ_RANDOM=1 \
		$(VENV)/pytest tests/contract tests/api/test_hostile.py $(PYTEST_ARGS)

openapi: deps ## Regenerate contracts/openapi.json
	$(VENV)/handover openapi

migrate: bootstrap ## Apply database migrations
	$(VENV)/handover migrate

token: deps ## Print a development JWT (ORG, UNIT, ROLE)
	@$(VENV)/handover token --org $(ORG) --unit $(UNIT) --role $(ROLE)

bench: bootstrap ## Run the benchmark
	$(VENV)/python -m bench

# `make faults`: clients and minutes of load (FAULTS_CLIENTS, FAULTS_SECONDS).
FAULTS_CLIENTS ?= 6
FAULTS_SECONDS ?= 210
faults: bootstrap ## Fault suite: 2 APIs + 2 workers under load while servers and processes fail
	$(VENV)/python -m tests.faults --clients $(FAULTS_CLIENTS) --seconds $(FAULTS_SECONDS)

# `make prod-like`: the same scenario against the built wheel with production settings.
prod-like: bootstrap ## Fault suite against the wheel in a clean venv: JWKS sign-in, production settings
	$(VENV)/python -m tests.faults.prod_like --clients $(FAULTS_CLIENTS) --seconds $(FAULTS_SECONDS)

clean: ## Remove local data under .dev/
	rm -rf -- .dev

# Deployment (infra/): the image and the offline checks of the manifests.
IMAGE ?= handover:$(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
.PHONY: infra image

infra: deps ## Check infra/ offline: Kubernetes schemas, references, hadolint (also in `make test`)
	$(VENV)/pytest tests/infra -q

image: ## Build the container image IMAGE (needs docker or podman with BuildKit)
	docker build -f infra/Dockerfile -t $(IMAGE) .
