// SPDX-License-Identifier: GPL-2.0-or-later
// Many recorded CoW faults at little memory, shared by the errno table's
// chunk-cap row (abi_test) and pfbench's get_info_pages.
#pragma once

#include <algorithm>
#include <sys/mman.h>
#include <unistd.h>

namespace pfcheck {

// Records `pages` CoW faults, one every `stride` pages: each page is read
// (the zero page), written (a CoW fault of the zero page, counted), then given
// back, a batch at a time. Returns the mapping, still mapped so that the
// recorded pages fall in a VMA (the caller unmaps pages * stride pages), or
// nullptr when mmap fails.
inline void* record_zero_page_cows(long pages, long stride = 1) {
    constexpr long batch = 256;
    const long page = sysconf(_SC_PAGESIZE), step = stride * page;
    void* p = mmap(nullptr, static_cast<std::size_t>(pages * step), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return nullptr;
    auto* base = static_cast<volatile char*>(p);
    for (long first = 0; first < pages; first += batch) {
        const long count = std::min(batch, pages - first);
        for (long i = first; i < first + count; ++i) {
            (void)base[i * step];
            base[i * step] = 1;
        }
        madvise(static_cast<char*>(p) + first * step, static_cast<std::size_t>(count * step),
                MADV_DONTNEED);
    }
    return p;
}

} // namespace pfcheck
