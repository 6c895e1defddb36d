// SPDX-License-Identifier: GPL-2.0-or-later
// The course's deliverable, patch.tar.gz: the student's own patch series
// against vanilla Linux 4.15 (patch/*.patch) and their report (.pdf or
// .txt), nothing else. The series comes from a directory (SERIES=dir), from
// the commits of a KSRC git repository on top of its vanilla base (git
// format-patch), or, asked for by name only, from pfcheck's reference series
// (SERIES=reference). Before anything is packaged, the series is checked as
// the course will check it: applied with git am to a pristine vanilla 4.15,
// built, booted, and run through every check.
#pragma once

#include "pipeline.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace harness {

struct submission_request {
    std::filesystem::path ksrc;   // the student's tree: a git repository, or vanilla with SERIES
    std::string series;           // "": KSRC's commits; a directory; "reference"
    std::string base;             // "": KSRC's root commit (or KSRC itself, with SERIES);
                                  // a commit of KSRC; or a vanilla 4.15 tree's path
    std::filesystem::path report; // the student's report: .pdf or .txt
    std::filesystem::path archive = "patch.tar.gz"; // what is written
    bool prepare_only = false; // stop once the series and its base are ready (no kernel run)
};

// Why a submission cannot be made, before anything is built.
struct refusal {
    int code = exit_code::usage; // usage (2): the request; not_judged (3): a tool failed
    std::string why;
};

// The report the course asks for: an existing, non-empty .pdf (a real PDF)
// or .txt file. "" when it is fine, else why not.
std::string check_report(const std::filesystem::path& report);

// What is checked and packaged: the patches, and the pristine vanilla 4.15
// tree they must apply to.
struct prepared_submission {
    std::filesystem::path patches;   // a directory of NNNN-*.patch (results/submission/series)
    std::filesystem::path base_tree; // vanilla 4.15, as the course has it
    std::string origin;              // one line: where the patches come from
    std::vector<std::string> warnings;
};

// Resolves the request into patches and a base, checking everything that
// can be checked without building: the report, the base (Makefile 4.15.0,
// no pf_ syscalls), commits on top of it. `o` gives the cache, results and
// project directories. A refusal says why.
std::optional<prepared_submission> prepare_submission(const submission_request& req,
                                                      const options& o, refusal& no);

// Writes `archive` holding patch/*.patch (from `patches`, in order) and the
// report (patch/NAME); `stage` is where its content is assembled. Returns
// the archive's members as tar lists them, or nullopt with `why`.
std::optional<std::vector<std::string>> package_submission(const std::filesystem::path& patches,
                                                           const std::filesystem::path& report,
                                                           const std::filesystem::path& stage,
                                                           const std::filesystem::path& archive,
                                                           std::string& why);

// The whole path: prepare, check with `runner` (run_all, or a stub in
// tests) on i386 under `o` (o.profile: which rules count), then package.
// Exit status: 2 refused (the request), 3 refused (apply, build, boot: not
// judged; no archive), 1 archive written but checks failed, 0 all passed.
int run_submission(const submission_request& req, options o,
                   const std::function<run_result(options)>& runner);

} // namespace harness
