// SPDX-License-Identifier: GPL-2.0-or-later
// What docs/semantics.md section 7 says each call must return, for calls
// described by what the kernel can see of their arguments. Pure: the fuzzer
// builds real hostile arguments, describes them here, and compares.
#pragma once

#include <cstddef>
#include <set>
#include <string>

namespace pfcheck::fuzz {

enum class op { set_param, get_info, cleanup };

// The name argument as the kernel meets it.
struct name_arg {
    bool null = false;
    // Bytes readable from the pointer before an unmapped page (or a kernel
    // address: 0). Bytes beyond `readable` fault.
    std::size_t readable = 0;
    std::string bytes; // the first min(len, readable) bytes, NULs included
    std::size_t len = 0;
};

struct call {
    op what = op::cleanup;
    name_arg name;
    bool pf_writable = true; // get_info: the whole struct pf_stat is writable
};

// The kernel's tracking state, as the fuzzer's calls changed it.
struct state {
    bool initialised = false; // a successful set_param since boot or the last cleanup
    std::set<std::string> tracked;
};

constexpr std::size_t max_names = 64;
constexpr std::size_t max_name_len = 15;

// The errno the call must return (0 for success), checked in the table's order.
int expected_errno(const call& c, const state& s);

// The state after the call returned `result`.
void apply(const call& c, int result, state& s);

std::string describe(const call& c);

} // namespace pfcheck::fuzz
