// SPDX-License-Identifier: GPL-2.0-or-later
// The helpers that write scenarios: one call per region or step, so that a
// catalogue row reads like the story it tells. Used by the catalogue and by
// the tests; header-only.
#pragma once

#include "oracle/scenario.hpp"

namespace oracle::script {

// Regions.
inline region anon(const char* name, int pages) {
    return {name, pages, region_kind::anon_private};
}
inline region file(const char* name, int pages) {
    return {name, pages, region_kind::file_private};
}
inline region shared(const char* name, int pages) {
    return {name, pages, region_kind::shared};
}
inline region readonly(const char* name, int pages) {
    return {name, pages, region_kind::anon_private, protection::read_only};
}

// Steps of a process. `count` 0 means to the end of the region.
inline step writes(process_id who, int region, int first = 0, int count = 0) {
    return {.what = action::write, .actor = who, .region = region, .first = first, .count = count};
}
inline step reads(process_id who, int region, int first = 0, int count = 0) {
    return {.what = action::read, .actor = who, .region = region, .first = first, .count = count};
}
inline step forks(process_id parent, process_id child) {
    return {.what = action::fork, .actor = parent, .child = child};
}
inline step exits(process_id who) {
    return {.what = action::exit, .actor = who};
}
// Executes the scenario program again; under another tracked name if given.
inline step exec(process_id who, const char* as = "") {
    return {.what = action::exec, .actor = who, .name = as};
}
inline step rename(process_id who, const char* name) {
    return {.what = action::rename, .actor = who, .name = name};
}
inline step protect(process_id who, int region, int first, int count, protection p) {
    return {.what = action::mprotect,
            .actor = who,
            .region = region,
            .first = first,
            .count = count,
            .prot = p};
}
inline step unmap(process_id who, int region, int first, int count) {
    return {.what = action::munmap, .actor = who, .region = region, .first = first, .count = count};
}
inline step dontneed(process_id who, int region) {
    return {.what = action::madvise_dontneed, .actor = who, .region = region};
}
inline step move(process_id who, int region, int to_slot) {
    return {.what = action::mremap, .actor = who, .region = region, .to_slot = to_slot};
}
inline step threads_write(process_id who, int region, int threads) {
    return {.what = action::thread_write, .actor = who, .region = region, .threads = threads};
}
inline step vfork_write(process_id who, int region) {
    return {.what = action::vfork_write, .actor = who, .region = region};
}
inline step segv_write(process_id who, int region) {
    return {.what = action::write_expect_segv, .actor = who, .region = region, .count = 1};
}
inline step uffd_write(process_id who, int region) {
    return {.what = action::uffd_wp_write, .actor = who, .region = region};
}
inline step kernel_write(process_id who, int region, int first = 0, int count = 0) {
    return {.what = action::kernel_write, .actor = who, .region = region, .first = first,
            .count = count};
}
inline step grow_stack(process_id who, int pages) {
    return {.what = action::grow_stack, .actor = who, .count = pages};
}
inline step grow_heap(process_id who, int pages) {
    return {.what = action::grow_heap, .actor = who, .count = pages};
}

// Steps of the runner (pfcheck itself).
inline step track(const char* name) {
    return {.what = action::track, .actor = runner, .name = name};
}
inline step cleanup() {
    return {.what = action::cleanup, .actor = runner};
}

} // namespace oracle::script
