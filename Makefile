# Quiver: `make serve` and `make test` are all a newcomer needs; both bootstrap as needed.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
ARGS ?=

.PHONY: bootstrap build serve test unit-test interop-test test-reliability format clean

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

# The reliability and security suite at full length: the load test with 32 clients for 60 s
# (`make test` runs it for 5 s with 8), plus the fault, hostile-input, limit and security tests.
# QUIVER_RELIABILITY_REPORT=<file> collects the measured figures (docs/reliability.md).
test-reliability: build
	QUIVER_LOAD_SECONDS=$${QUIVER_LOAD_SECONDS:-60} QUIVER_LOAD_CLIENTS=$${QUIVER_LOAD_CLIENTS:-32} \
	  QUIVER_BINARY=$(abspath $(BUILD_DIR)/quiver) .venv/bin/python -m pytest -q -o timeout=900 \
	  tests/interop/test_reliability.py tests/interop/test_hostile_input.py \
	  tests/interop/test_limits.py tests/interop/test_security.py

format:
	clang-format -i $$(git ls-files 'src/*.cpp' 'src/*.h' 'tests/*.cpp' 'tests/*.h')

clean:
	rm -rf $(BUILD_DIR)

# Benchmarks against in-process DuckDB, a plain pyarrow.flight server and the arrow-go SQLite
# Flight SQL example server (not part of `make test`; see docs/performance.md). bench/setup
# installs the bench-only pinned extras into .deps/bench/ (only here, never at `make test`).
# Results: bench/results/full/ and bench/results/quick/.
.PHONY: bench bench-quick bench-setup
bench-setup: bootstrap
	@bench/setup

bench: build bench-setup
	QUIVER_BENCH_BINARY=$${QUIVER_BENCH_BINARY:-$(abspath $(BUILD_DIR)/quiver)} \
	  .venv/bin/python bench/run.py --profile full

# The same cases on a tenth of the data; finishes in under 3 minutes on 2 cores.
bench-quick: build bench-setup
	QUIVER_BENCH_BINARY=$${QUIVER_BENCH_BINARY:-$(abspath $(BUILD_DIR)/quiver)} \
	  .venv/bin/python bench/run.py --profile quick

# Fuzzing (not part of `make test`): installs clang (scripts/fuzz-packages.txt), builds the
# tests/fuzz targets with libFuzzer + ASan + UBSan in build-fuzz and runs each for FUZZ_SECONDS
# (flags: make fuzz FUZZ_SECONDS=300 FUZZ_TARGETS="sql_text ipc_ingest"). See docs/reliability.md.
FUZZ_SECONDS ?= 30
FUZZ_TARGETS ?=
.PHONY: fuzz
fuzz:
	@scripts/bootstrap --fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) scripts/fuzz $(FUZZ_TARGETS)

# The unit tests and the interop suite against a server built with -fsanitize=address,undefined
# (gcc) in build-asan; any sanitizer report fails the run (a server exiting non-zero fails its
# test). See docs/reliability.md.
ASAN_DIR ?= build-asan
SANITIZER_ENV = ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:strict_string_checks=1:check_initialization_order=1:quarantine_size_mb=64 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 QUIVER_SANITIZED=1 \
	LSAN_OPTIONS=suppressions=$(abspath scripts/lsan.supp):print_suppressions=0
.PHONY: test-asan
test-asan: bootstrap
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQUIVER_SANITIZE=address,undefined
	cmake --build $(ASAN_DIR) -j $(JOBS)
	$(SANITIZER_ENV) $(ASAN_DIR)/quiver_unit_tests --gtest_brief=1
	$(SANITIZER_ENV) $(MAKE) --no-print-directory interop-test BUILD_DIR=$(ASAN_DIR)
