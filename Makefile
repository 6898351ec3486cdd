# Thin wrapper: the targets are the README's commands. CMake does the build.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
MAKEFLAGS  += --no-print-directory
CTEST      := ctest --output-on-failure --no-tests=error

.PHONY: all deps build asan run test test-fast clean

all: build

deps:
	@deploy/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# The tests again under AddressSanitizer + UndefinedBehaviorSanitizer, built
# with clang (so both compilers keep the build -Werror clean).
asan: deps
	@CC=clang cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFF_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)

run: build
	@deploy/demo.sh $(BUILD)

# Unit tests run in parallel; integration tests one at a time (they start
# daemons and time their own waits).
test: build asan
	cd $(BUILD) && $(CTEST) -j$(JOBS) -L unit
	cd $(BUILD) && $(CTEST) -LE unit
	cd $(ASAN_BUILD) && $(CTEST) -j$(JOBS) -L unit
	cd $(ASAN_BUILD) && $(CTEST) -LE unit

test-fast: build
	cd $(BUILD) && $(CTEST) -j$(JOBS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) run
