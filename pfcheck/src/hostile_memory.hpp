// SPDX-License-Identifier: GPL-2.0-or-later
// Memory shapes for hostile syscall arguments, shared by the errno table
// (abi_test) and the fuzzer.
#pragma once

#include "abi.hpp"

#include <cstring>
#include <sys/mman.h>

namespace pfcheck {

constexpr long page = 4096;

// A readable page followed by an unmapped one, and a read-only page.
struct arena {
    arena(const arena&) = delete;
    arena& operator=(const arena&) = delete;
    char* base = nullptr; // page 0: read-write, page 1: unmapped, page 2: read-only
    bool ok = false;

    arena() {
        void* p =
            mmap(nullptr, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return;
        base = static_cast<char*>(p);
        ok = munmap(base + page, page) == 0 && mprotect(base + 2 * page, page, PROT_READ) == 0;
    }
    ~arena() {
        if (base) {
            munmap(base, page);
            munmap(base + 2 * page, page);
        }
    }
    char* unmapped() const { return base + page; }
    char* readonly() const { return base + 2 * page; }
    // `n` bytes that end exactly where the unmapped page begins.
    char* at_page_end(const char* text, std::size_t n) const {
        char* p = base + page - n;
        std::memcpy(p, text, n);
        return p;
    }
    // A pf_stat whose tail lies on the unmapped page.
    pf_stat* straddling() const { return reinterpret_cast<pf_stat*>(base + page - 64); }
};

// An address no user pointer may reach: the kernel's half (or, for a 32-bit
// program on a 64-bit kernel, the top page, above every mapping).
inline const char* kernel_address() {
    return reinterpret_cast<const char*>(sizeof(void*) == 8 ? 0xffffffff81000000UL : 0xfffff000UL);
}

} // namespace pfcheck
