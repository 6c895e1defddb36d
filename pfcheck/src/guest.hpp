// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "abi.hpp"

#include <map>
#include <string>
#include <vector>

namespace pfcheck {

struct guest_options {
    // check (abi + scenarios), verify (scenarios), abi, bench (benchmarks),
    // debug (abi, fuzzer, race stress, scenarios, then a kmemleak scan),
    // counters (Linux's own fault counters against the prediction; no syscalls)
    std::string mode = "check";
    std::vector<std::string> scenarios;
    // KEY=VALUE words of the command line: reps (bench), calls, seed, seconds
    // (debug), nr=A,B,C (syscall numbers), inject=truncate|garbage (a damaged
    // results stream, for the harness's failure tests)
    std::map<std::string, std::string> params;
    std::string results_port = "/dev/ttyS1";
    bool dump_samples = false; // kernel command line: pfcheck.dump=1 (an environment variable)
};

// Runs as PID 1 of a test guest; does not return on success (the guest reboots).
int guest_main(const guest_options& opt, const pf_syscalls& sys);

} // namespace pfcheck
