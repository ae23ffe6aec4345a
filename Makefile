# Quiver: `make serve` and `make test` are all a newcomer needs; both bootstrap as needed.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
ARGS ?=

.PHONY: bootstrap build serve test unit-test interop-test format clean

bootstrap:
	@scripts/bootstrap

$(BUILD_DIR)/build.ninja: CMakeLists.txt cmake/QuiverDeps.cmake | bootstrap
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: bootstrap $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Serves the embedded DuckDB database quiver.duckdb on 127.0.0.1:9090 (flags: make serve ARGS="--port 9999").
serve: build
	$(BUILD_DIR)/quiver serve $(ARGS)

test: build
	$(MAKE) --no-print-directory unit-test interop-test

unit-test:
	$(BUILD_DIR)/quiver_unit_tests --gtest_brief=1

interop-test:
	QUIVER_BINARY=$(abspath $(BUILD_DIR)/quiver) .venv/bin/python -m pytest -q tests/interop

format:
	clang-format -i $$(git ls-files 'src/*.cpp' 'src/*.h' 'tests/*.cpp' 'tests/*.h')

clean:
	rm -rf $(BUILD_DIR)

# Benchmarks against in-process DuckDB and a plain pyarrow.flight server (not part of `make test`;
# see docs/performance.md). Results: bench/results/full/ and bench/results/quick/.
.PHONY: bench bench-quick
bench: build
	.venv/bin/python bench/run.py --profile full

# The same cases at a tenth of the data; finishes in under 3 minutes on 2 cores.
bench-quick: build
	.venv/bin/python bench/run.py --profile quick
