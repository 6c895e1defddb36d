// SPDX-License-Identifier: GPL-2.0-or-later
// Bug models: each known mistake of a CoW fault counter, as a change to the
// rules a correct kernel follows (docs/semantics.md). A set of models is a
// kernel: which faults it counts, whose, when it restarts, how it bins, and
// which layout it reports. The diagnosis (pfcheck/src/diagnosis.cpp) looks
// for the smallest set whose prediction reproduces what the kernel reported.
//
// To add a model: a field in kernel_rules, a row in bug_models() (models.cpp),
// and its effect in count_record() or expected_layouts() below.
#pragma once

#include "oracle/layout.hpp"
#include "oracle/oracle.hpp"

#include <optional>
#include <string>
#include <vector>

namespace oracle {

// Every field false (and shift 0) is the contract.
struct kernel_rules {
    // Which faults count. The contract: user-mode writes to present pages of
    // private mappings that the handler accepts. Each flag widens one part.
    bool kernel_mode = false;   // faults taken in kernel mode too (copy_to_user)
    bool first_touch = false;   // writes to pages that are not present too
    bool reads = false;         // read faults too
    bool shared = false;        // MAP_SHARED mappings too
    bool refused = false;       // faults in VMAs the task may not write too (SIGSEGV writes)
    bool copies_only = false;   // but not the faults resolved by reusing the page
    bool retries_twice = false; // a fault the kernel retries counts again
    // Whose faults count.
    bool last_exec_only = false; // only the last executed process itself
    bool prefix_names = false;   // any comm that starts with the name
    bool exec_names = false;     // the name a task was executed under, renames ignored
    // When the record restarts.
    bool never_reset = false; // exec does not restart it
    bool pages_kept = false;  // exec restarts the total, not the per-page counts
    // How counts are binned: VMA i's count is stored at index i - shift.
    int shift = 0;
    // Which layout is reported.
    bool layout_never = false;     // none: nb_vma stays 0
    bool layout_forgotten = false; // none once the process has left (exit)
    bool layout_at_exec = false;   // the one it had at exec, before it mapped anything
    bool layout_newest = false;    // the newest forked or executed process's
    bool clamp_127 = false;        // at most 127 VMAs
    bool unclamped = false;        // every VMA, nb_vma over 128
    bool second_name_lost = false; // lost when the process had been another name's too
    bool stale_entries = false;    // entries past nb_vma are not cleared
    // What an untracked name gets.
    bool untracked_errno = false; // another errno than EINVAL from pf_get_info

    bool operator==(const kernel_rules&) const = default;
};

enum class model_kind { count, binning, layout };

struct bug_model {
    std::string id; // short, stable: "first_touch"
    model_kind kind = model_kind::count;
    std::string bug;       // what the kernel does wrong, one line
    std::string mechanism; // the kernel mechanism behind it, and where it usually lives
    bool kernel_rules::*flag = nullptr;
    int shift = 0; // binning models
    void apply(kernel_rules& r) const;
};

const std::vector<bug_model>& bug_models();
const bug_model* find_model(const std::string& id);
kernel_rules rules_of(const std::vector<const bug_model*>& models);

// The record a kernel with `rules` answers pf_get_info(name) from at the end:
// `name`'s own, or under prefix_names the oldest live record whose name starts
// it (pf_set_param of such a name made none). nullopt: no record.
// When two live records both prefix `name` (the longer one tracked first),
// the kernel's choice depends on its hash order; this takes the older one.
std::optional<std::string> record_of(const std::vector<record_mark>& marks, const std::string& name,
                                     const kernel_rules& rules);

// What a kernel with `rules` reports for the record of `name` from these faults
// (the oracle's, in the scenario's regions, and perf's, elsewhere).
struct record_count {
    // By page address: faults that count for certain, and those that may
    // (perf cannot tell a reused page from a copied one).
    std::map<std::uint64_t, long> sure, maybe;
    long total = 0, total_maybe = 0;
};
// nullopt when no record of that name exists at the end (never tracked, or
// cleaned up).
std::optional<record_count> count_record(const std::vector<fault_event>& events,
                                         const std::vector<record_mark>& marks,
                                         const std::string& name, const kernel_rules& rules,
                                         const slot_map& slots);

// What the runner saw, for the layout models of one record.
struct layout_evidence {
    bool has_process = false;     // a process was executed under the name since it was tracked
    bool left = false;            // ... and has left that address space (exit or exec)
    layout reported;              // its layout: now, or as it left
    layout at_start;              // its image's layout when it started (before its regions)
    std::optional<layout> newest; // the newest process forked or executed under the name
    bool shared_with_another_name = false; // it was another tracked name's process too
};

// A layout a kernel may report: the ranges, and whether the entries past
// them may hold anything (stale) rather than zero.
struct expected_layout {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
    int nb_vma = 0;     // ranges.size(), or more when unclamped
    bool loose = false; // a layout at exec: libc's start-up may differ a little
    std::string what;   // "the layout at query time", "none", ...
};
std::vector<expected_layout> expected_layouts(const kernel_rules& rules, const layout_evidence& e);

} // namespace oracle
