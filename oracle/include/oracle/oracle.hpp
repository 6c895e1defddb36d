// SPDX-License-Identifier: GPL-2.0-or-later
// The oracle: from a scenario and a kernel model, predict every CoW fault that
// docs/semantics.md says the kernel must count. Pure computation, no syscalls.
//
// It also records every fault the scenario's processes take in its regions,
// classified (user or kernel mode, write or read, present or not, copy or
// reuse, ...), so that the bug models (oracle/models.hpp) can say what a
// kernel with a given mistake would count, without simulating again.
#pragma once

#include "oracle/scenario.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace oracle {

// Where kernel versions behave differently, in ways that change the counts.
struct kernel_model {
    std::string name;
    // mprotect(PROT_READ|PROT_WRITE) maps exclusive, dirty anonymous pages
    // writable at once (6.0 and later), instead of leaving them write-protected
    // until the next write faults (4.15).
    bool mprotect_upgrades_exclusive_anon = false;
    // A read fault on a file mapping also maps the cached pages around it.
    int fault_around_pages = 16;
};

kernel_model linux_4_15();
kernel_model linux_6_1();
// The model of a release string such as "6.1.0-pfcheck" or "4.15.0"; nullopt
// when it names neither era (a major version below 4 or above 6, or none).
std::optional<kernel_model> model_for_release(const std::string& release);
// The model named "linux-4.15", "4.15", "linux-6.1" or "6.1"; nullopt otherwise.
std::optional<kernel_model> model_named(const std::string& name);

// One page of one slot: slots are the scenario's address ranges, one per
// region plus the spare ones mremap moves regions to.
struct page_site {
    int slot = 0;
    int page = 0;
    auto operator<=>(const page_site&) const = default;
};

// One line of the timeline that `pfcheck explain` prints.
struct event {
    int step = 0; // index in scenario::steps
    std::string text;
};

// A hardware page fault a scenario process takes in its regions, as the x86
// handler sees it, plus what the kernel then does with it.
struct fault_event {
    int step = 0;        // the step it happened in (-1: before the script)
    int exec_serial = 1; // how many execs of the scenario's processes came before it
    process_id pid = 0;  // the scenario process (-1: not known)
    page_site site;      // where, for faults the oracle predicts
    std::uint64_t address = 0; // where, for faults perf saw (the oracle's: 0)
    bool user = true;       // taken in user mode (not copy_to_user)
    bool write = true;      // a write (not a read)
    bool present = true;    // the page table entry was present (a protection fault)
    bool shared = false;    // in a MAP_SHARED mapping
    bool writable = true;   // in a VMA the task may write (else SIGSEGV, or a read)
    bool writable_unsure = false; // not writable now, but it was at some point (perf)
    bool segv = false;      // the access was refused: the task dies of SIGSEGV
    bool reuse = false;     // a CoW fault resolved by reusing the page (no copy)
    bool reuse_known = true; // perf cannot tell reuse from copy
    bool retried = false;   // the kernel handles it twice (userfaultfd retry)
    bool main_thread = true; // taken by the process itself, not a thread or vfork child
    // Taken by the kernel while it loaded the program (exec): whether a kernel
    // that counts kernel-mode faults counts it depends on where its exec hook sits.
    bool in_exec = false;
    std::string comm;       // the task's name when it faulted
    std::string exec_comm;  // its name when it was executed (kept across fork)

    // What docs/semantics.md counts: a user write to a present page of a
    // private mapping, which the handler accepts.
    bool is_cow() const { return user && write && present && !shared && writable && !segv; }
};

// What happened to the records, in order: a name tracked, a process executed
// under a name (the record restarts and follows it), every record dropped.
struct record_mark {
    enum kind { tracked, exec, cleaned } what = tracked;
    std::string name;    // tracked, exec
    process_id pid = 0;  // exec: the process now last executed under `name`
    int step = -1;       // -2: the names tracked first; -1: the root's exec
    int exec_serial = 0; // exec: which exec it is (the root's is 1)

    // Whether a fault happened after this mark.
    bool precedes(const fault_event& e) const {
        return what == exec ? e.exec_serial >= exec_serial : e.step > step;
    }
};

// A VMA of the scenario's regions: pages [first, last) of a slot.
struct vma_extent {
    int slot = 0, first = 0, last = 0;
    bool writable = true, shared = false;
    auto operator<=>(const vma_extent&) const = default;
};

// One record at query time, as the kernel must report it.
struct record_prediction {
    std::map<page_site, long> faults; // CoW faults by page
    long total = 0;
    // The process whose layout the kernel reports (the last executed one);
    // nullopt when no process was executed under the name since it was tracked.
    std::optional<process_id> reported;
    // Its VMAs in the scenario's regions, now or as it left them.
    std::vector<vma_extent> vmas;
    bool left = false; // it has left that address space (exit, or exec)
};

struct prediction {
    // The scenario's own name's record (also in `records`).
    std::map<page_site, long> faults;
    long total = 0;
    process_id reported = 0;
    // Every record tracked at query time, by name.
    std::map<std::string, record_prediction> records;
    // Every fault in the scenario's regions, and the records' history.
    std::vector<fault_event> events;
    std::vector<record_mark> marks;
    // Every process's VMAs in the regions: at the query, or as it exited.
    std::map<process_id, std::vector<vma_extent>> process_vmas;
    std::vector<event> timeline;
    // Steps that the oracle rejects (a write to an unmapped page, say).
    std::vector<std::string> errors;
};

prediction predict(const scenario& s, const kernel_model& model);

// Number of slots the scenario uses, and pages per slot (the largest region).
int slot_count(const scenario& s);
int slot_pages(const scenario& s);
// Distance between slots in pages; slot 0 starts on a 4 MiB boundary.
int slot_stride_pages(const scenario& s);
// The names tracked before the root is executed: its own first.
std::vector<std::string> initially_tracked(const scenario& s);
// Every name the scenario tracks at some point (track steps too), its own first.
std::vector<std::string> tracked_names(const scenario& s);

} // namespace oracle
