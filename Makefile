# Spotik: native build, run and test targets. `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash
JOBS ?= $(shell nproc)

.PHONY: help deps deps-test build build-dev run test test-unit test-property test-integration \
        test-integration-pg test-postgres test-cluster test-smoke ci coverage bench bench-ws-cluster clean format

help: ## List the targets with a description
	@grep -hE '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-20s\033[0m %s\n", $$1, $$2}'

deps: ## Install the Debian packages needed to build and run
	@scripts/install-deps.sh build

deps-test: ## Install the Debian packages needed by the tests
	@scripts/install-deps.sh test

build: deps ## Build the optimised server (build/release/spotik)
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

build-dev: deps-test ## Build the debug server and tests with ASan+UBSan (build/dev)
	cmake --preset dev >/dev/null
	cmake --build --preset dev -j $(JOBS)

run: build ## Build and start the server on :3000 (SQLite and storage under ./var)
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

test-smoke: ## Fresh clone + `make run` answers GET /health with 200 (slow: a release build)
	scripts/smoke-make-run.sh

ci: test test-smoke ## Everything CI runs, slowest last

bench: ## Benchmarks: against nginx, and PostgreSQL vs SQLite, on loopback (bench/README.md)
	bench/http_bench.sh
	@if [ -x bench/media_bench.sh ]; then bench/media_bench.sh; fi
	BENCH_SKIP_BUILD=1 bench/db_bench.sh

bench-ws-cluster: deps-test ## Fan-out over two replicas with Redis vs one replica (bench/ws/README.md)
	bench/ws/ws_cluster_bench.sh

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
