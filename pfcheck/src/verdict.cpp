// SPDX-License-Identifier: GPL-2.0-or-later
#include "verdict.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

namespace pfcheck {

namespace {

std::string hex(std::uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

std::string describe(const oracle::vma& v) {
    return hex(v.start) + "-" + hex(v.end) + (v.name.empty() ? "" : " " + v.name);
}

constexpr std::uint64_t page_mask = ~std::uint64_t{4095};

bool counts_for_cow(const observer::fault_sample& f, const std::string& comm,
                    const oracle::layout& l, const segv_list& segv) {
    if (f.comm != comm || !f.user_write_to_present())
        return false;
    for (const auto& [pid, address] : segv)
        if (f.tid == pid && (f.address & page_mask) == (address & page_mask))
            return false;
    // Outside every VMA of the final layout (unmapped since, or another
    // process's mapping): the tracepoint cannot tell, so it counts.
    auto i = oracle::find_vma(l, f.address);
    return !i || !l[*i].shared();
}

// A known mistake: the scenarios where it shows, and which way the kernel errs.
struct known_bug {
    const char* diagnosis;
    std::set<std::string> scenarios;
    int sign; // +1: kernel counts more than predicted; -1: fewer
};

const std::vector<known_bug>& known_bugs() {
    static const std::vector<known_bug> bugs = {
        {"counts first-touch writes as CoW (the fault on a not-present page is not CoW)",
         {"first_touch", "file_write_1st", "untouched_fork", "dontneed", "zero_page_fork", "reexec",
          "file_fork_clean"},
         +1},
        {"counts writes to MAP_SHARED memory (shared pages are written in place)",
         {"shared_writes", "uffd_wp_shared"},
         +1},
        {"counts only faults that copy the page, missing reuse faults",
         {"write_aft_exit", "child_outlives", "threads_page", "mprotect_shared", "dontneed",
          "vfork_shared"},
         -1},
        {"misses the faults of forked children",
         {"child_first", "fork_chain", "grandchild_orph", "parent_first", "large_region"},
         -1},
        {"does not reset the record when the process is executed again",
         {"reexec", "exec_child"},
         +1},
        {"counts faults that the kernel takes in kernel mode (copy_to_user)", {"kernel_write"}, +1},
        {"counts a retried fault again (a write fault that waited on userfaultfd is retried "
         "once, and is one fault)",
         {"uffd_wp_anon"},
         +1},
        {"counts a renamed process by its old name, or matches names loosely",
         {"rename_child", "prefix_name"},
         +1},
    };
    return bugs;
}

} // namespace

long perf_cow_total(const observer::observation& o, const std::string& comm,
                    const oracle::layout& l, const segv_list& segv) {
    long n = 0;
    for (const auto& f : o.faults)
        n += counts_for_cow(f, comm, l, segv);
    return n;
}

std::vector<long> perf_per_vma(const observer::observation& o, const std::string& comm,
                               const oracle::layout& l, const segv_list& segv) {
    std::vector<long> per(l.size(), 0);
    for (const auto& f : o.faults)
        if (counts_for_cow(f, comm, l, segv))
            if (auto i = oracle::find_vma(l, f.address))
                ++per[*i];
    return per;
}

verdict judge(const evidence& e) {
    verdict v;
    const auto& s = *e.s;
    v.scenario = s.name;
    v.slots = e.slots;
    for (const auto& err : e.run_errors)
        v.problems.push_back("the workload did not run as scripted: " + err);
    for (const auto& err : e.prediction.errors)
        v.problems.push_back("the oracle rejects the scenario: " + err);

    int nslots = oracle::slot_count(s);
    auto binned = oracle::bin(e.prediction, e.slots, e.layout);
    std::vector<long> perf;
    if (e.perf) {
        v.perf_status = "ok";
        perf = perf_per_vma(*e.perf, s.name, e.layout, e.segv_writes);
        v.perf_total = perf_cow_total(*e.perf, s.name, e.layout, e.segv_writes);
        if (e.perf->lost)
            v.problems.push_back("perf lost " + std::to_string(e.perf->lost) +
                                 " samples: its counts are a lower bound");
        if (e.minor_faults && static_cast<std::uint64_t>(*v.perf_total) > e.minor_faults)
            v.problems.push_back("perf saw more CoW faults (" + std::to_string(*v.perf_total) +
                                 ") than minor faults (" + std::to_string(e.minor_faults) + ")");
    } else {
        v.perf_status = "unavailable: " + e.perf_unavailable;
    }

    // Kernel rows, matched to observed VMAs by range.
    std::map<std::pair<std::uint64_t, std::uint64_t>, long> kernel_by_range;
    if (e.kernel) {
        const auto& k = *e.kernel;
        v.kernel_total = k.cow_page_faults;
        std::size_t expected_n = std::min<std::size_t>(e.layout.size(), max_size);
        if (k.nb_vma < 0 || k.nb_vma > max_size) {
            v.problems.push_back("nb_vma is " + std::to_string(k.nb_vma) +
                                 ", outside 0..128: the tester would index past its arrays");
            v.diagnoses.push_back("nb_vma above 128 (the layout must be clamped to MAX_SIZE)");
        } else {
            bool same = static_cast<std::size_t>(k.nb_vma) == expected_n;
            for (int i = 0; i < k.nb_vma; ++i) {
                auto start = static_cast<std::uint64_t>(k.vma_list_start[i]);
                auto end = static_cast<std::uint64_t>(k.vma_list_end[i]);
                kernel_by_range[{start, end}] = k.vma_fault[i];
                if (static_cast<std::size_t>(i) >= e.layout.size() || e.layout[i].start != start ||
                    e.layout[i].end != end)
                    same = false;
            }
            if (!same) {
                v.problems.push_back("the reported layout (" + std::to_string(k.nb_vma) +
                                     " VMAs) is not the process's layout at query time (" +
                                     std::to_string(e.layout.size()) + " VMAs, " +
                                     std::to_string(expected_n) + " reportable)");
                v.diagnoses.push_back(
                    "layout taken at the wrong moment, or not the last executed process's");
            }
        }
    } else if (e.kernel_skipped) {
        // The user asked for the oracle against perf only; without perf,
        // nothing would be compared, and that is no pass.
        if (!e.perf)
            v.problems.push_back("nothing to compare: the kernel was not asked and perf is " +
                                 v.perf_status);
    } else if (e.kernel_errno) {
        v.problems.push_back("pf_get_info failed: " + errno_name(e.kernel_errno));
    } else {
        v.problems.push_back("the kernel was not asked: the scenario did not reach its query");
    }

    long kernel_controlled = 0, oracle_controlled = 0;
    for (std::size_t i = 0; i < e.layout.size(); ++i) {
        vma_row row;
        row.area = e.layout[i];
        row.controlled = oracle::controlled(row.area, e.slots, nslots);
        if (row.controlled)
            row.oracle_count = binned.per_vma[i];
        if (e.perf)
            row.perf_count = perf[i];
        if (auto it = kernel_by_range.find({row.area.start, row.area.end});
            it != kernel_by_range.end())
            row.kernel_count = it->second;
        else if (e.kernel && i < max_size)
            v.problems.push_back("the kernel does not report VMA " + describe(row.area));

        if (row.kernel_count && row.oracle_count && *row.kernel_count != *row.oracle_count) {
            row.agree = false;
            v.problems.push_back("VMA " + describe(row.area) + ": kernel " +
                                 std::to_string(*row.kernel_count) + ", oracle " +
                                 std::to_string(*row.oracle_count));
        }
        if (row.kernel_count && row.perf_count && *row.kernel_count != *row.perf_count) {
            row.agree = false;
            v.problems.push_back("VMA " + describe(row.area) + ": kernel " +
                                 std::to_string(*row.kernel_count) + ", perf " +
                                 std::to_string(*row.perf_count));
        }
        if (row.oracle_count && row.perf_count && *row.oracle_count != *row.perf_count) {
            row.agree = false;
            v.problems.push_back("VMA " + describe(row.area) + ": oracle " +
                                 std::to_string(*row.oracle_count) + ", perf " +
                                 std::to_string(*row.perf_count) +
                                 " (the oracle's model of this kernel is wrong: a pfcheck bug)");
        }
        if (row.controlled) {
            oracle_controlled += row.oracle_count.value_or(0);
            kernel_controlled += row.kernel_count.value_or(0);
        }
        v.rows.push_back(row);
    }
    v.oracle_total = e.prediction.total;
    bool any_controlled = false;
    for (const auto& row : v.rows)
        any_controlled = any_controlled || row.controlled;
    if (!any_controlled && !s.regions.empty() && e.run_errors.empty())
        v.problems.push_back("none of the scenario's regions is in the observed layout: the oracle "
                             "could not be compared (a pfcheck bug)");

    if (v.kernel_total && v.perf_total && *v.kernel_total != *v.perf_total)
        v.problems.push_back("total: kernel " + std::to_string(*v.kernel_total) + ", perf " +
                             std::to_string(*v.perf_total));
    if (v.kernel_total && *v.kernel_total < e.prediction.total)
        v.problems.push_back("total: kernel " + std::to_string(*v.kernel_total) + ", below the " +
                             std::to_string(e.prediction.total) +
                             " CoW faults the oracle predicts in the scenario's regions alone");

    // Name the cause when the controlled counts err the way a known bug does.
    if (e.kernel && kernel_controlled != oracle_controlled) {
        int sign = kernel_controlled > oracle_controlled ? +1 : -1;
        for (const auto& bug : known_bugs())
            if (bug.sign == sign && bug.scenarios.count(s.name))
                v.diagnoses.push_back(bug.diagnosis);
        // Counts right in total but in the wrong VMAs: shifted by an index?
        std::vector<long> k, p;
        for (const auto& row : v.rows)
            if (row.kernel_count) {
                k.push_back(*row.kernel_count);
                p.push_back(row.oracle_count.value_or(row.perf_count.value_or(0)));
            }
        for (int shift : {-1, +1}) {
            bool match = k.size() > 2;
            for (std::size_t i = 0; match && i < k.size(); ++i) {
                long j = static_cast<long>(i) + shift;
                long want = j >= 0 && j < static_cast<long>(p.size()) ? p[j] : 0;
                match = k[i] == want;
            }
            if (match)
                v.diagnoses.push_back("per-VMA counts shifted by one index");
        }
    }
    // The per-VMA counts are a part of the total: more in the parts than in
    // the whole means counts survived a restart of the record.
    if (e.kernel && v.kernel_total) {
        long parts = 0;
        for (int i = 0; i < std::min(e.kernel->nb_vma, max_size); ++i)
            parts += e.kernel->vma_fault[i];
        if (parts > *v.kernel_total) {
            v.problems.push_back("the per-VMA counts add up to " + std::to_string(parts) +
                                 ", more than the total " + std::to_string(*v.kernel_total));
            v.diagnoses.push_back(
                "per-VMA counts not cleared when the record restarted (exec): they exceed the "
                "total");
        }
    }
    if (e.kernel && v.diagnoses.empty() && !v.problems.empty() && e.run_errors.empty())
        v.diagnoses.push_back("no known pattern: compare the rows above with `pfcheck explain " +
                              s.name + "`");
    v.pass = v.problems.empty();
    return v;
}

} // namespace pfcheck
