// SPDX-License-Identifier: GPL-2.0-or-later
// Robust summaries of repeated measurements: median and interquartile range.
#pragma once

#include <vector>

namespace report {

struct spread {
    double median = 0, q1 = 0, q3 = 0;
    int n = 0;
    double iqr() const { return q3 - q1; }
    // The IQR relative to the median: the run's noise.
    double relative_iqr() const { return median != 0 ? iqr() / median : 0; }
};

// Quartiles by linear interpolation between order statistics (type 7, as R
// and numpy compute them by default). An empty sample gives n = 0.
spread summarize(std::vector<double> values);

} // namespace report
