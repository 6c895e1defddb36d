// SPDX-License-Identifier: GPL-2.0-or-later
// The scenario catalogue: every workload pfcheck runs, one row each.
#pragma once

#include "oracle/scenario.hpp"

#include <string>
#include <vector>

namespace workloads {

const std::vector<oracle::scenario>& catalogue();

// The scenario of that name, or nullptr.
const oracle::scenario* find(const std::string& name);

} // namespace workloads
