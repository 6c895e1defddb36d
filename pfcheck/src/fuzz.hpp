// SPDX-License-Identifier: GPL-2.0-or-later
// `pfcheck fuzz`: hostile calls of the three syscalls from several threads,
// each result checked against the errno table of docs/semantics.md.
#pragma once

#include "abi.hpp"

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace pfcheck {

struct fuzz_options {
    std::uint64_t seed = 940; // fixed by default: a run is reproducible
    long calls = 100000;
    int threads = 4;
};

struct fuzz_report {
    std::uint64_t seed = 0;
    int threads = 0;
    long calls = 0, mismatches = 0;
    std::vector<std::string> first_mismatches;
    std::map<std::string, long> by_result; // "0", "EINVAL", ... -> calls
    double seconds = 0;
    std::string fatal;
};

// Resets tracking at the start and at the end.
fuzz_report run_fuzz(const pf_syscalls& sys, const fuzz_options& opt);

nlohmann::json to_json(const fuzz_report& r);

} // namespace pfcheck
