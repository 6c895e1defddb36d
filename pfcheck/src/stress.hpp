// SPDX-License-Identifier: GPL-2.0-or-later
// `pfcheck stress`: tracked processes fork, write, exec and exit in a loop
// while threads call the three syscalls without pause, for a bounded time.
#pragma once

#include "abi.hpp"

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace pfcheck {

struct stress_options {
    int processes = 16;
    int caller_threads = 3;
    double seconds = 60;
    std::uint64_t seed = 940;
    std::string program; // this binary, executed under each worker's name
    std::string workdir = "/tmp";
};

struct stress_report {
    int processes = 0, caller_threads = 0;
    double seconds = 0;
    long forks = 0, execs = 0, pages_written = 0, calls = 0, max_total_seen = 0;
    long restart_execs = 0; // of them, in the restart phase
    std::map<std::string, long> by_result;
    long unexpected = 0; // results no interleaving allows, and workers that failed
    std::vector<std::string> first_unexpected;
    std::string fatal;
};

// Resets tracking at the start and at the end.
stress_report run_stress(const pf_syscalls& sys, const stress_options& opt);

// A worker process: pfcheck --stress-worker DEADLINE_NS STATS_FD EXECS_LEFT EXEC_EVERY
// [FAULTER] (EXEC_EVERY 0: it only executes itself; FAULTER: the previous
// image's faulting child, which it stops)
int stress_worker_main(int argc, char** argv);

nlohmann::json to_json(const stress_report& r);

// One line: forks, execs (in the restart phase), pages, calls, unexpected.
std::string summary(const stress_report& r);

} // namespace pfcheck
