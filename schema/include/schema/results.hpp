// SPDX-License-Identifier: GPL-2.0-or-later
// The results that travel from the guest to the host, and the report.json
// the host writes around them: one struct per JSON object, each with
// to_json/from_json. The guest (pfcheck/src/run.cpp, abi_test.cpp) fills the
// structs and serialises them; the harness and pfcheck-report parse them
// here, and nowhere else.
//
// The JSON keys are the member names, and they stay what they were: reports
// recorded by older versions must still parse. A key that is missing takes
// the member's default; an optional that is absent is written as null. To
// add a field: add the member, then its name to the macro under the struct.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

// std::optional as its value, or null (nlohmann 3.11.2 has no built-in one).
namespace nlohmann {
template <typename T> struct adl_serializer<std::optional<T>> {
    static void to_json(json& j, const std::optional<T>& v) { j = v ? json(*v) : json(nullptr); }
    static void from_json(const json& j, std::optional<T>& v) {
        v = j.is_null() ? std::nullopt : std::optional<T>(j.get<T>());
    }
};
} // namespace nlohmann

namespace schema {

// One VMA of a scenario's process at its query, with the three answers.
struct vma_row {
    std::uint64_t start = 0, end = 0; // end exclusive, as in /proc/PID/maps
    std::string perms, name;
    bool controlled = false;                  // the scenario's own region: the oracle predicts it
    std::optional<long> oracle, perf, kernel; // null: that source says nothing of it
    bool agree = true;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(vma_row, start, end, perms, name, controlled,
                                                oracle, perf, kernel, agree)

// Where the scenario's regions were: slot i starts at base + i * slot_bytes.
struct slot_map {
    std::uint64_t base = 0, slot_bytes = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(slot_map, base, slot_bytes)

// Another tracked name of a multi-name scenario: its own answers.
struct record_result {
    std::string name;
    long oracle_total = 0;
    std::optional<long> perf_total, kernel_total;
    std::vector<vma_row> vmas;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(record_result, name, oracle_total, perf_total,
                                                kernel_total, vmas)

// One scenario's verdict.
struct scenario_result {
    std::string scenario;
    std::string proves; // the catalogue's one line
    bool pass = false;
    std::string skipped;   // why it could not run here (never a pass); "" when it ran
    long oracle_total = 0; // the scenario's own regions only
    std::optional<long> perf_total, kernel_total; // every VMA
    std::string perf;                             // perf's status: "ok", or "unavailable: why"
    slot_map slots;
    std::vector<std::string> problems;  // what disagrees, plainly
    std::vector<std::string> diagnoses; // the bugs that explain it (the diagnosis's)
    std::vector<vma_row> vmas;
    std::vector<record_result> other_names; // multi-name scenarios: the other tracked names
    std::string rule = "course"; // "course": what it checks is the statement's; "pfcheck": ours
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(scenario_result, scenario, proves, pass, skipped,
                                                oracle_total, perf_total, kernel_total, perf, slots,
                                                problems, diagnoses, vmas, other_names, rule)

// One bug the diagnosis names (pfcheck/src/diagnosis.hpp).
struct bug {
    std::string id, bug, mechanism;
    std::vector<std::string> alternatives; // models the scenarios cannot tell from it
    std::vector<std::string> scenarios, evidence;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(bug, id, bug, mechanism, alternatives, scenarios,
                                                evidence)

// `pfcheck run`: every scenario's verdict, and the counts of each outcome.
struct run_report {
    std::string kernel_release;
    std::string kernel_model = "?"; // the oracle's model of the kernel ("6.1", "4.15")
    std::string fatal;              // non-empty: nothing could be judged (ENOSYS, say)
    int passed = 0, failed = 0, skipped = 0;
    std::vector<scenario_result> scenarios;
    // The diagnosis: the kernel's bugs, and what no known bug explains.
    std::vector<bug> bugs;
    std::vector<std::string> unexplained;
    double diagnosis_seconds = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(run_report, kernel_release, kernel_model, fatal,
                                                passed, failed, skipped, scenarios, bugs,
                                                unexplained, diagnosis_seconds)

// One row of the errno and permission table. Errnos by name ("EINVAL", "0").
struct abi_row {
    std::string proves, expected, got;
    bool pass = false;
    bool skipped = false; // did not run: never counted as a pass
    std::string note;
    std::string rule = "course"; // "course": the statement's; "pfcheck": our choice
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(abi_row, proves, expected, got, pass, skipped, note,
                                                rule)

// What the host judges of the fuzzer, the race stress, kmemleak and the
// benchmarks. The guest writes more (pfcheck/src/fuzz.cpp, stress.cpp,
// guest.cpp); report.json keeps all of it.
struct fuzz_outcome {
    long calls = 0, mismatches = 0;
    std::vector<std::string> first_mismatches;
    std::string fatal;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(fuzz_outcome, calls, mismatches, first_mismatches,
                                                fatal)

struct stress_outcome {
    long calls = 0, unexpected = 0;
    std::vector<std::string> first_unexpected;
    std::string fatal;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(stress_outcome, calls, unexpected, first_unexpected,
                                                fatal)

struct kmemleak_scan {
    bool available = false; // /sys/kernel/debug/kmemleak exists
    int leaks = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(kmemleak_scan, available, leaks)

// One Google Benchmark row (run_type "iteration"); report/overhead reads the figures.
struct bench_row {
    std::string run_name;
    bool error_occurred = false;
    std::string error_message;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(bench_row, run_name, error_occurred, error_message)

// One pfbench configuration: its rows, or why there are none.
struct bench_config {
    std::string error;
    std::vector<bench_row> benchmarks;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(bench_config, error, benchmarks)

// `pfcheck counters` (pfcheck/src/counters.hpp): one counter of one scenario.
struct counter_row {
    std::string counter, rule;
    std::optional<long> predicted, measured; // null: unavailable (the note says why)
    long slack = 0;
    std::string verdict; // "ok", "ok (within slack)", "FINDING", "UNAVAILABLE"
    std::string note;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(counter_row, counter, rule, predicted, measured,
                                                slack, verdict, note)

// The scenario's hardware faults as perf saw them, classified.
struct counter_faults {
    long user = 0, refused = 0, retried = 0, gup = 0, io = 0;
    std::optional<long> kernel; // null: the kernel-mode tracepoint is missing
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(counter_faults, user, refused, retried, gup, io,
                                                kernel)

struct counters_table {
    std::string scenario, era, skipped;
    int findings = 0;
    std::vector<std::string> problems;
    counter_faults faults;
    std::vector<counter_row> rows;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(counters_table, scenario, era, skipped, findings,
                                                problems, faults, rows)

struct counters_report {
    std::string kernel_release, era, fatal;
    int findings = 0, skipped = 0;
    std::vector<counters_table> scenarios;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(counters_report, kernel_release, era, fatal,
                                                findings, skipped, scenarios)

// Everything the guest sends back; a part is absent when its mode does not run it.
struct guest_report {
    std::string mode;  // the guest's mode word: check, verify, abi, bench, debug, counters
    std::string fatal; // the guest could not produce a report at all
    std::optional<std::vector<abi_row>> abi;
    std::optional<run_report> run;
    std::optional<fuzz_outcome> fuzz;
    std::optional<stress_outcome> stress;
    std::optional<kmemleak_scan> kmemleak;
    std::optional<std::map<std::string, bench_config>> bench; // by configuration
    std::optional<counters_report> counters;                  // mode counters
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(guest_report, mode, fatal, abi, run, fuzz, stress,
                                                kmemleak, bench, counters)

// What the harness writes beside the guest's report in report.json: where
// and how the run was made, and its verdict.
struct run_meta {
    std::string arch = "?", accel = "?";
    std::string kernel = "?";              // the kernel's version
    std::string tree = "?";                // which kernel tree (Debian's, or KSRC's id)
    std::string series = "?";              // the patch series applied, relative to the project
    std::string commit = "?";              // pfcheck's
    std::string mode;                      // the guest's mode word
    std::string guest_time = "wall clock"; // or icount
    std::string written = "?";             // UTC, ISO 8601
    std::string verdict;                   // "pass", "fail" or "not judged"
    std::string reason;                    // one line: why not a pass
    double guest_seconds = 0;
    std::vector<std::string> kernel_reports; // BUG, WARNING, Oops lines of the console
    // Which rules the verdict counts: "strict", every one; "course", only the
    // course's (a failed "pfcheck" rule is advice). Older reports: strict.
    std::string profile = "strict";
    int cpus = 1; // the guest's vCPUs
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(run_meta, arch, accel, kernel, tree, series, commit,
                                                mode, guest_time, written, verdict, reason,
                                                guest_seconds, kernel_reports, profile, cpus)

// report.json: {"run": run_meta, "guest": the guest's report, or null when
// none came back}.
struct report_file {
    run_meta run;
    std::optional<guest_report> guest;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(report_file, run, guest)

// Parsing that says why instead of throwing: nullopt, and `why` completes
// "the report ..." ("is not valid JSON", "does not fit the results schema: ...").
template <typename T> std::optional<T> parse_as(const nlohmann::json& j, std::string& why) {
    try {
        return j.get<T>();
    } catch (const nlohmann::json::exception& e) {
        why = std::string("does not fit the results schema: ") + e.what();
        return std::nullopt;
    }
}
// The guest's report from its text; `raw`, when given, receives the JSON as
// sent (report.json keeps all of it, beyond what the schema reads).
std::optional<guest_report> parse_guest_report(const std::string& text, std::string& why,
                                               nlohmann::json* raw = nullptr);
std::optional<report_file> read_report_file(const std::filesystem::path& p, std::string& why);

} // namespace schema
