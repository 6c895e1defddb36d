// SPDX-License-Identifier: GPL-2.0-or-later
// Grading a class: each student's patch.tar.gz unpacked safely, its layout
// checked, its series applied to the vanilla base, built, booted and judged
// under the course's rules; a score from the rubric (grading/rubric.json), a
// feedback.md and a result.json per submission; grades.{csv,md} and class.md
// for the class. A submission already graded with the same content, base and
// pfcheck commit is not graded again.
#pragma once

#include "pipeline.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace harness {

struct unpack_limits {
    std::uintmax_t file_bytes = 8u << 20;   // one member
    std::uintmax_t total_bytes = 32u << 20; // all members
    int members = 256;
};

// Unpacks `tarball` into `dest` (emptied first): regular files and
// directories only, every path inside `dest`, within the limits. Returns ""
// or why the archive was refused; a refused archive leaves `dest` empty.
std::string safe_unpack(const std::filesystem::path& tarball, const std::filesystem::path& dest,
                        const unpack_limits& limits = {});

// What the statement asks for: patch/ with git format-patch files, and a
// report (.pdf or .txt) in patch/ or at the top.
struct submission_layout {
    std::filesystem::path series;               // the patch/ directory
    std::vector<std::filesystem::path> patches; // its *.patch, sorted
    std::filesystem::path report;               // empty when none
    std::vector<std::string> problems;          // each a reason for 0
};
submission_layout check_layout(const std::filesystem::path& unpacked);

struct rubric {
    std::map<std::string, double> weights; // family -> points
    double total() const;
};
std::optional<rubric> load_rubric(const std::filesystem::path& file, std::string& why);

// Passed and failed checks per family of one judged run.
struct family_tally {
    int passed = 0, failed = 0;
};
std::map<std::string, family_tally> tally_families(const collected& c);
double score_of(const std::map<std::string, family_tally>& t, const rubric& r);

struct grade_request {
    std::filesystem::path submissions; // a directory of *.tar.gz
    std::filesystem::path base;        // the vanilla tree the series apply to
    std::filesystem::path out;         // results/grade
    std::filesystem::path rubric_file;
    std::string commit;           // pfcheck's, part of the resume key
    std::string engine = "local"; // or "slurm": one array job, a task per submission
    int jobs = 1;                 // local: submissions at once, each in its own job slot
    std::filesystem::path one;    // grade only this archive (a Slurm task), no class table
    // The command a Slurm task (or a local job) runs to grade one archive
    // (the harness and its options); it appends --one ARCHIVE (and --slot=K).
    std::vector<std::string> task_command;
};

// One submission's outcome, as result.json holds it.
struct grade_result {
    std::string submission, key;
    std::string outcome; // graded, malformed, does not apply, does not build, not judged
    double score = 0;
    std::string reason;
    std::vector<std::string> bugs; // bug model ids the diagnosis named
    int passed = 0, failed = 0;
    double seconds = 0; // the grading's wall time (not in grades.csv: engines differ)
};

// Grades every submission with `runner` (run_all, or a stub in tests), one
// after the other (local), or as a Slurm array job whose tasks run
// task_command (slurm: sbatch --wait; a task whose submission has no result
// after it is submitted once more, then reported "not judged"); writes the
// class table. Exit status: 0 every
// submission graded (whatever its score), 1 some could not be judged, 2 the
// request is wrong.
int run_grade(const grade_request& req, const options& o,
              const std::function<run_result(options)>& runner);

} // namespace harness
