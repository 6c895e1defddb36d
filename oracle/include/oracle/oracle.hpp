// SPDX-License-Identifier: GPL-2.0-or-later
// The oracle: from a scenario and a kernel model, predict every CoW fault that
// docs/semantics.md says the kernel must count. Pure computation, no syscalls.
#pragma once

#include "oracle/scenario.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace oracle {

// Where kernel versions behave differently, in ways that change the counts.
struct kernel_model {
    std::string name;
    // mprotect(PROT_READ|PROT_WRITE) maps exclusive, dirty anonymous pages
    // writable at once (6.0 and later), instead of leaving them write-protected
    // until the next write faults (4.15).
    bool mprotect_upgrades_exclusive_anon = false;
    // A read fault on a file mapping also maps the cached pages around it.
    int fault_around_pages = 16;
};

kernel_model linux_4_15();
kernel_model linux_6_1();
// The model for a kernel release string such as "6.1.0-pfcheck" or "4.15.0".
kernel_model model_for_release(const std::string& release);

// One page of one slot: slots are the scenario's address ranges, one per
// region plus the spare ones mremap moves regions to.
struct page_site {
    int slot = 0;
    int page = 0;
    auto operator<=>(const page_site&) const = default;
};

// One line of the timeline that `pfcheck explain` prints.
struct event {
    int step = 0; // index in scenario::steps
    std::string text;
};

struct prediction {
    // CoW faults the record must hold at query time, by page.
    std::map<page_site, long> faults;
    long total = 0;
    // The process whose layout the kernel reports (the last executed one).
    process_id reported = 0;
    std::vector<event> timeline;
    // Steps that the oracle rejects (a write to an unmapped page, say).
    std::vector<std::string> errors;
};

prediction predict(const scenario& s, const kernel_model& model);

// Number of slots the scenario uses, and pages per slot (the largest region).
int slot_count(const scenario& s);
int slot_pages(const scenario& s);
// Distance between slots in pages; slot 0 starts on a 4 MiB boundary.
int slot_stride_pages(const scenario& s);

} // namespace oracle
