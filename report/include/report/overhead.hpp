// SPDX-License-Identifier: GPL-2.0-or-later
// From the guest benchmarks' JSON to figures: ns per item for each
// benchmark and configuration, ratios against the vanilla kernel, and the
// issue's targets checked against them.
#pragma once

#include "report/stats.hpp"
#include "report/table.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace report {

// The configurations, in report order: (a) to (e).
struct configuration {
    std::string id;     // as pfbench names it: "vanilla", "tracked-64", ...
    std::string letter; // "a" ... "e"
    std::string what;   // one line
    // The vanilla configuration it is measured against: the same process on
    // the vanilla base, 1,000 extra VMAs included for (e).
    std::string baseline = "vanilla";
};
const std::vector<configuration>& configurations();

// ns per item of every repetition, by configuration and benchmark
// ("cow_fault/16", "get_info/128", ...).
using samples = std::map<std::string, std::map<std::string, std::vector<double>>>;

// Adds the figures of one boot's report.json ("guest" -> "bench").
// Returns an error message, or "" when the report had figures.
std::string add_samples(const nlohmann::json& report_json, samples& into);

struct target_check {
    // verdict: "met" (the whole quartile range within the target), "MISSED"
    // (the whole range beyond it), "inconclusive" (noise straddles it), "no data"
    std::string target, benchmark, measured, verdict;
};

// What a verdict needs behind it.
struct evidence_rule {
    std::size_t repetitions = 2; // of every figure it uses (5 on wall clock)
    // Under icount a zero spread is believed only once a second boot of (a)
    // agreed: without one, every verdict is "inconclusive"; with one, each
    // benchmark's ranges are widened by the two boots' difference on that
    // benchmark (`by_benchmark`), or by the largest one where it has none.
    bool two_boots = false;
    std::optional<double> boot_spread;
    std::map<std::string, double> by_benchmark;
};

// (b) and (f) within 0.5% of (a); (c) and (d) within 2%; no growth from (c)
// to (d) to (e) beyond the noise (the larger relative IQR of the two, at
// least 0.5%), on every cow_fault size; first touches and forks within 1%;
// on two vCPUs, (c) and (d) within 3% with a second process faulting at once
// (cow_fault_pair).
std::vector<target_check> check_targets(const samples& s, const evidence_rule& rule = {});

// Two vCPUs, counted by the insn_marks plugin: the reason a boot's report.json
// gives for having no counts ("marks": {"status": "unavailable", "reason"}),
// or "" (counts, or not a marks report).
std::string marks_unavailable(const nlohmann::json& report_json);

// Every two-vCPU target (cow_fault_pair) becomes "UNAVAILABLE (reason)",
// whatever the figures say; without any such row, the two are added with
// no figure: an unavailable count is never a pass.
void mark_unavailable(std::vector<target_check>& checks, const std::string& reason);

// How far two boots of one kernel are apart: the largest relative difference
// of their medians over the figures both have (nullopt: none in common), and
// which figure it was.
struct boot_difference {
    double spread = 0;
    std::string config, benchmark;
};
std::optional<boot_difference> boot_spread(const samples& first, const samples& again);
// The same per benchmark: the largest difference over its configurations.
std::map<std::string, double> boot_spread_by_benchmark(const samples& first, const samples& again);

// Rows: benchmarks; columns: (a) in ns (median [IQR]) and the ratio of each
// other configuration to (a), with the range the quartiles allow.
table overhead_table(const samples& s, const std::string& caption);
table targets_table(const std::vector<target_check>& checks, const std::string& caption);

// The kernel under test against its vanilla base and pfcheck's reference
// series on that base (each samples set holds the vanilla kernel's "vanilla"
// figures too): a row per benchmark and configuration, ns per item and the
// ratio to (a) for each kernel.
table kernels_table(const samples& theirs, const samples& reference, const std::string& caption);

// Pages written (N) against ns per CoW fault of (a) and of each kernel's
// (c), own name tracked: N, then median q1 q3 for each, for gnuplot.
std::string kernels_plot_data(const samples& theirs, const samples& reference);

// Pages written (N) against ns per CoW fault: N, then median q1 q3 per
// configuration, one line per N, for gnuplot.
std::string cow_plot_data(const samples& s);

} // namespace report
