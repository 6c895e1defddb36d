// SPDX-License-Identifier: GPL-2.0-or-later
// Turning what came back from the guest into results/: the report as JSON,
// a Markdown summary, and the verdict of the whole run.
#pragma once

#include "qemu.hpp"
#include "schema/results.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace harness {

struct run_context {
    // Where and how the run was made; collect adds the verdict and writes it.
    // meta.profile says which rules count: "strict" (all) or "course".
    schema::run_meta meta;
    std::filesystem::path out_dir; // results/<arch>
};

// The kinds of check a guest runs; each failure names one.
enum class check_kind { scenario, abi, fuzz, stress, kmemleak, bench, kunit, counters };

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
    // The same, per kind of check (a rubric weighs them).
    std::map<check_kind, int> passed_by, failed_by;
    std::vector<failure> failures;
    // Under the course profile: the checks of pfcheck's stricter rules that
    // failed. They are not counted in `failed` and do not fail the run.
    std::vector<failure> advice;
    std::vector<std::string> kernel_reports; // BUG, WARNING, KASAN... lines of the console
    // The diagnosis: each bug named, as its model's id and the ids the
    // scenarios cannot tell from it; and how many scenarios no bug explains.
    std::vector<std::vector<std::string>> bugs;
    int unexplained = 0;
};

collected collect(const run_context& ctx, const boot_outcome& b,
                  const std::filesystem::path& results_file);

// A run stopped before the guest could answer (no tree, no series, no
// build): report.json and summary.md say "not judged" and why, so that an
// older summary.md is not read as this run's.
void write_not_judged(const run_context& ctx, const std::string& reason);

// report.json's word for a run's verdict: "pass", "fail" or "not judged".
std::string verdict_word(const collected& c);

} // namespace harness
