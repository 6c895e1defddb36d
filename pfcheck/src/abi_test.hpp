#pragma once

#include "abi.hpp"

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

// The idle process of the permission rows: says it is ready, waits for release.
int idle_main(int ready_fd, int release_fd);

} // namespace pfcheck
