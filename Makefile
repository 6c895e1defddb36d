# SPDX-License-Identifier: GPL-2.0-or-later
# pfcheck's front door. The two commands (README.md):
#   make        build the patched kernel, boot it under QEMU, run the checks,
#               write results/$(ARCH)/
#   make check  every test: host unit tests (CTest), that every mutant still
#               applies, then the in-guest suite on the patched kernel for
#               i386 and x86_64
# Both install the Debian packages they need first (as root).
#
# Knobs: ARCH=i386|x86_64  ACCEL=tcg|kvm  KSRC=/path/to/linux
#        SERIES=dir|none|reference (default: none when KSRC already wires up
#        the course's syscalls, else pfcheck's reference series)
#        PROFILE=strict|course  SCENARIO="name ..."  TIMEOUT=seconds  MUTANT="name ..."
#
# Other targets: make counters [KSRC=...] [SERIES=none] (Linux's own fault
# counters against the prediction, docs/counters.md), make mutants (every buggy kernel in patch/mutants/ must be
# caught, with the right diagnosis), make unit (host tests only), make bench
# (overhead), make report (tables and plots), make submission KSRC=<your 4.15
# git tree> REPORT=report.pdf [SERIES=dir|reference] [BASE=commit|vanilla tree].
# The work itself is done by the harness (harness/src), in C++.

ARCH ?= i386
ACCEL ?= tcg
TIMEOUT ?= 900
# `make check` covers both architectures unless ARCH is given.
CHECK_ARCHS ?= $(if $(filter command line environment,$(origin ARCH)),$(ARCH),i386 x86_64)
# The debug kernel's fuzzer calls and race-stress seconds (`make check` runs a
# shorter round of both).
FUZZ_CALLS ?= 1000000
STRESS_SECONDS ?= 60
DEBUG_TIMEOUT ?= 3600
KCSAN_CALLS ?= 200000
# DEBUG_RUN,CPUS: check-debug boots on two CPUs (make check's short round on
# one). A two-CPU guest whose kernel rejects its TSC is booted again: with a
# millisecond clock perf's records from two CPUs tie (docs/verification.md).
DEBUG_RUN = $(HARNESS) run --arch x86_64 --mode debug --variant debug --smp $(1) \
	--fragment harness/kconfig/debug.config --accel $(ACCEL) --timeout $(DEBUG_TIMEOUT)
# The data-race round: a KCSAN kernel (KCSAN and KASAN exclude each other).
KCSAN_RUN = $(HARNESS) run --arch x86_64 --mode debug --variant kcsan --smp 2 \
	--fragment harness/kconfig/kcsan.config --accel $(ACCEL) --timeout $(DEBUG_TIMEOUT)
# The mutants `make check` runs (all of them: `make mutants`).
CHECK_MUTANTS ?= first_touch no_exec_reset shifted student_b student_e

BUILD := build/host
HARNESS := $(BUILD)/pfcheck-harness
HARNESS_ARGS = --accel $(ACCEL) --timeout $(TIMEOUT) \
	$(if $(KSRC),--ksrc $(KSRC)) $(if $(SERIES),--series $(SERIES)) \
	$(if $(PROFILE),--profile $(PROFILE)) $(foreach s,$(SCENARIO),--scenario $(s))

.PHONY: grade all counters check check-debug check-failures unit mutants bench report submission deps host clean

all: host
	$(HARNESS) run --arch $(ARCH) --mode check $(HARNESS_ARGS)

# Linux's own fault counters (min_flt, maj_flt, /proc/vmstat, perf's software
# events) against the prediction, per scenario, on any kernel: no patch is
# needed (SERIES=none: the tree as it is; without KSRC, Debian's vanilla 6.1).
# docs/counters.md.
counters: host
	$(HARNESS) run --arch $(ARCH) --mode counters --name counters-$(ARCH) $(HARNESS_ARGS)

check: unit
	@echo "== every mutant still applies to the series"
	$(HARNESS) mutants --apply-only
	@for arch in $(CHECK_ARCHS); do \
	  echo "== in-guest suite, $$arch"; \
	  $(HARNESS) run --arch $$arch --mode check $(HARNESS_ARGS) || exit $$?; \
	done
	@echo "== the harness under failures (panic, hang, ENOSYS, damaged results, no QEMU, no apply)"
	ctest --test-dir $(BUILD) --output-on-failure --label-regex guest
	@echo "== debug kernel (KASAN, KFENCE, lockdep, UBSAN, kmemleak): fuzzer and race stress, short, one CPU"
	$(call DEBUG_RUN,1) --name debug-short --param calls=100000 --param seconds=15
	@echo "== mutants: each must be caught, with the right diagnosis"
	$(HARNESS) mutants --arch i386 --accel $(ACCEL) --timeout $(TIMEOUT) --name mutants-check \
	  $(foreach m,$(CHECK_MUTANTS),--mutant $(m))

# The patched 6.1 x86_64 kernel with every debug detector: the errno table,
# FUZZ_CALLS fuzzed calls, a STRESS_SECONDS race stress, the scenarios, a
# kmemleak scan; any kernel report fails it.
check-debug: host
	$(call DEBUG_RUN,2) --name debug --param calls=$(FUZZ_CALLS) --param seconds=$(STRESS_SECONDS)
	@echo "== KCSAN kernel: the race stress and the fuzzer on two CPUs; any data race fails"
	$(KCSAN_RUN) --name kcsan --param calls=$(KCSAN_CALLS) --param seconds=$(STRESS_SECONDS) \
	  --param kmemleak=0

mutants: host
	$(HARNESS) mutants --arch $(ARCH) --accel $(ACCEL) --timeout $(TIMEOUT) \
	  $(foreach m,$(MUTANT),--mutant $(m))

# Grade a class: SUBMISSIONS=<dir of *.tar.gz>, KSRC=<the vanilla base> (default
# Debian's 6.1); results/grade/NAME/{feedback.md,result.json}, results/grade/grades.*
# and class.md. Graded submissions are not graded again (same archive, base, commit).
grade: host
	$(HARNESS) grade --submissions $(SUBMISSIONS) --accel $(ACCEL) --timeout $(TIMEOUT) \
	  $(if $(KSRC),--ksrc $(KSRC)) $(if $(RUBRIC),--rubric $(RUBRIC)) \
	  $(if $(ENGINE),--engine $(ENGINE)) $(if $(JOBS),--jobs $(JOBS))

# Fault-path overhead of a kernel against its vanilla base (a) and pfcheck's
# reference series on that base, under -icount and wall clock; then the
# oracle's throughput on the host; then the tables. Without KSRC: Debian's 6.1
# (pristine against patch/linux-6.1). KSRC=<vanilla tree> SERIES=<dir|reference>;
# KSRC=<your patched tree> SERIES=none BASE=<its vanilla tree>. CPUS=2: SMP
# kernels on two vCPUs, their figures under results/bench/ARCH...-smp2, with
# instruction counts from the insn_marks plugin (docs/two-vcpu.md).
# TIMINGS="icount wall marks": only these; SLOT=k: job slot k's own kernel tree.
bench: host
	$(HARNESS) bench --arch $(ARCH) --accel $(ACCEL) --timeout $(TIMEOUT) \
	  $(if $(KSRC),--ksrc $(KSRC)) $(if $(SERIES),--series $(SERIES)) $(if $(BASE),--base $(BASE)) \
	  $(if $(REPETITIONS),--repetitions $(REPETITIONS)) $(if $(CPUS),--smp $(CPUS)) \
	  $(foreach t,$(TIMINGS),--timing $(t)) $(if $(SLOT),--slot $(SLOT))
	@mkdir -p results/bench
	$(BUILD)/oracle_bench --benchmark_out=results/bench/oracle.json --benchmark_out_format=json
	$(BUILD)/pfcheck-report

# Tables (Markdown, CSV, LaTeX) and plots (SVG, PNG) from the latest runs.
report: host
	$(BUILD)/pfcheck-report $(if $(SCENARIO),--scenario $(firstword $(SCENARIO)))

# patch.tar.gz for the course: your series (the commits of KSRC on top of
# vanilla 4.15, or SERIES=dir; SERIES=reference is pfcheck's own) and your
# report (REPORT=report.pdf or .txt, required), after applying it to vanilla
# 4.15, building, booting and checking it as the course will. PROFILE
# defaults to course here. OUTPUT= names the archive (patch.tar.gz).
submission: host
	$(HARNESS) submission --accel $(ACCEL) --timeout $(TIMEOUT) \
	  $(if $(KSRC),--ksrc $(KSRC)) $(if $(SERIES),--series $(SERIES)) \
	  $(if $(BASE),--base $(BASE)) $(if $(REPORT),--report $(REPORT)) \
	  $(if $(PROFILE),--profile $(PROFILE)) $(if $(OUTPUT),--output $(OUTPUT))

unit: host
	ctest --test-dir $(BUILD) --output-on-failure --label-exclude guest

# The harness under real failures (panic, hang, ENOSYS, damaged results, no
# QEMU, a series that does not apply): needs the i386 kernel `make` builds.
check-failures: host
	ctest --test-dir $(BUILD) --output-on-failure --label-regex guest

deps:
	@harness/install-deps.sh

host: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$$(nproc)

clean:
	rm -rf build
