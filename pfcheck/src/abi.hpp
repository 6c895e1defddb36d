// SPDX-License-Identifier: GPL-2.0-or-later
// The kernel interface under test: struct pf_stat and the three syscalls.
#pragma once

#include <string>

#if __has_include(<linux/pf_stat.h>)
#include <linux/pf_stat.h>
#define PFCHECK_HAVE_UAPI_PF_STAT 1
#endif

namespace pfcheck {

// The course's layout. pfcheck judges any kernel, with or without our uapi
// header, so it carries its own copy and checks it against the header when built
// against a patched tree.
constexpr int max_size = 128;

struct pf_stat {
    int nb_vma;
    long cow_page_faults;
    long vma_fault[max_size];
    unsigned long vma_list_start[max_size];
    unsigned long vma_list_end[max_size];
};

#ifdef PFCHECK_HAVE_UAPI_PF_STAT
static_assert(sizeof(pf_stat) == sizeof(::pf_stat), "struct pf_stat differs from the uapi header");
static_assert(PF_STAT_MAX_SIZE == max_size);
#endif

struct syscall_numbers {
    long set_param = 0, get_info = 0, cleanup = 0;
    std::string origin; // why these numbers were chosen
};

// The table: 4.15 i386 uses 385-387 (the course's numbers); 6.x i386 uses
// 387-389 (385 and 386 are io_pgetevents and rseq); x86_64 uses 385-387.
// A 32-bit pfcheck on a 64-bit kernel uses the i386 numbers (compat entry).
syscall_numbers numbers_for(const std::string& release, bool binary_is_64bit);
syscall_numbers default_numbers();
// "385,386,387" -> numbers, or nullopt-like empty origin on a parse error.
bool parse_numbers(const std::string& text, syscall_numbers& out);

// Each call returns 0 or a positive errno.
class pf_syscalls {
  public:
    explicit pf_syscalls(syscall_numbers n) : n_(std::move(n)) {}
    int set_param(const char* name, std::size_t len) const;
    int get_info(const char* name, std::size_t len, pf_stat* out) const;
    int cleanup() const;
    int set_param(const std::string& name) const { return set_param(name.c_str(), name.size()); }
    int get_info(const std::string& name, pf_stat* out) const {
        return get_info(name.c_str(), name.size(), out);
    }
    const syscall_numbers& numbers() const { return n_; }

  private:
    syscall_numbers n_;
};

// "EINVAL", "ENOSYS", ...
std::string errno_name(int err);
// The course tester's message for an errno.
std::string tester_message(int err);
std::string kernel_release();
std::string kernel_machine(); // uname -m

} // namespace pfcheck
