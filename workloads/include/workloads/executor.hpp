// SPDX-License-Identifier: GPL-2.0-or-later
// The executor performs a scenario for real: it executes the scenario program
// under the scenario's name, forks the processes of its script, and drives each
// step over pipes, one at a time, so that the order is the oracle's order.
#pragma once

#include "oracle/layout.hpp"
#include "oracle/scenario.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace workloads {

// What the runner sees when it asks the kernel.
struct query_point {
    pid_t reported_pid = 0;
    std::string maps; // /proc/PID/maps of the reported process, now or at its exit
    oracle::slot_map slots;
    // Writes that were meant to die of SIGSEGV (pid, address): not CoW faults.
    std::vector<std::pair<pid_t, std::uint64_t>> segv_writes;
};

struct hooks {
    // The root is forked and waits; it executes the scenario program once this
    // returns. Attach observers here. Returning false aborts the run.
    std::function<bool(pid_t root)> before_exec = [](pid_t) { return true; };
    // An exec step has completed: the kernel restarted the record.
    std::function<void()> after_exec_step = [] {};
    // A step has completed (read the observer's buffers before they fill).
    std::function<void()> after_step = [] {};
    // Every step is done and every process is waiting (or gone): ask the kernel.
    std::function<void(const query_point&)> at_query = [](const query_point&) {};
};

struct execution {
    std::vector<std::string> errors; // empty when every step did what it should
};

// Runs `s` with `program` (an executable that calls scenario_process_main when
// given "--scenario-process"); `workdir` is a writable directory for the link
// that gives the process its name. `step_timeout_ms` bounds each step.
execution execute(const oracle::scenario& s, const std::string& program, const std::string& workdir,
                  hooks& h, int step_timeout_ms = 30000);

// Entry point of a scenario process, after exec. Returns an exit status.
int scenario_process_main(int argc, char** argv);

} // namespace workloads
