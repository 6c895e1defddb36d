// SPDX-License-Identifier: GPL-2.0-or-later
// The language scenarios are written in: memory regions and a script of steps.
// The oracle predicts from it; the workload executor performs it.
#pragma once

#include <string>
#include <vector>

namespace oracle {

enum class region_kind {
    anon_private, // MAP_PRIVATE | MAP_ANONYMOUS
    file_private, // MAP_PRIVATE of a file whose pages are all in the page cache
    shared,       // MAP_SHARED of a file: written in place, never CoW
};

enum class protection { read_only, read_write };

// A mapping the scenario controls. It lives in its own slot of a reserved
// address range, between PROT_NONE guards, so that it never merges with others.
struct region {
    std::string name;
    int pages = 0;
    region_kind kind = region_kind::anon_private;
    protection prot = protection::read_write;
};

// Process 0 is the scenario's root: the process executed under the tracked
// name. Other processes get their number from the fork step that creates them.
using process_id = int;

enum class action {
    write,             // store one byte in each page
    read,              // load one byte from each page
    write_expect_segv, // fork a throwaway child that writes once and dies of SIGSEGV
    fork,              // actor forks process `child`
    exit,              // actor exits; its parent (or the runner) reaps it
    exec,              // actor executes the scenario program again: a new image
    rename,            // prctl(PR_SET_NAME, name)
    mprotect,          // change the protection of pages
    munmap,            // unmap pages
    madvise_dontneed,  // drop pages: the next touch faults them in again
    mremap,            // move the whole region to the spare slot `to_slot`
    thread_write,      // `threads` threads of the actor write the pages in turn
    vfork_write,       // a vfork child (same mm) writes the pages, then _exits
    grow_stack,        // touch `pages` pages of new stack (uncontrolled VMA)
    grow_heap,         // sbrk and touch `pages` pages (uncontrolled VMA)
    kernel_write,      // read() from a pipe into each page: the kernel writes, in kernel mode
    uffd_wp_write,     // write-protect present pages with userfaultfd, write them: each
                       // fault waits for the handler, then the kernel retries it
};

struct step {
    action what = action::write;
    process_id actor = 0;
    int region = -1; // index in scenario::regions
    int first = 0;   // first page, relative to the region
    int count = 0;   // number of pages; 0 means "to the end of the region"
    process_id child = -1;
    protection prot = protection::read_write;
    std::string name;
    int threads = 0;
    int to_slot = -1;
};

// When the runner asks the kernel: while the root lives, or after every
// process of the scenario has exited.
enum class query_time { while_alive, after_exit };

struct scenario {
    std::string name;   // short, unique; also the tracked comm (<= 15 bytes)
    std::string proves; // one sentence: what a pass shows
    std::vector<region> regions;
    std::vector<step> steps;
    query_time query = query_time::while_alive;
    int spare_slots = 0; // slots beyond one per region, for mremap targets
};

// Helpers that keep the catalogue readable.
step writes(process_id who, int region, int first = 0, int count = 0);
step reads(process_id who, int region, int first = 0, int count = 0);
step forks(process_id parent, process_id child);
step exits(process_id who);

const char* to_string(action a);
const char* to_string(region_kind k);

} // namespace oracle
