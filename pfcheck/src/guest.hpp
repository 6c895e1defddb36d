#pragma once

#include "abi.hpp"

#include <string>
#include <vector>

namespace pfcheck {

struct guest_options {
    std::string mode = "check"; // check (abi + scenarios), verify (scenarios), abi
    std::vector<std::string> scenarios;
    std::string results_port = "/dev/ttyS1";
    bool dump_samples = false; // kernel command line: pfcheck.dump=1 (an environment variable)
};

// Runs as PID 1 of a test guest; does not return on success (the guest reboots).
int guest_main(const guest_options& opt, const pf_syscalls& sys);

} // namespace pfcheck
