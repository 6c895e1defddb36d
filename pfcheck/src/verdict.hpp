// SPDX-License-Identifier: GPL-2.0-or-later
// The three-way diff: oracle, perf and kernel, per VMA of every tracked name.
// Pure: it sees only what was recorded, so unit tests feed it recorded
// fixtures. What a failure means (which bug) is the diagnosis's job
// (diagnosis.hpp), across every scenario at once.
#pragma once

#include "abi.hpp"
#include "observer/observer.hpp"
#include "oracle/layout.hpp"
#include "oracle/oracle.hpp"
#include "workloads/executor.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pfcheck {

struct vma_row {
    oracle::vma area;
    bool controlled = false;          // the oracle predicts it
    std::optional<long> oracle_count; // the prediction
    std::optional<long> perf_count;   // perf samples
    std::optional<long> kernel_count; // pf_get_info, when it reports this VMA
    bool agree = true;
};

// What pf_get_info answered for one name.
struct kernel_answer {
    std::optional<pf_stat> stat; // nullopt when the call failed
    int err = 0;
};

struct evidence {
    const oracle::scenario* s = nullptr;
    oracle::prediction prediction;
    workloads::query_point query;                // layouts, processes, slots, SIGSEGV writes
    std::map<std::string, kernel_answer> kernel; // by tracked name; empty when not asked
    bool kernel_skipped = false;                 // --no-kernel: only oracle and perf are compared
    std::optional<observer::observation> perf;   // nullopt when perf is unavailable
    std::string perf_unavailable;                // why
    std::uint64_t minor_faults = 0;              // perf's sanity bound, 0 when unknown
    std::vector<std::string> run_errors;         // the executor's
};

// One tracked name's comparison.
struct record_verdict {
    std::string name;
    std::vector<vma_row> rows;
    long oracle_total = 0; // controlled regions only
    std::optional<long> perf_total;
    std::optional<long> kernel_total;
    std::vector<std::string> problems; // what disagrees, plainly
};

struct verdict {
    std::string scenario;
    bool pass = false;
    // The scenario's own name (as in records.front()).
    std::vector<vma_row> rows;
    long oracle_total = 0;
    std::optional<long> perf_total;
    std::optional<long> kernel_total;
    std::vector<std::string> problems;  // every record's, the others' prefixed with their name
    std::vector<std::string> diagnoses; // the bugs that explain it (filled by the diagnosis)
    std::string perf_status;            // "ok", or "unavailable: why"
    oracle::slot_map slots;             // where the scenario's regions were
    std::string skipped;                // why the scenario could not run here (never a pass)
    std::vector<record_verdict> records; // every tracked name, the scenario's own first
};

verdict judge(const evidence& e);

// perf's samples as fault events: pid mapped to the scenario's process ids,
// SIGSEGV writes and shared mappings marked, kernel faults outside every
// VMA (kernel addresses) dropped.
std::vector<oracle::fault_event> perf_events(const observer::observation& o,
                                             const workloads::query_point& q);

// The kernel's answer as a layout (nb_vma clamped to the arrays).
oracle::layout reported_layout(const pf_stat& k);
// Entries past nb_vma that are not zero: stale data reaching user space.
int stale_entries(const pf_stat& k);

} // namespace pfcheck
