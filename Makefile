# Spotik: native build, run and test targets, and the container stacks. `make help` lists them.
# Docker targets use `docker compose` (v2) or `docker-compose` (1.29), whichever is installed;
# generic ones (build, logs, status, shell, health, monitor, ...) act on the production stack,
# or on the development stack with STACK=dev.
.DEFAULT_GOAL := help
SHELL := /bin/bash
JOBS ?= $(shell nproc)

REPLICAS ?= 2
COUNT ?= 10
STACK ?= prod
COMPOSE_BIN = $(or $(SPOTIK_COMPOSE),$(shell if docker compose version >/dev/null 2>&1; then echo "docker compose"; \
                elif command -v docker-compose >/dev/null 2>&1; then echo docker-compose; fi))
COMPOSE_DEV = $(COMPOSE_BIN)
# PROD_OVERRIDE=file.yml adds a site-specific override file after the production one.
COMPOSE_PROD = $(COMPOSE_BIN) -f docker-compose.yml -f docker-compose.prod.yml $(if $(PROD_OVERRIDE),-f $(PROD_OVERRIDE))
COMPOSE = $(if $(filter dev,$(STACK)),$(COMPOSE_DEV),$(COMPOSE_PROD))

.PHONY: help deps deps-test build-release build-dev run test test-unit test-property test-integration \
        test-integration-pg test-postgres test-cluster test-fuzz test-tsan test-smoke test-coverage test-containers ci coverage \
        bench bench-ws-cluster bench-soak clean format \
        setup-env dev dev-logs dev-tools dev-shell dev-db-shell dev-stop prod prod-build prod-scale prod-logs \
        prod-stop db-reset-dev db-generate-test-data db-backup db-restore health monitor monitor-logs logs \
        status build shell update prune security-scan compose-check

help: ## List the targets with a description
	@grep -hE '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-22s\033[0m %s\n", $$1, $$2}'

# ---------------------------------------------------------------- native build and tests

deps: ## Install the Debian packages needed to build and run
	@scripts/install-deps.sh build

deps-test: ## Install the Debian packages needed by the tests
	@scripts/install-deps.sh test

build-release: deps ## Build the optimised server natively (build/release/spotik)
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

build-dev: deps-test ## Build the debug server and tests with ASan+UBSan (build/dev)
	cmake --preset dev >/dev/null
	cmake --build --preset dev -j $(JOBS)

run: build-release ## Build and start the server natively on :3000 (SQLite and storage under ./var)
	@mkdir -p var
	./build/release/spotik serve

test: build-dev ## Install test dependencies, build, and run the whole suite
	ctest --preset dev

test-unit: build-dev ## Unit tests only
	ctest --preset dev -L unit

test-property: build-dev ## Property tests only
	ctest --preset dev -L property

test-integration: build-dev ## Integration tests against the real binary (SQLite)
	ctest --preset dev -L integration

test-integration-pg: build-dev ## The same integration tests on PostgreSQL (a throw-away cluster)
	ctest --preset dev -L postgres -R '^pg\.'

test-postgres: build-dev ## Everything on PostgreSQL: store contract, driver, fault and integration tests
	ctest --preset dev -L postgres

test-cluster: build-dev ## Three replicas behind nginx on a private Redis: delivery, votes, auto-advance, faults
	ctest --preset dev -L cluster

test-fuzz: deps-test ## libFuzzer targets (clang, ASan+UBSan): replay tests/fuzz/crashes, fuzz each 20 s (FUZZ_SECONDS)
	tests/fuzz/run.sh

# Only the server, the executable holding the concurrency tests (spotik_tsan_tests, listed in
# tests/CMakeLists.txt) and the PostgreSQL launcher are built here.
TSAN_TARGETS = spotik spotik_tsan_tests spotik_pg_cluster
test-tsan: deps-test ## Concurrency tests (votes, uploads, hub fan-out, WebSocket, Redis bus, cluster) under ThreadSanitizer
	cmake --preset tsan >/dev/null
	cmake --build --preset tsan -j $(JOBS) --target $(TSAN_TARGETS)
	scripts/test-tsan.sh

test-smoke: ## Fresh clone + `make run` answers GET /health with 200 (slow: a release build)
	scripts/smoke-make-run.sh

test-coverage: coverage ## Line coverage report (same as `make coverage`)

test-containers: ## Build the images, run the production stack in a private Docker engine and check it (slow)
	@scripts/install-deps.sh containers
	tests/containers/run.sh

ci: test test-fuzz test-tsan test-smoke ## Everything CI runs, slowest last

bench: ## Benchmarks: against nginx, and PostgreSQL vs SQLite, on loopback (bench/README.md)
	bench/http_bench.sh
	@if [ -x bench/media_bench.sh ]; then bench/media_bench.sh; fi
	BENCH_SKIP_BUILD=1 bench/db_bench.sh

bench-ws-cluster: deps-test ## Fan-out over two replicas with Redis vs one replica (bench/ws/README.md)
	bench/ws/ws_cluster_bench.sh

bench-soak: deps ## Soak: mixed HTTP + WebSocket load on one server, RSS growth (bench/soak/README.md) (30 min)
	bench/soak/soak.sh

coverage: deps-test ## Line coverage report with gcovr (build/coverage/coverage.txt)
	cmake --preset coverage >/dev/null
	cmake --build --preset coverage -j $(JOBS)
	cd build/coverage && ctest -j2 --output-on-failure
	gcovr -r . --object-directory build/coverage --filter src/ --exclude '.*_test\.cpp' \
	  --txt build/coverage/coverage.txt --print-summary

format: ## Reformat the sources with clang-format
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean: ## Remove build directories
	rm -rf build

# ---------------------------------------------------------------- containers

compose-check:
	@if [ -z "$(COMPOSE_BIN)" ]; then \
	  echo "Neither 'docker compose' nor 'docker-compose' is installed (scripts/install-deps.sh containers)" >&2; exit 1; fi

setup-env: ## Create .env from .env.example (ENV=production: from .env.production with generated secrets)
	@scripts/setup-env.sh $(if $(ENV),$(ENV),development)

dev: compose-check ## Start the development stack (hot reload; backend :3000, PostgreSQL :5433, Redis :6380)
	$(COMPOSE_DEV) up -d --build
	@echo "Backend http://localhost:3000 (health: /health), debugger :9229, PostgreSQL localhost:5433, Redis localhost:6380"

dev-logs: compose-check ## Follow the development backend's log
	$(COMPOSE_DEV) logs -f --tail=100 backend

dev-tools: compose-check ## Start pgAdmin :5050, Redis Commander :8081 and Dozzle :9999 (profile tools)
	$(COMPOSE_DEV) --profile tools up -d pgadmin redis-commander dozzle
	@echo "pgAdmin http://localhost:5050 (admin@spotik.local / admin123), Redis Commander http://localhost:8081, Dozzle http://localhost:9999"

dev-shell: compose-check ## A shell in the development backend container
	$(COMPOSE_DEV) exec backend bash

dev-db-shell: compose-check ## psql on the development database
	$(COMPOSE_DEV) exec postgres sh -c 'psql -U "$$POSTGRES_USER" -d "$$POSTGRES_DB"'

dev-stop: compose-check ## Stop the development stack (volumes kept)
	$(COMPOSE_DEV) down

db-reset-dev: compose-check ## Delete all development data (spotik db reset) and restart the backend
	$(COMPOSE_DEV) exec -T backend spotik db reset
	$(COMPOSE_DEV) restart backend

db-generate-test-data: compose-check ## Add COUNT generated tracks to room ROOM_ID (an id, or a name to create)
	@if [ -z "$(ROOM_ID)" ]; then echo "usage: make db-generate-test-data ROOM_ID=<room id or name> [COUNT=10]" >&2; exit 2; fi
	$(COMPOSE_DEV) exec -T backend spotik db seed --room "$(ROOM_ID)" --count "$(COUNT)"

prod: compose-check ## Start the production stack with REPLICAS backends (default 2); needs .env (make setup-env ENV=production)
	$(COMPOSE_PROD) up -d --build --scale backend=$(REPLICAS)

prod-build: compose-check ## Build the production images (spotik, spotik-backup)
	$(COMPOSE_PROD) build backend postgres-backup

prod-scale: compose-check ## Run REPLICAS=N backend replicas behind nginx
	$(COMPOSE_PROD) up -d --no-deps --no-recreate --scale backend=$(REPLICAS) backend

prod-logs: compose-check ## Follow the production logs
	$(COMPOSE_PROD) logs -f --tail=100

prod-stop: compose-check ## Stop the production stack (volumes kept)
	$(COMPOSE_PROD) down

db-backup: compose-check ## Run one verified backup now (database + audio files) into the backups volume
	$(COMPOSE_PROD) exec -T postgres-backup spotik-backup once

db-restore: compose-check ## Restore BACKUP_FILE=spotik_<stamp>.dump (the backends are stopped meanwhile)
	@if [ -z "$(BACKUP_FILE)" ]; then echo "usage: make db-restore BACKUP_FILE=spotik_<stamp>.dump (list: $(COMPOSE_PROD) exec postgres-backup spotik-backup list)" >&2; exit 2; fi
	$(COMPOSE_PROD) stop backend
	$(COMPOSE_PROD) exec -T postgres-backup spotik-restore "$(BACKUP_FILE)"; status=$$?; \
	  $(COMPOSE_PROD) start backend; exit $$status

health: compose-check ## Health of every container of the stack and GET /health through it
	SPOTIK_COMPOSE="$(COMPOSE)" STACK=$(STACK) scripts/health-check.sh

monitor: compose-check ## Live CPU and memory of the stack's containers
	docker stats $$($(COMPOSE) ps -q)

monitor-logs: compose-check ## Follow the backend and nginx logs
	$(COMPOSE) logs -f --tail=50 backend $(if $(filter dev,$(STACK)),,nginx)

logs: compose-check ## The last 200 lines of every service, then follow
	$(COMPOSE) logs -f --tail=200

status: compose-check ## The stack's containers and their state
	$(COMPOSE) ps

build: compose-check ## Build the stack's images
	$(COMPOSE) build

shell: compose-check ## A shell in a backend container
	$(COMPOSE) exec backend sh

update: compose-check ## Pull the code and base images, rebuild, and restart the stack
	git pull --ff-only
	$(COMPOSE) build --pull
	$(COMPOSE) up -d $(if $(filter dev,$(STACK)),,--scale backend=$(REPLICAS))

prune: compose-check ## Remove stopped containers, dangling images and build cache (never volumes)
	$(COMPOSE) rm -f
	docker image prune -f
	docker builder prune -f

security-scan: ## Scan the production image for HIGH/CRITICAL vulnerabilities with Trivy
	@if command -v trivy >/dev/null 2>&1; then trivy image --severity HIGH,CRITICAL spotik:$${SPOTIK_TAG:-latest}; \
	else docker run --rm -v /var/run/docker.sock:/var/run/docker.sock aquasec/trivy:latest image \
	  --severity HIGH,CRITICAL spotik:$${SPOTIK_TAG:-latest}; fi
