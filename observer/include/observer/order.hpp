// SPDX-License-Identifier: GPL-2.0-or-later
// Puts the records of perf's per-CPU ring buffers in the order they happened,
// and gives each fault the names its task had then. Pure: no perf here, so
// the rules are unit-tested on records written by hand.
#pragma once

#include "observer/observer.hpp"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <sys/types.h>
#include <vector>

namespace observer {

// One record as read from a ring buffer.
struct record {
    std::uint64_t time = 0;
    enum kind { sample, comm, fork } what = sample;
    pid_t tid = 0, parent_tid = 0; // comm and fork records
    std::string comm_name;         // comm records
    bool exec = false;             // a comm record from an exec, not from prctl
    fault_sample fault;            // samples
};

class record_order {
  public:
    // `root`: the task the observer attached to, known without a fork record.
    explicit record_order(pid_t root) { known_.insert(root); }

    void add(record r) { queue_.push_back(std::move(r)); }

    // Orders what was added since the last call by time stamp and appends its
    // faults, named, to `out`. Records of equal time keep the order they were
    // added in (one ring buffer's order is the order of its CPU). Ties across
    // CPUs are broken by cause: every record of a task (its samples, its
    // renames, its own forks) waits for the fork record that made it, across
    // calls if need be, so a clock too coarse to tell them apart never leaves
    // a child's first faults nameless. Only the guest's TSC clock orders a
    // rename on one CPU and a fault on the other within one tick; the harness
    // refuses a two-CPU guest without it.
    void settle(std::vector<fault_sample>& out);
    // The same, and then what still waits, nameless: the final call.
    void finish(std::vector<fault_sample>& out);

  private:
    // Applies one record whose task is known; releases what waited for it.
    void apply(record& r, std::vector<fault_sample>& out);
    pid_t owner(const record& r) const;

    std::vector<record> queue_;
    std::set<pid_t> known_;                        // tasks named by a fork record (or the root)
    std::map<pid_t, std::vector<record>> waiting_; // by the unknown task they belong to
    std::map<pid_t, std::string> comm_of_;         // by tid
    std::map<pid_t, std::string> exec_comm_of_;    // by tid: the name it was executed under
    std::set<pid_t> loading_;                      // tids executed and not yet in user mode
    std::uint64_t settled_ = 0;                    // records put in order so far
    int execs_ = 0;                                // exec records settled so far
};

} // namespace observer
