// SPDX-License-Identifier: GPL-2.0-or-later
// Each row: a name (also the tracked comm, at most 15 bytes), one sentence
// saying what a pass proves, the regions, and the script. P0 is the process
// executed under the name; fork(a, b) makes Pb a child of Pa.
#include "workloads/catalogue.hpp"

namespace workloads {

using namespace oracle;

namespace {

region anon(const char* name, int pages) {
    return {name, pages, region_kind::anon_private};
}
region file(const char* name, int pages) {
    return {name, pages, region_kind::file_private};
}
region shared(const char* name, int pages) {
    return {name, pages, region_kind::shared};
}
region readonly(const char* name, int pages) {
    return {name, pages, region_kind::anon_private, protection::read_only};
}

step protect(process_id who, int region, int first, int count, protection p) {
    return {.what = action::mprotect,
            .actor = who,
            .region = region,
            .first = first,
            .count = count,
            .prot = p};
}
step unmap(process_id who, int region, int first, int count) {
    return {.what = action::munmap, .actor = who, .region = region, .first = first, .count = count};
}
step dontneed(process_id who, int region) {
    return {.what = action::madvise_dontneed, .actor = who, .region = region};
}
step move(process_id who, int region, int to_slot) {
    return {.what = action::mremap, .actor = who, .region = region, .to_slot = to_slot};
}
step exec(process_id who) {
    return {.what = action::exec, .actor = who};
}
step rename(process_id who, const char* name) {
    return {.what = action::rename, .actor = who, .name = name};
}
step threads_write(process_id who, int region, int threads) {
    return {.what = action::thread_write, .actor = who, .region = region, .threads = threads};
}
step vfork_write(process_id who, int region) {
    return {.what = action::vfork_write, .actor = who, .region = region};
}
step segv_write(process_id who, int region) {
    return {.what = action::write_expect_segv, .actor = who, .region = region, .count = 1};
}
step uffd_write(process_id who, int region) {
    return {.what = action::uffd_wp_write, .actor = who, .region = region};
}

step kernel_write(process_id who, int region) {
    return {.what = action::kernel_write, .actor = who, .region = region};
}
step grow(action what, process_id who, int pages) {
    return {.what = what, .actor = who, .count = pages};
}

// 300 pages, every odd one made read-only: 300 VMAs in one region.
scenario many_vmas() {
    scenario s{"many_vmas",
               "nb_vma stops at 128 and the lowest 128 VMAs are the ones reported",
               {anon("striped", 300)},
               {writes(0, 0)}};
    for (int page = 1; page < 300; page += 2)
        s.steps.push_back(protect(0, 0, page, 1, protection::read_only));
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
         "a write to a read-only VMA is SIGSEGV, not CoW",
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
         {writes(0, 0), forks(0, 1), grow(action::grow_stack, 1, 16),
          grow(action::grow_heap, 1, 16), writes(1, 0), exits(1)}},
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
         {writes(0, 0), forks(0, 1), kernel_write(1, 0), writes(1, 0), exits(1)}},
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
