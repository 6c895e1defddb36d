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

// A copy of the user's tree in the cache, refreshed from it on every call
// (only files whose content changed are rewritten).
std::optional<kernel_tree> user_tree(const std::filesystem::path& ksrc,
                                     const std::filesystem::path& cache, std::string& why);

// Puts the tree in the state "base + these patches" (none when `series` is
// empty). Files whose content ends up as before keep their modification time,
// so make rebuilds only what the change touches.
// `extra` patches go on top of the series, in order (a mutant, say).
bool apply_series(const kernel_tree& t, const std::filesystem::path& series, std::string& why,
                  const std::vector<std::filesystem::path>& extra = {});

} // namespace harness
