// SPDX-License-Identifier: GPL-2.0-or-later
// The guest's side of `pfcheck counters`: reads Linux's fault counters
// around one scenario (getrusage, /proc/PID/stat, /proc/vmstat, perf's
// software events), leaving out what the runner itself and the root before
// its exec add. counters.hpp predicts and judges.
#pragma once

#include "counters.hpp"
#include "observer/observer.hpp"

#include <map>
#include <memory>
#include <string>
#include <sys/resource.h>
#include <sys/types.h>

namespace pfcheck::counters {

class probe {
  public:
    // The root is forked and waits for its exec: attach, then read the baselines.
    void start(pid_t root);
    // Every process of the tree has been reaped.
    measurement finish();

  private:
    std::unique_ptr<observer::fault_counters> perf_;
    std::string perf_why_;
    std::optional<std::pair<long, long>> root_; // min_flt, maj_flt before its exec
    std::string root_why_;
    rusage self_{}, children_{};
    std::map<std::string, long> vmstat_;
};

// pgfault and pgmajfault from /proc/vmstat (absent: the kernel lacks
// CONFIG_VM_EVENT_COUNTERS, or /proc is not mounted).
std::map<std::string, long> read_vmstat();

} // namespace pfcheck::counters
