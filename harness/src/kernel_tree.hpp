// SPDX-License-Identifier: GPL-2.0-or-later
// Kernel sources: Debian's linux-source-6.1, or a tree the user points at,
// kept as a git repository in the cache so that a patch series can be applied,
// taken off and applied again without touching files it does not change.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace harness {

struct kernel_tree {
    std::filesystem::path src;
    std::string id;      // "debian-6.1" or "user-<hash>": names the build directories
    std::string version; // "6.1.192"
    int major = 0, minor = 0;
};

// Debian's package, unpacked once into the cache.
std::optional<kernel_tree> debian_tree(const std::filesystem::path& cache, std::string& why);

// A second working tree of Debian's source that always stays pristine (a git
// worktree at the base tag): the vanilla kernel of the benchmarks builds
// from it without undoing the series in the main tree, and so without
// rebuilding everything the series touches each time.
std::optional<kernel_tree> pristine_tree(const kernel_tree& debian,
                                         const std::filesystem::path& cache, std::string& why);

// The copy of a tree a job slot builds on ("debian-6.1-slot1"): a git
// worktree of Debian's, or a second copy of the user's. Slot 0 is the tree.
std::string slot_suffix(int slot);
std::optional<kernel_tree> slot_tree(const kernel_tree& debian, const std::filesystem::path& cache,
                                     int slot, std::string& why);

// A copy of the user's tree in the cache, refreshed from it on every call
// (only files whose content changed are rewritten).
// The id user_tree gives KSRC's copy ("user-<hash of its path>"), before it
// is made: the name of its lock.
std::string user_tree_id(const std::filesystem::path& ksrc, int slot = 0);

std::optional<kernel_tree> user_tree(const std::filesystem::path& ksrc,
                                     const std::filesystem::path& cache, std::string& why,
                                     int slot = 0);

// Puts the tree in the state "base + these patches" (none when `series` is
// empty). Files whose content ends up as before keep their modification time,
// so make rebuilds only what the change touches.
// `extra` patches go on top of the series, in order (a mutant, say).
bool apply_series(const kernel_tree& t, const std::filesystem::path& series, std::string& why,
                  const std::vector<std::filesystem::path>& extra = {});

// VERSION, PATCHLEVEL, SUBLEVEL and EXTRAVERSION of a kernel Makefile's text;
// nullopt when it has no VERSION or PATCHLEVEL.
struct kernel_version {
    int major = 0, minor = 0, sub = 0;
    std::string extra;        // "" in a release, "-rc8" before
    std::string text() const; // "4.15.0", "4.15.0-rc8"
    bool is(int ma, int mi, int su) const { return major == ma && minor == mi && sub == su; }
};
std::optional<kernel_version> parse_kernel_version(const std::string& makefile);

// Where a tree wires up the course's syscalls, from the text of its syscall
// tables (arch/x86/entry/syscalls/syscall_{32,64}.tbl): an entry named pf_*
// in either, or, on 4.x (whose 32-bit table ends at 384), any 32-bit entry
// numbered 385, 386 or 387. Returns the first such entry
// ("syscall_32.tbl: 385 pf_set_param"), or "" when there is none.
std::string course_syscalls_in(const std::string& tbl32, const std::string& tbl64, int major);
// The same, read from a tree's files.
std::string course_syscalls_in(const std::filesystem::path& src, int major);

// The patch series a run applies.
struct series_choice {
    std::filesystem::path dir; // the patches; empty: none (the tree is judged as it is)
    std::string name;          // for the report: "patch/linux-4.15", "none (the tree as given)"
    std::string note;          // one line when pfcheck chose for the user; "" when told
};

// SERIES as given: a directory of patches; "none" (the tree as it is);
// "reference" (pfcheck's own series for the tree's version, patch/linux-4.15
// or patch/linux-6.1); or "" (not given): a tree that already wires up the
// course's syscalls is judged as it is, any other gets the reference series.
// `inspect` is the user's tree to look at (empty for Debian's 6.1, which
// never wires them up); `major` its version.
series_choice resolve_series(const std::string& given, const std::filesystem::path& inspect,
                             int major, const std::filesystem::path& project);

} // namespace harness
