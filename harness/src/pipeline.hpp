// SPDX-License-Identifier: GPL-2.0-or-later
// One run of the harness, from kernel source to a verdict: prepare the tree,
// apply the patch series, build a minimal kernel and the static guest
// program, boot it under QEMU, and write what came back under results/.
#pragma once

#include "exit_codes.hpp"
#include "results.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace harness {

// What the guest runs.
enum class run_mode {
    check,    // the errno table and the scenarios
    verify,   // the scenarios
    abi,      // the errno table
    bench,    // the fault-path benchmarks (pfbench)
    debug,    // the errno table, the fuzzer, the race stress, the scenarios, a kmemleak scan
    counters, // Linux's own fault counters against the prediction (no syscalls needed)
};

// The mode's word, which the guest reads first on its command line.
std::string mode_word(run_mode m);
// Every mode by its word, for the harness's own command line.
const std::map<std::string, run_mode>& modes_by_word();

// Where trees, builds and ccache live: PFCHECK_CACHE, else the XDG cache.
std::filesystem::path default_cache();

struct options {
    std::string arch = "i386";
    run_mode mode = run_mode::check;
    std::filesystem::path ksrc, cache = default_cache(), results = "results", project = ".";
    // A directory of patches, "none", "reference" (pfcheck's own), or empty:
    // decided from the tree (kernel_tree.hpp, resolve_series).
    std::filesystem::path series;
    std::string profile = "strict"; // "course": pfcheck's stricter rules are advice only
    std::string accel = "tcg";
    int timeout = 900;
    std::vector<std::string> scenarios;
    std::vector<std::filesystem::path> fragments;
    std::string cmdline;
    std::string out_name; // results/<out_name>; default: the architecture
    std::vector<std::filesystem::path> extra_patches;
    std::vector<std::string> params; // KEY=VALUE for the guest (calls=, seconds=, reps=)
    std::string variant = "default"; // build directory variant (debug kernels apart)
    int cpus = 1;
    // A job slot of its own (make grade JOBS=n): slot k > 0 builds on its own
    // copy of the kernel tree, with its own build directories, so that jobs
    // do not wait for each other's tree lock.
    int slot = 0;
    std::string qemu;        // QEMU program (default: qemu-system-ARCH)
    bool pristine = false;   // Debian's 6.1 without any patch (the benchmarks' baseline)
    bool apply_only = false; // mutants: only check that each applies (no build, no boot)
    bool icount = false;     // QEMU -icount: guest time counts guest instructions
    // The insn_marks plugin (two-vCPU benchmarks, clock=marks): loaded into
    // QEMU, its log in the run's directory (insn_marks.log). Empty: none.
    std::filesystem::path plugin;
};

// Where a run's plugin log goes: OUT_DIR/insn_marks.log.
std::filesystem::path plugin_log_in(const std::filesystem::path& out_dir);

struct run_result {
    int code = exit_code::not_judged;
    collected c;
    std::string reason; // one line, when code != 0
};

// Says "pfcheck-harness: STEP: WHY" on standard error; a result that judged nothing.
run_result fail(const std::string& step, const std::string& why);

run_result run_all(options o);

// Whether the run's series, and its extra patches, apply to the tree it
// would build (no build, no boot); `why` says why not.
bool series_applies(options o, std::string& why);

// pfcheck's commit (git rev-parse --short HEAD of `project`), "" outside git.
std::string project_commit(const std::filesystem::path& project);

} // namespace harness
