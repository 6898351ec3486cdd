# Thin wrapper: the targets are the README's commands. CMake does the build.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
RELEASE_BUILD ?= build-release
FUZZ_SECONDS ?= 8
FUZZ_TARGETS := fuzz_nf5 fuzz_nf9 fuzz_ipfix fuzz_sflow fuzz_filter fuzz_segment fuzz_batch fuzz_trust fuzz_tokens fuzz_state
JOBS       ?= $(shell nproc)
MAKEFLAGS  += --no-print-directory
CTEST      := ctest --output-on-failure --no-tests=error

.PHONY: all deps bench-deps build release asan fuzz-build fuzz run test test-fast clean

all: build

deps:
	@deploy/install-deps.sh

# deps plus the peers only the benchmarks use (ClickHouse for bench_query.sh).
bench-deps:
	@deploy/install-deps.sh --bench

# Our own builds turn warnings into errors (FF_WERROR); a packager's build
# keeps them warnings.
build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFF_WERROR=ON >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# The optimized build a packager makes (-O3 finds warnings -O2 does not), kept
# warning-free. Compiled only: its tests are the ones build/ already runs.
release: deps
	@cmake -S . -B $(RELEASE_BUILD) -DCMAKE_BUILD_TYPE=Release -DFF_WERROR=ON >/dev/null
	@cmake --build $(RELEASE_BUILD) -j$(JOBS)

# The tests again under AddressSanitizer + UndefinedBehaviorSanitizer, built
# with clang (so both compilers keep the build -Werror clean).
asan: deps
	@CC=clang cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFF_SANITIZE=ON -DFF_WERROR=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)

# libFuzzer targets (clang): only they are built here, every library they
# link is instrumented for coverage.
fuzz-build: deps
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFF_FUZZ=ON -DFF_WERROR=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS) --target $(FUZZ_TARGETS)

# Each target for FUZZ_SECONDS, seeded from ../shared/corpus; longer by hand:
# make fuzz FUZZ_SECONDS=600
fuzz: build fuzz-build
	tests/fuzz/run_fuzz.sh $(FUZZ_BUILD) $(BUILD)/tests/tools/ffdecode $(FUZZ_SECONDS)

run: build
	@deploy/demo.sh $(BUILD)

# Unit tests run in parallel; integration tests one at a time (they start
# daemons and time their own waits).
test: build release asan fuzz
	cd $(BUILD) && $(CTEST) -j$(JOBS) -L unit
	cd $(BUILD) && $(CTEST) -LE unit
	cd $(ASAN_BUILD) && $(CTEST) -j$(JOBS) -L unit
	cd $(ASAN_BUILD) && $(CTEST) -LE unit

test-fast: build
	cd $(BUILD) && $(CTEST) -j$(JOBS)

clean:
	rm -rf $(BUILD) $(RELEASE_BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) run
