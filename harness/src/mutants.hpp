// SPDX-License-Identifier: GPL-2.0-or-later
// The mutants: one-bug variants of the 6.1 series in patch/mutants/, each of
// which must be caught with the diagnosis its patch announces. What a mutant
// is, how its run is judged, and the table and state the runs leave in
// results/mutants/. (main.cpp runs them.)
#pragma once

#include "pipeline.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace harness {

// A mutant, from its patch's header: a patch on top of the 6.1 series
// (NAME.patch), or a whole series in its own directory (NAME/, its header in
// NAME/MUTANT), a student's kernel, say.
struct mutant {
    std::filesystem::path patch; // the patch, or the series' directory
    bool series = false;         // patch is a directory: the whole series
    std::string name;            // the file's stem
    std::string description;     // the Subject, after "[PATCH] mutant: "
    std::string expect;          // Expect-Diagnosis: words the diagnosis must hold
    // Expect-Bugs: the bug models the diagnosis must name, all and only
    // these (or models it cannot tell from them), with no scenario left
    // unexplained.
    std::vector<std::string> expect_bugs;
    std::string run_arch; // Run-Arch: where the bug shows (x86_64's uffd-wp, say); "" any
    bool debug = false;   // Run-Mode: debug: only the debug kernel's fuzzer and stress show it
};

enum class mutant_outcome { survived, killed, wrong_diagnosis, error };
NLOHMANN_JSON_SERIALIZE_ENUM(mutant_outcome, {{mutant_outcome::survived, "survived"},
                                              {mutant_outcome::killed, "killed"},
                                              {mutant_outcome::wrong_diagnosis, "wrong_diagnosis"},
                                              {mutant_outcome::error, "error"}})

// A row of the table, and of results/mutants/state.json.
struct mutant_row {
    std::string name, description, run_on;
    mutant_outcome result = mutant_outcome::error;
    std::string error;         // why nothing was judged, for mutant_outcome::error
    std::string failed_checks; // "3: fork_chain, parent_first, abi"
    std::string diagnosis;     // the line that names the bug, or else the first failure
    double seconds = 0;        // build and run
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(mutant_row, name, description, run_on, result,
                                                error, failed_checks, diagnosis, seconds)

// The patch's header lines: "Subject: [PATCH] mutant: ..." (folded lines
// unfolded), Expect-Diagnosis, Expect-Bugs, Run-Arch, Run-Mode; for a
// directory, the same lines in its MUTANT file.
mutant read_mutant(const std::filesystem::path& patch);

// Whether the bugs named are exactly the expected ones: each expected model
// named (or an equivalent), each named bug expected, nothing unexplained.
bool named_exactly(const std::vector<std::string>& expected,
                   const std::vector<std::vector<std::string>>& named, int unexplained);

// The mutants of `dir` named in `only` (all when empty), by name.
std::vector<mutant> select_mutants(const std::filesystem::path& dir,
                                   const std::vector<std::string>& only);

// How to run it: the 6.1 series with the mutant on top, into
// results/BASE_NAME/NAME; the debug kernel for a bug only a race shows.
options options_for(const options& o, const mutant& m, const std::string& base_name);

// "i386", or "x86_64, debug kernel": the table's run-on column.
std::string run_on(const options& mo);

// Killed when the run failed and a failed check's message or a kernel report
// holds the Expect-Diagnosis words; survived when it passed; an error when
// nothing could be judged.
mutant_row judge_mutant(const mutant& m, const std::string& run_on, const run_result& res,
                        double seconds);

// "SURVIVED", "killed", "killed, wrong diagnosis", "ERROR: why".
std::string outcome_text(const mutant_row& r);

// The rows of this run, and (when only some mutants ran) the other rows of
// the saved state whose patch still exists in `patches`; saves the result
// to `state` and returns it.
std::vector<mutant_row> merge_state(const std::filesystem::path& state,
                                    std::vector<mutant_row> rows,
                                    const std::vector<std::string>& only,
                                    const std::filesystem::path& patches);

// OUT/summary.{md,csv,tex}: a row per mutant, and the kill rate. 0 when
// every mutant was killed with the right diagnosis, else 1 (exit_codes.hpp).
int write_summary(const std::filesystem::path& out, const std::vector<mutant_row>& rows);

} // namespace harness
