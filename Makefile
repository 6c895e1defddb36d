# pfcheck's front door. The two commands (README.md):
#   make        build the patched kernel, boot it under QEMU, run the checks,
#               write results/$(ARCH)/
#   make check  every test: host unit tests (CTest), then the in-guest suite on
#               the patched kernel for i386 and x86_64
# Both install the Debian packages they need first (as root).
#
# Knobs: ARCH=i386|x86_64  ACCEL=tcg|kvm  KSRC=/path/to/linux  SERIES=dir|none
#        SCENARIO="name ..."  TIMEOUT=seconds
# The work itself is done by the harness (harness/src), in C++.

ARCH ?= i386
ACCEL ?= tcg
TIMEOUT ?= 900
# `make check` covers both architectures unless ARCH is given.
CHECK_ARCHS ?= $(if $(filter command line environment,$(origin ARCH)),$(ARCH),i386 x86_64)

BUILD := build/host
HARNESS := $(BUILD)/pfcheck-harness
HARNESS_ARGS = --accel $(ACCEL) --timeout $(TIMEOUT) \
	$(if $(KSRC),--ksrc $(KSRC)) $(if $(SERIES),--series $(SERIES)) \
	$(foreach s,$(SCENARIO),--scenario $(s))

.PHONY: all check unit deps host clean

all: host
	$(HARNESS) run --arch $(ARCH) --mode check $(HARNESS_ARGS)

check: unit
	@for arch in $(CHECK_ARCHS); do \
	  echo "== in-guest suite, $$arch"; \
	  $(HARNESS) run --arch $$arch --mode check $(HARNESS_ARGS) || exit $$?; \
	done

unit: host
	ctest --test-dir $(BUILD) --output-on-failure

deps:
	@harness/install-deps.sh

host: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$$(nproc)

clean:
	rm -rf build
