// SPDX-License-Identifier: GPL-2.0-or-later
// Linux's own fault counters against their prediction (pfcheck counters,
// docs/counters.md): one table per kernel, and the data of one plot across
// kernels.
#pragma once

#include "report/table.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace report {

// One kernel's counters run: report.json's guest.counters, with a label
// ("6.1.192 i386 patched") for captions and the plot's key.
struct counters_run {
    std::string label;
    nlohmann::json counters;
};

// Per counter: the era's rule, the scenarios by verdict, the sums of the
// prediction and the measurement, and the findings' notes (the first two).
table counters_table(const counters_run& run);

// gnuplot data: a row per counter, a column per run: the counter's measured
// total over the scenarios (how the counters differ from one another on the
// same workload); each column's title says how many findings the run had.
std::string counters_plot_data(const std::vector<counters_run>& runs);

} // namespace report
