// SPDX-License-Identifier: GPL-2.0-or-later
// The verdicts of one run as people read them: summary.md, which the harness
// writes beside report.json, and the verdict table pfcheck-report writes.
// Both come from the results schema, and render one scenario the same way.
#pragma once

#include "report/table.hpp"
#include "schema/results.hpp"

#include <string>

namespace report {

// scenario, oracle, perf, kernel, verdict, diagnosis: a row per scenario.
table scenario_table(const schema::run_report& run);

// check, expected, got, result: a row per errno or permission case.
table abi_table(const std::vector<schema::abi_row>& rows);

// results/ARCH/summary.md: the verdict, where it was made, the errno table,
// the scenarios and the kernel's own reports.
std::string summary_markdown(const schema::report_file& f);

// pfcheck-report's verdicts-NAME table: the scenario table with a caption
// (kernel, architecture, series, kernel model) and the counts.
table verdict_table(const schema::run_meta& meta, const schema::run_report& run);

// The per-VMA plot's data: "label\naddress" oracle perf kernel, one VMA a
// line, for the VMAs with a count or controlled by the scenario. `shown`
// receives how many.
std::string per_vma_data(const schema::scenario_result& s, int& shown);

} // namespace report
