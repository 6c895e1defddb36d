// SPDX-License-Identifier: GPL-2.0-or-later
// The three-way diff: oracle, perf and kernel, per VMA, with a diagnosis for
// every disagreement. Pure: it sees only what was recorded, so unit tests feed
// it recorded fixtures.
#pragma once

#include "abi.hpp"
#include "observer/observer.hpp"
#include "oracle/layout.hpp"
#include "oracle/oracle.hpp"

#include <optional>
#include <string>
#include <vector>

namespace pfcheck {

struct vma_row {
    oracle::vma area;
    bool controlled = false;       // the oracle predicts it
    std::optional<long> oracle_count; // the prediction
    std::optional<long> perf_count;   // perf samples
    std::optional<long> kernel_count; // pf_get_info, when it reports this VMA
    bool agree = true;
};

struct evidence {
    const oracle::scenario* s = nullptr;
    oracle::prediction prediction;
    oracle::layout layout; // observed at query time (/proc/PID/maps)
    oracle::slot_map slots;
    std::optional<pf_stat> kernel; // nullopt when get_info failed
    int kernel_errno = 0;
    bool kernel_skipped = false;               // --no-kernel: only oracle and perf are compared
    std::optional<observer::observation> perf; // nullopt when perf is unavailable
    std::string perf_unavailable;              // why
    std::uint64_t minor_faults = 0;            // perf's sanity bound, 0 when unknown
    std::vector<std::string> run_errors;       // the executor's
    std::vector<std::pair<pid_t, std::uint64_t>> segv_writes; // not CoW: they died
};

struct verdict {
    std::string scenario;
    bool pass = false;
    std::vector<vma_row> rows;
    long oracle_total = 0; // controlled regions only
    std::optional<long> perf_total;
    std::optional<long> kernel_total;
    std::vector<std::string> problems;  // what disagrees, plainly
    std::vector<std::string> diagnoses; // the recognised cause, if any
    std::string perf_status;            // "ok", or "unavailable: why"
    oracle::slot_map slots;             // where the scenario's regions were
    std::string skipped;                // why the scenario could not run here (never a pass)
};

verdict judge(const evidence& e);

// perf's count of CoW faults of the tracked name: user writes to present pages,
// except in shared VMAs of the layout and the writes known to have died of
// SIGSEGV. (A VMA read-only now may have been writable when it faulted, as
// glibc's RELRO is before its mprotect: read-only VMAs are not excluded.)
using segv_list = std::vector<std::pair<pid_t, std::uint64_t>>;
long perf_cow_total(const observer::observation& o, const std::string& comm,
                    const oracle::layout& l, const segv_list& segv = {});
std::vector<long> perf_per_vma(const observer::observation& o, const std::string& comm,
                               const oracle::layout& l, const segv_list& segv = {});

} // namespace pfcheck
