// SPDX-License-Identifier: GPL-2.0-or-later
// Turning what came back from the guest into results/: the report as JSON,
// a Markdown summary, and the verdict of the whole run.
#pragma once

#include "qemu.hpp"
#include "schema/results.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace harness {

struct run_context {
    // Where and how the run was made; collect adds the verdict and writes it.
    schema::run_meta meta;
    std::filesystem::path out_dir; // results/<arch>
};

// The kinds of check a guest runs; each failure names one.
enum class check_kind { scenario, abi, fuzz, stress, kmemleak, bench, kunit };

struct failure {
    check_kind kind;
    std::string name;    // the scenario, the errno row, the bench configuration [and row]
    std::string message; // the diagnosis, or what went wrong
};

std::string to_string(check_kind k);

// One line: "scenario NAME: message", "abi: NAME: message", "fuzz: message",
// "bench NAME: message".
std::string describe(const failure& f);

struct collected {
    bool ok = false;     // every check passed and the kernel reported nothing
    bool judged = false; // a report came back at all
    int status = 0;      // the exit status this run deserves (exit_codes.hpp)
    std::string reason;  // one line: why not ok
    int passed = 0, failed = 0, skipped = 0;
    std::vector<failure> failures;
    std::vector<std::string> kernel_reports; // BUG, WARNING, KASAN... lines of the console
    // The diagnosis: each bug named, as its model's id and the ids the
    // scenarios cannot tell from it; and how many scenarios no bug explains.
    std::vector<std::vector<std::string>> bugs;
    int unexplained = 0;
};

collected collect(const run_context& ctx, const boot_outcome& b,
                  const std::filesystem::path& results_file);

} // namespace harness
