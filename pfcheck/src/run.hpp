// SPDX-License-Identifier: GPL-2.0-or-later
// `pfcheck run`: every scenario, three answers each, one verdict each.
#pragma once

#include "abi.hpp"
#include "counters.hpp"
#include "diagnosis.hpp"
#include "verdict.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace pfcheck {

struct run_options {
    std::vector<std::string> scenarios; // empty: all
    bool use_perf = true;
    std::string workdir = "/tmp";
    bool verbose = false;
    bool dump_samples = false; // print every perf sample of the tracked name
    bool no_kernel = false;    // do not call the syscalls: oracle against perf only
    bool counters = false;     // also measure Linux's own fault counters (counters.hpp)
    std::optional<oracle::kernel_model> model; // default: from the running kernel's release
};

struct run_report {
    std::vector<verdict> verdicts;
    std::string kernel_model;
    std::string fatal; // non-empty: nothing could be judged (ENOSYS, say)
    std::optional<pfcheck::diagnosis> diagnosis; // the bugs, across every scenario
    std::vector<counters::scenario_table> counters; // run_options::counters: one per scenario
    int passed() const;
    int skipped() const; // could not run here: counted apart, never as passes
    int failed() const;
};

run_report run_scenarios(const pf_syscalls& sys, const run_options& opt);

// This program's own path, from /proc/self/exe ("" when /proc is missing).
std::string self_path();

nlohmann::json to_json(const verdict& v);
nlohmann::json to_json(const run_report& r);
// `pfcheck counters`: every scenario's counter table, and the findings.
nlohmann::json counters_json(const run_report& r);
// The human-readable table of one verdict.
std::string to_text(const verdict& v);

} // namespace pfcheck
