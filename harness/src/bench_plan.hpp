// SPDX-License-Identifier: GPL-2.0-or-later
// Which kernels a benchmark run compares: the kernel under test, its own
// vanilla base, and pfcheck's reference series on that base, all built from
// the same configuration fragments. Decided from facts about the trees, so
// that the decision and its refusals are testable without a tree.
#pragma once

#include "kernel_tree.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace harness {

// What the harness read from a tree given on the command line.
struct tree_facts {
    std::filesystem::path path;            // as given, absolute
    std::optional<kernel_version> version; // from its Makefile; nullopt: unreadable
    std::string wired;                     // course_syscalls_in(): "" when it has none
};

struct bench_request {
    std::optional<tree_facts> ksrc; // nullopt: Debian's 6.1
    std::optional<tree_facts> base; // BASE=; nullopt: not given
    std::string series;             // SERIES= as given ("", "none", "reference", a dir)
    std::filesystem::path project;
};

// One kernel of the run.
struct bench_kernel {
    std::string role;             // "vanilla", "patched" (the kernel under test), "reference"
    std::filesystem::path ksrc;   // empty: Debian's 6.1
    std::filesystem::path series; // empty: none
    bool pristine = false;        // Debian's 6.1 from its pristine worktree
    std::string what;             // for the log and the report: "4.15.0 + patch/linux-4.15"
};

struct bench_plan {
    std::vector<bench_kernel> kernels; // vanilla first
    std::string refused;               // why there is no plan ("" when there is one)
    std::string note;                  // one line when the reference is the kernel under test
};

bench_plan plan_bench(const bench_request& r);

// Reads the facts of a tree given on the command line.
tree_facts facts_of(const std::filesystem::path& tree);

} // namespace harness
