// SPDX-License-Identifier: GPL-2.0-or-later
// The language scenarios are written in: memory regions and a script of steps.
// The oracle predicts from it; the workload executor performs it. The helpers
// that write scenarios tersely are in oracle/script.hpp.
#pragma once

#include <string>
#include <vector>

namespace oracle {

// One page: every scenario, the kernel and the oracle work in 4 KiB pages.
inline constexpr unsigned page_size = 4096;

enum class region_kind {
    anon_private, // MAP_PRIVATE | MAP_ANONYMOUS
    file_private, // MAP_PRIVATE of a file whose pages are all in the page cache
    shared,       // MAP_SHARED of a file: written in place, never CoW
};

enum class protection { read_only, read_write };

// A mapping the scenario controls. It lives in its own slot of a reserved
// address range, between PROT_NONE guards, so that it never merges with others.
struct region {
    std::string name;
    int pages = 0;
    region_kind kind = region_kind::anon_private;
    protection prot = protection::read_write;
};

// Process 0 is the scenario's root: the process executed under the tracked
// name. Other processes get their number from the fork step that creates them.
using process_id = int;
// The actor of steps that pfcheck performs itself (track, cleanup).
inline constexpr process_id runner = -1;

// The actions, from the one table in actions.inc.
enum class action {
#define PFCHECK_ACTION(id, doc) id,
#include "oracle/actions.inc"
#undef PFCHECK_ACTION
};

struct step {
    action what = action::write;
    process_id actor = 0;
    int region = -1; // index in scenario::regions
    int first = 0;   // first page, relative to the region
    int count = 0;   // number of pages; 0 means "to the end of the region"
    process_id child = -1;
    protection prot = protection::read_write;
    std::string name; // rename, exec under another name, track
    int threads = 0;
    int to_slot = -1;
};

// Where a rule comes from (docs/semantics.md): the course's statement and
// slides, or pfcheck's choice where they are silent.
enum class rule_source { course, pfcheck };
const char* to_string(rule_source r);

// When the runner asks the kernel: while the root lives, or after every
// process of the scenario has exited.
enum class query_time { while_alive, after_exit };

struct scenario {
    std::string name;   // short, unique; also the tracked comm (<= 15 bytes)
    std::string proves; // one sentence: what a pass shows
    std::vector<region> regions;
    std::vector<step> steps;
    query_time query = query_time::while_alive;
    int spare_slots = 0; // slots beyond one per region, for mremap targets
    // Names tracked from the start besides `name` (exec steps may use them).
    std::vector<std::string> also_tracked;
    // What a pass checks: a rule of the course, or one of pfcheck's own.
    rule_source rule = rule_source::course;
    // The bug models (oracle/models.hpp) whose prediction differs from the
    // correct one here: what a failure of this scenario can point to. The
    // catalogue's unit test checks the list against the models.
    std::vector<std::string> exposes;
};

const char* to_string(action a);
// One line: what the action does (from actions.inc).
const char* describe(action a);
const char* to_string(region_kind k);

} // namespace oracle
