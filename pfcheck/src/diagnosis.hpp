// SPDX-License-Identifier: GPL-2.0-or-later
// Model-based diagnosis: which bugs does this kernel have? Each bug model
// (oracle/models.hpp) changes what a kernel counts, when it restarts, how it
// bins, or which layout it reports. The diagnosis searches for the smallest
// set of models whose combined prediction reproduces every answer the kernel
// gave, in every scenario at once (the passing ones too: a model must not
// predict a failure the kernel did not show), and names each bug with its
// evidence. Pure: unit tests feed it recorded or synthetic answers.
#pragma once

#include "oracle/models.hpp"
#include "verdict.hpp"

#include <string>
#include <vector>

namespace pfcheck {

// One tracked name of one scenario.
struct case_record {
    std::string name;
    bool exists = true; // still tracked at the query (not cleaned up)
    kernel_answer kernel;
    oracle::layout_evidence layout;
};

// One scenario, as the diagnosis needs it.
struct diagnosis_case {
    std::string scenario;
    bool failed = false;
    // The oracle's faults in the scenario's regions, and perf's elsewhere.
    std::vector<oracle::fault_event> events;
    std::vector<oracle::record_mark> marks;
    oracle::slot_map slots;
    int nslots = 0;
    bool perf = false;          // perf's events cover the VMAs the oracle does not
    bool kernel_faults = false; // ... including the kernel-mode ones
    std::vector<case_record> records;
};

// Nothing to diagnose when the kernel was not asked or the workload failed.
std::optional<diagnosis_case> make_case(const evidence& e, const verdict& v);

// Whether a kernel following `r` still has a record to answer for `rec`
// (under prefix_names, a record whose name starts `rec.name` answers).
bool answers(const diagnosis_case& c, const case_record& rec, const oracle::kernel_rules& r);
// The layout evidence of the record that answers for `rec`: under
// prefix_names, that of the name executed last among those it stands for.
const oracle::layout_evidence& layout_for(const diagnosis_case& c, const case_record& rec,
                                          const oracle::kernel_rules& r);

struct bug_finding {
    std::string id;  // the model's
    std::string bug; // one line
    std::string mechanism;
    std::vector<std::string> alternatives; // models that the scenarios cannot tell from it
    std::vector<std::string> scenarios;    // where it shows
    std::vector<std::string> evidence;     // "scenario: VMA ...: expected N, got M", a few
};

struct diagnosis {
    std::vector<bug_finding> bugs;
    // Scenarios that no combination of models explains: the residue under
    // the closest combination.
    std::vector<std::string> unexplained;
    std::map<std::string, std::vector<std::string>> by_scenario; // scenario -> bug lines
    int cases = 0;
    double seconds = 0;
    bool explained() const { return unexplained.empty(); }
};

diagnosis diagnose(const std::vector<diagnosis_case>& cases);

// Does this set of rules reproduce the case? "" when it does, else the first
// difference, plainly. Counts and layouts are checked apart: the counts are
// binned into the ranges the kernel reported, so a wrong layout does not
// hide a right count.
std::string count_residue(const diagnosis_case& c, const oracle::kernel_rules& r);
std::string layout_residue(const diagnosis_case& c, const oracle::kernel_rules& r);

// "Your kernel: 2 bugs found" and the list, for a terminal or Markdown.
std::string to_text(const diagnosis& d);

} // namespace pfcheck
