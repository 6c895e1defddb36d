// Turning what came back from the guest into results/: the report as JSON,
// a Markdown summary, and the verdict of the whole run.
#pragma once

#include "qemu.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace harness {

struct run_context {
    std::string arch, accel, kernel_version, tree_id, series, commit, mode;
    std::filesystem::path out_dir; // results/<arch>
    std::string guest_time;        // what guest time measures: wall clock, or icount
};

struct collected {
    bool ok = false;               // every check passed and the kernel reported nothing
    bool judged = false;           // a report came back at all
    bool nothing_compared = false; // it came back, but pfcheck could judge nothing
    std::string reason;            // one line: why not ok
    int passed = 0, failed = 0, skipped = 0;
    // One line per failed check: "abi: ...: expected X, got Y" or
    // "scenario NAME: diagnosis" (or its first problem when no diagnosis).
    std::vector<std::string> failures;
};

collected collect(const run_context& ctx, const boot_outcome& b,
                  const std::filesystem::path& results_file);

} // namespace harness
