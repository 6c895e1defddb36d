# pfcheck's front door. The two commands (README.md):
#   make        build the patched kernel, boot it under QEMU, run the checks,
#               write results/$(ARCH)/
#   make check  every test: host unit tests (CTest), then the in-guest suite on
#               the patched kernel for i386 and x86_64
# Both install the Debian packages they need first (as root).
#
# Knobs: ARCH=i386|x86_64  ACCEL=tcg|kvm  KSRC=/path/to/linux  SERIES=dir|none
#        SCENARIO="name ..."  TIMEOUT=seconds  MUTANT="name ..."
#
# Other targets: make mutants (every buggy kernel in patch/mutants/ must be
# caught, with the right diagnosis), make unit (host tests only).
# The work itself is done by the harness (harness/src), in C++.

ARCH ?= i386
ACCEL ?= tcg
TIMEOUT ?= 900
# `make check` covers both architectures unless ARCH is given.
CHECK_ARCHS ?= $(if $(filter command line environment,$(origin ARCH)),$(ARCH),i386 x86_64)
# The mutants `make check` runs (all of them: `make mutants`).
CHECK_MUTANTS ?= first_touch kernel_mode no_exec_reset no_children shifted

BUILD := build/host
HARNESS := $(BUILD)/pfcheck-harness
HARNESS_ARGS = --accel $(ACCEL) --timeout $(TIMEOUT) \
	$(if $(KSRC),--ksrc $(KSRC)) $(if $(SERIES),--series $(SERIES)) \
	$(foreach s,$(SCENARIO),--scenario $(s))

.PHONY: all check unit mutants deps host clean

all: host
	$(HARNESS) run --arch $(ARCH) --mode check $(HARNESS_ARGS)

check: unit
	@for arch in $(CHECK_ARCHS); do \
	  echo "== in-guest suite, $$arch"; \
	  $(HARNESS) run --arch $$arch --mode check $(HARNESS_ARGS) || exit $$?; \
	done
	@echo "== mutants: each must be caught, with the right diagnosis"
	$(HARNESS) mutants --arch i386 --accel $(ACCEL) --timeout $(TIMEOUT) --name mutants-check \
	  $(foreach m,$(CHECK_MUTANTS),--mutant $(m))

mutants: host
	$(HARNESS) mutants --arch $(ARCH) --accel $(ACCEL) --timeout $(TIMEOUT) \
	  $(foreach m,$(MUTANT),--mutant $(m))

unit: host
	ctest --test-dir $(BUILD) --output-on-failure

deps:
	@harness/install-deps.sh

host: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$$(nproc)

clean:
	rm -rf build
