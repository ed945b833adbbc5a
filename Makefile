# berth — the two commands a newcomer runs: `sudo make demo`, `sudo make test`.
BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBERTH_WERROR=ON

.PHONY: all build deps test unit integration demo bench fuzz clean

all: build

deps:
	bash scripts/install-deps.sh

$(BUILD)/Makefile:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) > /dev/null

build: $(BUILD)/Makefile
	$(MAKE) -C $(BUILD) -j$(JOBS) --no-print-directory

# Installs what is missing, builds, runs every test; prints the three times.
test:
	bash scripts/test.sh

unit: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

integration: build
	bats --timing tests/integration

demo: deps build
	bash scripts/demo.sh

bench: deps build
	bash bench/run.sh

fuzz: deps
	bash scripts/fuzz.sh

clean:
	rm -rf $(BUILD) build-fuzz
