// SPDX-License-Identifier: GPL-2.0-or-later
#include "oracle/scenario.hpp"

namespace oracle {

step writes(process_id who, int region, int first, int count) {
    return {.what = action::write, .actor = who, .region = region, .first = first, .count = count};
}

step reads(process_id who, int region, int first, int count) {
    return {.what = action::read, .actor = who, .region = region, .first = first, .count = count};
}

step forks(process_id parent, process_id child) {
    return {.what = action::fork, .actor = parent, .child = child};
}

step exits(process_id who) {
    return {.what = action::exit, .actor = who};
}

const char* to_string(action a) {
    switch (a) {
    case action::write:
        return "write";
    case action::read:
        return "read";
    case action::write_expect_segv:
        return "write_expect_segv";
    case action::fork:
        return "fork";
    case action::exit:
        return "exit";
    case action::exec:
        return "exec";
    case action::rename:
        return "rename";
    case action::mprotect:
        return "mprotect";
    case action::munmap:
        return "munmap";
    case action::madvise_dontneed:
        return "madvise_dontneed";
    case action::mremap:
        return "mremap";
    case action::thread_write:
        return "thread_write";
    case action::vfork_write:
        return "vfork_write";
    case action::grow_stack:
        return "grow_stack";
    case action::grow_heap:
        return "grow_heap";
    case action::kernel_write:
        return "kernel_write";
    case action::uffd_wp_write:
        return "uffd_wp_write";
    }
    return "?";
}

const char* to_string(region_kind k) {
    switch (k) {
    case region_kind::anon_private:
        return "anonymous private";
    case region_kind::file_private:
        return "file private";
    case region_kind::shared:
        return "shared";
    }
    return "?";
}

} // namespace oracle
