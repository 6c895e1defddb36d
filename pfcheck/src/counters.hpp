// SPDX-License-Identifier: GPL-2.0-or-later
// `pfcheck counters`: Linux's own fault counters (min_flt, maj_flt, /proc/vmstat
// pgfault and pgmajfault, perf's page-faults, minor-faults and major-faults)
// against a prediction made from the hardware faults perf saw and the
// oracle's classification of them. Pure: the guest measures
// (counters_probe.cpp), this predicts and judges, and unit tests feed it
// synthetic evidence. docs/counters.md says what each counter counts.
#pragma once

#include "verdict.hpp"

#include <array>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace pfcheck::counters {

// The kernel eras whose counters differ (docs/counters.md).
enum class era { before_5_9, from_5_9, from_6_4, from_6_6_vma_lock };
constexpr int era_count = 4;
// "4.15.0", "6.1.0-pfcheck", ...; machine as uname -m ("x86_64", "i686"):
// per-VMA locks exist on 64-bit x86 only.
era era_of(const std::string& release, const std::string& machine = "");
const char* to_string(era e);

// The scenario's faults, by what decides whether a counter counts them.
// Every field is a number of hardware faults but `gup` (faults the kernel
// takes through get_user_pages, which raise no hardware fault).
struct fault_tally {
    long user = 0;            // user-mode faults on user addresses, refused ones included
    long kernel = 0;          // kernel-mode faults on user addresses (copy_to_user, the ELF loader)
    long refused = 0;         // user-mode faults refused with SIGSEGV (never handled)
    long retried = 0;         // handled faults the kernel retried once (userfaultfd)
    long gup = 0;             // exec's argument copy, one page per exec (not in perf's stream)
    long io = 0;              // faults that waited for I/O: none in the guests (no disk, no swap)
    bool kernel_seen = false; // the kernel-mode tracepoint exists: `kernel` is known
};

// From perf's stream (perf_events()), the oracle's events (which faults
// retried) and the scenario's steps (how many execs).
fault_tally tally(const std::vector<oracle::fault_event>& stream, bool kernel_seen,
                  const oracle::prediction& p, const oracle::scenario& s);

// What a counter counts: a rule, one row each in rules().
struct rule {
    const char* id;
    const char* text;
    bool plain;   // handled faults that did not retry count once
    bool refused; // refused faults count (the counter fires before the VMA check)
    bool kernel;  // kernel-mode faults count
    bool gup;     // get_user_pages faults count
    int retried;  // a retried fault counts 0, 1 or 2 times
    bool io;      // I/O-waiting (major) faults count
};
const std::vector<rule>& rules();
const rule* find_rule(const std::string& id);
// The rule's prediction; nullopt when it needs kernel-mode faults and perf
// could not see them.
std::optional<long> predict(const rule& r, const fault_tally& t);

// How a counter is read in the guest.
enum class source { rusage, vmstat, perf };

// One counter: one row each in table().
struct counter {
    const char* id; // as in the JSON and the tables
    source from;
    const char* read;                               // how pfcheck reads it
    std::array<const char*, era_count> rule_by_era; // rule ids, indexed by era
    const char* history;                            // the upstream commits that changed it
};
const std::vector<counter>& table();
const counter* find_counter(const std::string& id);

// Named slack: what the measurement cannot pin down exactly, per source.
// rusage: exec's argument strings may straddle a page (one GUP fault more
// per exec); vmstat: the runner's own faults are measured around, not
// inside, the two reads of /proc/vmstat.
long slack(source s, const fault_tally& t);

// One counter's value for the scenario, or why it could not be had.
struct reading {
    std::optional<long> value;
    std::string unavailable; // why, when there is no value
};

// What the guest measured around one scenario.
struct measurement {
    std::map<std::string, reading> counters; // by counter id
    std::string release;                     // the running kernel's
    std::string machine;                     // and its uname -m
};

enum class outcome { ok, within_slack, finding, unavailable };
const char* to_string(outcome o);

struct row {
    std::string counter;
    std::string rule; // the era's rule
    std::optional<long> predicted, measured;
    long slack = 0;
    outcome verdict = outcome::unavailable;
    // finding: the rules the measurement fits instead ("" when none);
    // unavailable: why.
    std::string note;
};

struct scenario_table {
    std::string scenario;
    std::string era;
    fault_tally faults;
    std::vector<row> rows; // in table() order
    std::string skipped;   // why the scenario could not run here
    // What makes the prediction doubtful (perf lost samples, perf and the
    // oracle disagree, the workload did not run as scripted).
    std::vector<std::string> problems;
    int findings() const;
};

// The table of one scenario: each counter's era rule, prediction and verdict.
scenario_table judge(const std::string& scenario, const fault_tally& t, const measurement& m);

nlohmann::json to_json(const scenario_table& t);
std::string to_text(const scenario_table& t);
// The counter table as Markdown (docs/counters.md keeps a copy; a unit test
// keeps them equal).
std::string table_markdown();

} // namespace pfcheck::counters
