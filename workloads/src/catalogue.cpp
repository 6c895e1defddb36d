// SPDX-License-Identifier: GPL-2.0-or-later
// Each row: a name (also the tracked comm, at most 15 bytes), one sentence
// saying what a pass proves, the regions, and the script. P0 is the process
// executed under the name; fork(a, b) makes Pb a child of Pa.
#include "workloads/catalogue.hpp"

#include "oracle/script.hpp"

namespace workloads {

using namespace oracle;

namespace {

using namespace oracle::script;

// Every odd page of region 0 made read-only by P: 300 pages, 300 VMAs.
void stripe(scenario& s, process_id who) {
    for (int page = 1; page < 300; page += 2)
        s.steps.push_back(protect(who, 0, page, 1, protection::read_only));
}

// A root with 300 VMAs leaves; a child executes the name again, with about
// 20, and exits: the entries past its nb_vma must be zero, not the root's.
scenario stale_layout() {
    scenario s{"stale_layout",
               "entries past nb_vma are zero, never an earlier process's addresses",
               {anon("striped", 300)},
               {writes(0, 0)},
               query_time::after_exit};
    stripe(s, 0);
    for (const auto& st : {forks(0, 1), exits(0), exec(1), writes(1, 0, 0, 8), forks(1, 2),
                           writes(2, 0, 0, 8), exits(2), exits(1)})
        s.steps.push_back(st);
    return s;
}

// 300 pages, every odd one made read-only: 300 VMAs in one region.
scenario many_vmas() {
    scenario s{"many_vmas",
               "nb_vma stops at 128 and the lowest 128 VMAs are the ones reported",
               {anon("striped", 300)},
               {writes(0, 0)}};
    stripe(s, 0);
    s.steps.push_back(forks(0, 1));
    for (int page = 0; page < 300; page += 2)
        s.steps.push_back(writes(1, 0, page, 1));
    s.steps.push_back(exits(1));
    return s;
}

std::vector<scenario> build() {
    std::vector<scenario> c = {
        {"parent_first",
         "parent and child each fault once per shared page, parent writing first",
         {anon("data", 8)},
         {writes(0, 0), forks(0, 1), writes(0, 0), writes(1, 0), exits(1)}},
        {"child_first",
         "the child's faults count for the name, and the parent's reuse faults too",
         {anon("data", 8)},
         {writes(0, 0), forks(0, 1), writes(1, 0), writes(0, 0), exits(1)}},
        {"parent_only",
         "only the writer faults: the child never writes",
         {anon("data", 8)},
         {writes(0, 0), forks(0, 1), writes(0, 0), exits(1)}},
        {"neither_writes",
         "reading shared pages after fork is not a CoW fault",
         {anon("data", 8)},
         {writes(0, 0), forks(0, 1), reads(0, 0), reads(1, 0), exits(1)}},
        {"first_touch",
         "a first write to never-touched memory is not a CoW fault",
         {anon("data", 16)},
         {writes(0, 0)}},
        {"untouched_fork",
         "fork before any write shares nothing: later writes are first touches",
         {anon("data", 8)},
         {forks(0, 1), writes(1, 0), writes(0, 0), exits(1)}},
        {"fork_chain",
         "a grandchild's faults count too, and each generation faults once per page",
         {anon("data", 4)},
         {writes(0, 0), forks(0, 1), forks(1, 2), writes(2, 0), writes(1, 0), writes(0, 0),
          exits(2), exits(1)}},
        {"grandchild_orph",
         "an orphaned grandchild still counts for the name",
         {anon("data", 4)},
         {writes(0, 0), forks(0, 1), forks(1, 2), exits(1), writes(2, 0), exits(2)}},
        {"write_aft_exit",
         "a write after the sharer exited is still a (reuse) CoW fault",
         {anon("data", 8)},
         {writes(0, 0), forks(0, 1), exits(1), writes(0, 0)}},
        {"child_outlives",
         "faults after the reported process exited still count, in its layout",
         {anon("data", 8)},
         {writes(0, 0), forks(0, 1), exits(0), writes(1, 0), exits(1)},
         query_time::after_exit},
        {"zero_page",
         "a write after a read of untouched anonymous memory replaces the zero page",
         {anon("data", 8)},
         {reads(0, 0), writes(0, 0)}},
        {"zero_page_fork",
         "zero-page mappings are not copied by fork without an anon_vma",
         {anon("data", 8)},
         {reads(0, 0), forks(0, 1), writes(1, 0), writes(0, 0), exits(1)}},
        {"file_read_write",
         "a write to a read private file page is a CoW fault",
         {file("file", 8)},
         {reads(0, 0, 0, 1), writes(0, 0)}},
        {"file_write_1st",
         "a first write to a private file page copies it without a CoW fault",
         {file("file", 8)},
         {writes(0, 0)}},
        {"file_fault_arnd",
         "fault-around maps 16 cached pages on a read: writes to them are CoW",
         {file("file", 32)},
         {reads(0, 0, 0, 1), writes(0, 0)}},
        {"file_fork",
         "fork copies a file VMA's page table once it has an anon_vma",
         {file("file", 8)},
         {reads(0, 0), writes(0, 0, 0, 1), forks(0, 1), writes(1, 0), writes(0, 0), exits(1)}},
        {"file_fork_clean",
         "fork skips a file VMA without an anon_vma: the child refaults",
         {file("file", 8)},
         {reads(0, 0), forks(0, 1), writes(1, 0), writes(0, 0), exits(1)}},
        {"shared_writes",
         "writes to MAP_SHARED memory never count",
         {shared("shared", 8)},
         {writes(0, 0), forks(0, 1), writes(1, 0), writes(0, 0), exits(1)}},
        {"readonly_segv",
         "a write to a read-only VMA is SIGSEGV, not CoW, even to a present page",
         {readonly("ro", 4), anon("data", 4)},
         {writes(0, 1), segv_write(0, 0), writes(0, 1)}},
        {"mprotect_split",
         "mprotect splits a VMA, and each part gets its own count",
         {anon("data", 8)},
         {writes(0, 0), protect(0, 0, 2, 2, protection::read_only), forks(0, 1), writes(1, 0, 0, 2),
          writes(1, 0, 4, 4), exits(1)}},
        {"mprotect_ro_rw",
         "mprotect RO then RW: 4.15 faults again on exclusive pages, 6.x does not",
         {anon("data", 8)},
         {writes(0, 0), protect(0, 0, 0, 0, protection::read_only),
          protect(0, 0, 0, 0, protection::read_write), writes(0, 0)}},
        {"mprotect_shared",
         "after fork, mprotect RW leaves shared pages write-protected",
         {anon("data", 8)},
         {writes(0, 0), forks(0, 1), exits(1), protect(0, 0, 0, 0, protection::read_only),
          protect(0, 0, 0, 0, protection::read_write), writes(0, 0)}},
        {"munmap_hole",
         "faults in a hole punched later fall in no reported VMA",
         {anon("data", 8)},
         {writes(0, 0), forks(0, 1), unmap(0, 0, 3, 2), writes(0, 0, 0, 3), writes(0, 0, 5, 3),
          writes(1, 0), exits(1)}},
        many_vmas(),
        {"reexec",
         "an exec under the name restarts the record from zero",
         {anon("data", 8)},
         {writes(0, 0), forks(0, 1), writes(1, 0), exits(1), exec(0), writes(0, 0, 0, 4),
          forks(0, 2), writes(2, 0, 0, 4), exits(2)}},
        {"exec_child",
         "the child that executes last becomes the reported process",
         {anon("data", 8)},
         {writes(0, 0), forks(0, 1), exec(1), writes(0, 0), writes(1, 0)}},
        {"after_exit",
         "get_info answers after the process exited, with its last layout",
         {anon("data", 8)},
         {writes(0, 0), forks(0, 1), writes(0, 0), writes(1, 0), exits(1), exits(0)},
         query_time::after_exit},
        {"rename_child",
         "a child renamed with prctl stops counting for the name",
         {anon("data", 8)},
         {writes(0, 0), forks(0, 1), rename(1, "renamed"), writes(1, 0), writes(0, 0), exits(1)}},
        {"prefix_name",
         "a name that merely starts with the tracked one does not count",
         {anon("data", 8)},
         {writes(0, 0), forks(0, 1), rename(1, "prefix_name_2"), writes(1, 0), exits(1)}},
        {"rename_back",
         "a child renamed back to the name counts again",
         {anon("data", 8)},
         {writes(0, 0), forks(0, 1), rename(1, "renamed"), writes(1, 0, 0, 4),
          rename(1, "rename_back"), writes(1, 0, 4, 4), exits(1)}},
        {"threads_page",
         "threads writing the same page in turn fault once per page",
         {anon("data", 4)},
         {writes(0, 0), forks(0, 1), exits(1), threads_write(0, 0, 4)}},
        {"vfork_no_cow",
         "a vfork child shares the parent's memory: no CoW",
         {anon("data", 8)},
         {writes(0, 0), vfork_write(0, 0)}},
        {"vfork_shared",
         "a vfork child writing pages shared by an earlier fork faults once each",
         {anon("data", 8)},
         {writes(0, 0), forks(0, 1), vfork_write(0, 0), exits(1)}},
        {"stack_heap",
         "stack and heap growth in a child are first touches (perf is the reference)",
         {anon("data", 4)},
         {writes(0, 0), forks(0, 1), grow_stack(1, 16), grow_heap(1, 16), writes(1, 0), exits(1)}},
        {"dontneed",
         "MADV_DONTNEED drops pages: the next write is a first touch",
         {anon("data", 8)},
         {writes(0, 0), forks(0, 1), dontneed(0, 0), writes(0, 0), writes(1, 0), exits(1)}},
        {"mremap_move",
         "faults are binned by address: those before a move stay behind",
         {anon("data", 8)},
         {writes(0, 0), forks(0, 1), move(0, 0, 1), writes(0, 0), writes(1, 0), exits(1)},
         query_time::while_alive,
         1},
        {"large_region",
         "a thousand pages written by a child: one fault each",
         {anon("data", 1000)},
         {writes(0, 0), forks(0, 1), writes(1, 0), exits(1)}},
        {"kernel_write",
         "a CoW break by the kernel (read() into the page) is not a user fault",
         {anon("data", 8)},
         {writes(0, 0), forks(0, 1), kernel_write(1, 0, 0, 4), kernel_write(0, 0, 4, 4),
          writes(1, 0), writes(0, 0), exits(1)}},
        {"uffd_wp_anon",
         "a write fault retried after userfaultfd resolved it counts once",
         {anon("data", 8)},
         {writes(0, 0), uffd_write(0, 0)}},
        {"uffd_wp_shared",
         "a write-protect fault on MAP_SHARED memory is not CoW",
         {shared("shared", 8)},
         {writes(0, 0), uffd_write(0, 0)}},
        {"two_regions",
         "faults land in the VMA of their own region",
         {anon("first", 4), anon("second", 6)},
         {writes(0, 0), writes(0, 1), forks(0, 1), writes(1, 0), writes(0, 1), exits(1)}},
        stale_layout(),
        // Several names: each record counts its own processes and keeps its
        // own last executed process's layout.
        {"chain2",
         "a process executed under two tracked names in turn: each name keeps its layout",
         {anon("data", 8)},
         {writes(0, 0), forks(0, 1), writes(1, 0), exits(1), exec(0, "chain2.b"),
          writes(0, 0, 0, 4), forks(0, 2), writes(2, 0, 0, 4), exits(2), exits(0)},
         query_time::after_exit,
         0,
         {"chain2.b"}},
        {"chain3",
         "a process executed under three tracked names in turn: each name keeps its layout",
         {anon("data", 8)},
         {writes(0, 0), forks(0, 1), writes(1, 0), exits(1), exec(0, "chain3.b"), writes(0, 0),
          forks(0, 2), writes(2, 0), exits(2), exec(0, "chain3.c"), writes(0, 0, 0, 2),
          forks(0, 3), writes(3, 0, 0, 2), exits(3), exits(0)},
         query_time::after_exit,
         0,
         {"chain3.b", "chain3.c"}},
        {"two_live",
         "two tracked names live at once, each with children: each counts its own",
         {anon("data", 8)},
         {writes(0, 0), forks(0, 1), exec(1, "two_live.b"), writes(1, 0), forks(1, 2),
          writes(2, 0), forks(0, 3), writes(3, 0, 0, 4), writes(0, 0), exits(2), exits(3)},
         query_time::while_alive,
         0,
         {"two_live.b"}},
        {"track_late",
         "a name tracked while its process runs reports zeros until one is executed under it",
         {anon("data", 8)},
         {writes(0, 0), forks(0, 1), rename(1, "track_late.b"), writes(1, 0, 0, 4),
          track("track_late.b"), writes(1, 0, 4, 4), exec(1, "track_late.b"), writes(1, 0),
          forks(1, 2), writes(2, 0), exits(2)}},
        {"cleanup_mid",
         "pf_cleanup drops every record; a name tracked again starts from its next exec",
         {anon("data", 8)},
         {writes(0, 0), forks(0, 1), writes(1, 0, 0, 4), cleanup(), track("cleanup_mid"),
          writes(1, 0, 4, 4), exec(1), writes(1, 0, 0, 4), forks(1, 2), writes(2, 0, 0, 4),
          exits(2), writes(0, 0)},
         query_time::while_alive,
         0,
         {"cleanup_mid.b"}},
    };
    return c;
}

} // namespace

const std::vector<scenario>& catalogue() {
    static const std::vector<scenario> all = build();
    return all;
}

const scenario* find(const std::string& name) {
    for (const auto& s : catalogue())
        if (s.name == name)
            return &s;
    return nullptr;
}

} // namespace workloads
