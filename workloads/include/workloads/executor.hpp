// SPDX-License-Identifier: GPL-2.0-or-later
// The executor performs a scenario for real: it executes the scenario program
// under the scenario's name, forks the processes of its script, and drives each
// step over pipes, one at a time, so that the order is the oracle's order.
#pragma once

#include "oracle/layout.hpp"
#include "oracle/scenario.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

namespace workloads {

// A process of the scenario, as the runner saw it.
struct process_view {
    pid_t pid = 0;
    bool alive = false;
    // /proc/PID/maps now (alive) or as it left its address space (exit).
    std::string maps;
    // Its newest image's maps before it mapped the scenario's regions: close
    // to what the kernel saw at exec (libc's start-up may have added a heap).
    std::string startup_maps;
};

// The layout each tracked name must report: its last executed process's,
// live or as that process left it (exit, or its next exec).
struct name_view {
    oracle::process_id reported = 0;
    pid_t pid = 0;
    bool left = false; // the process has left the address space it had as this name
    std::string maps;
};

// What the runner sees when it asks the kernel.
struct query_point {
    // The scenario's own name (also in `names`), for callers that judge one name.
    pid_t reported_pid = 0;
    std::string maps;
    oracle::slot_map slots;
    // Writes that were meant to die of SIGSEGV (pid, address): not CoW faults.
    std::vector<std::pair<pid_t, std::uint64_t>> segv_writes;
    std::map<std::string, name_view> names;             // tracked names with a last exec
    std::map<oracle::process_id, process_view> processes; // every process of the script
};

struct hooks {
    // The root is forked and waits; it executes the scenario program once this
    // returns. Track the names and attach observers here. Returning false
    // aborts the run.
    std::function<bool(pid_t root)> before_exec = [](pid_t) { return true; };
    // The runner's own steps: pf_set_param(name) and pf_cleanup(). Each
    // returns "" or what failed.
    std::function<std::string(const std::string& name)> track = [](const std::string&) {
        return std::string();
    };
    std::function<std::string()> cleanup = [] { return std::string(); };
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
// given "--scenario-process"); `workdir` is a writable directory for the links
// that give the processes their names. `step_timeout_ms` bounds each step.
execution execute(const oracle::scenario& s, const std::string& program, const std::string& workdir,
                  hooks& h, int step_timeout_ms = 30000);

// Entry point of a scenario process, after exec. Returns an exit status.
int scenario_process_main(int argc, char** argv);

} // namespace workloads
