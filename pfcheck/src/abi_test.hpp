// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "abi.hpp"
#include "oracle/scenario.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace pfcheck {

// Where a rule comes from: the course's statement and slides, or a choice
// pfcheck makes where they are silent (docs/semantics.md tags each rule).
using oracle::rule_source;

struct abi_row {
    std::string proves;
    int expected = 0; // errno, 0 for success
    int got = 0;
    bool pass = false;
    std::string note;
    bool skipped = false; // did not run: never counted as a pass
    rule_source source = rule_source::course;
    // What was got, when it is not an errno ("reported", "12 VMAs"); else empty.
    std::string got_text;
    std::string expected_text;

    std::string got_string() const;
    std::string expected_string() const;
};

std::vector<abi_row> abi_test(const pf_syscalls& sys, const std::string& program,
                              const std::string& workdir);

// The rows as JSON, for pfcheck abi-test --json and the guest's report.
nlohmann::json to_json(const std::vector<abi_row>& rows);

// The idle process of the permission and chunk-cap rows: says it is ready,
// waits for release; first, in `mode` "nodump", it makes itself
// non-dumpable, in "sparse" it records 4,160 pages one per chunk, in
// "stall=PATH" it stalls its own address space on the page of the FUSE
// file at PATH (and, at the first byte of release, queues a writer).
int idle_main(int ready_fd, int release_fd, const std::string& mode);

} // namespace pfcheck
