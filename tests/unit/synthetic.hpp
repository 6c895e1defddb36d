// SPDX-License-Identifier: GPL-2.0-or-later
// Synthetic evidence: what pfcheck would record on a kernel that follows
// given rules (a correct one, or one with bug models), built from the
// oracle's prediction and the models themselves. Addresses are made up but
// consistent: the program's VMAs, then one VMA per extent of the regions.
#pragma once

#include "diagnosis.hpp"
#include "oracle/models.hpp"
#include "verdict.hpp"

#include <string>

namespace synthetic {

constexpr std::uint64_t base = 0xb0000000; // the slots: a 4 MiB boundary

// The program's own VMAs, with `data_faults` CoW faults perf and the kernel
// both see in its data VMA.
std::string program_maps();

// The evidence of scenario `name` on a kernel following `rules`; with
// `outside`, perf also saw faults outside the scenario's regions (its
// program's data and stack), as on a real kernel. A kernel that counts
// kernel-mode faults counts the ELF loader's (at exec) when `loader_counted`:
// that depends on where its exec hook sits, and both are right.
pfcheck::evidence make(const std::string& name, const oracle::kernel_rules& rules = {},
                       long data_faults = 2, bool outside = true, bool loader_counted = true);

// The bug models whose kernel answers this scenario differently from a
// correct one, in the scenario's own regions or its layout.
std::vector<std::string> exposed_by(const std::string& name);

} // namespace synthetic
