// SPDX-License-Identifier: GPL-2.0-or-later
#include "report/stats.hpp"

#include <algorithm>
#include <cmath>

namespace report {

namespace {

double quantile(const std::vector<double>& sorted, double q) {
    double pos = q * static_cast<double>(sorted.size() - 1);
    auto lo = static_cast<std::size_t>(std::floor(pos));
    std::size_t hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

} // namespace

spread summarize(std::vector<double> values) {
    spread s;
    s.n = static_cast<int>(values.size());
    if (values.empty())
        return s;
    std::sort(values.begin(), values.end());
    s.median = quantile(values, 0.5);
    s.q1 = quantile(values, 0.25);
    s.q3 = quantile(values, 0.75);
    return s;
}

} // namespace report
