// SPDX-License-Identifier: GPL-2.0-or-later
// Two-vCPU benchmark figures from the insn_marks plugin's log
// (bench/plugin/insn_marks.c, docs/two-vcpu.md): the guest instructions of
// each window pfbench marked (--clock=marks), grouped into repetitions per
// configuration, as instructions per CoW fault; and report.json amended with
// them, or marked UNAVAILABLE with the reason.
#pragma once

#include <filesystem>
#include <istream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace harness {

// One line the plugin wrote for an executed mark.
struct mark_line {
    unsigned vcpu = 0;
    unsigned id = 0;
    unsigned long long insns = 0; // instructions that vCPU had begun, the mark included
};

// A "mark vcpu=N id=0xID insns=N" line, or nullopt.
std::optional<mark_line> parse_mark_line(const std::string& line);

// The windows of one benchmark run (a repetition) on one vCPU.
struct marked_run {
    unsigned vcpu = 0;
    std::string config;
    unsigned log2_faults = 0;     // the windows' faults, log2 (all the run's windows agree)
    unsigned long long insns = 0; // summed over the run's windows
    long windows = 0;
};

struct marks_log {
    bool loaded = false;               // the plugin said it was loaded
    std::string counting;              // what it said it counts per ("instruction", ...)
    long marks = 0;                    // mark lines read
    std::vector<marked_run> runs;      // in the order each vCPU began them
    std::vector<std::string> problems; // marks out of order, unknown ids, ...
};

// Reads the plugin's log: runs and their windows, per vCPU.
marks_log read_marks_log(std::istream& in);

// One figure: a repetition of cow_fault_pair/N in a configuration, the two
// processes' windows together.
struct pair_figure {
    std::string config;
    long faults_per_window = 0; // N, per process
    int repetition = 0;
    long windows = 0; // per process
    double insns_per_fault = 0;
};

// Pairs the runs of the two vCPUs (the k-th run of a configuration and N on
// one vCPU with the k-th on the other) into figures. `expected_windows`:
// per configuration and N, the iterations pfbench reported (its JSON), which
// every run must have; a run without its partner, or with another number of
// windows, is a problem, not a figure.
std::vector<pair_figure>
pair_figures(const marks_log& log,
             const std::map<std::string, std::map<long, long>>& expected_windows,
             std::vector<std::string>& problems);

// The iterations pfbench reported for cow_fault_pair_marks, per configuration
// and N, from the guest part of a report.json; a configuration whose rows
// carry an error gets none.
std::map<std::string, std::map<long, long>> pfbench_iterations(const nlohmann::json& guest);

// What the guest's report.json becomes: each configuration's pfbench rows
// (wall-clock times, kept as "pfbench_rows") replaced by rows of the
// figures ("cow_fault_pair/N", one per repetition, ns standing for guest
// instructions), and a "marks" section: "status" ("ok" or "unavailable"),
// "reason", the log and the problems. `unavailable`: a reason that voids
// every figure (the plugin did not load, QEMU failed, no log).
nlohmann::json amend_report(nlohmann::json report, const marks_log& log,
                            const std::string& unavailable, const std::string& log_path);

// QEMU's own words when it could not load a plugin ("qemu-system-i386: Could
// not load plugin ...: ..."), from a boot's console log; "" when it has none.
std::string plugin_load_error(const std::string& console);

// Reads `log_file` and amends `report_file` in place; the reason the figures
// are unavailable, or "" when there are figures. `unavailable` as above.
std::string amend_report_file(const std::filesystem::path& report_file,
                              const std::filesystem::path& log_file,
                              const std::string& unavailable);

} // namespace harness
