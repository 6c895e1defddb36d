// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "abi.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace pfcheck {

struct abi_row {
    std::string proves;
    int expected = 0; // errno, 0 for success
    int got = 0;
    bool pass = false;
    std::string note;
    bool skipped = false; // did not run: never counted as a pass
};

std::vector<abi_row> abi_test(const pf_syscalls& sys, const std::string& program,
                              const std::string& workdir);

// The rows as JSON, for pfcheck abi-test --json and the guest's report.
nlohmann::json to_json(const std::vector<abi_row>& rows);

// The idle process of the permission rows: says it is ready, waits for release.
int idle_main(int ready_fd, int release_fd);

} // namespace pfcheck
