// SPDX-License-Identifier: GPL-2.0-or-later
#include "verdict.hpp"

#include "oracle/models.hpp"

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

constexpr std::uint64_t page_mask = ~std::uint64_t{oracle::page_size - 1};

// The scenario process (and its layout) that a pid belongs to.
const workloads::process_view* process_of(const workloads::query_point& q, pid_t pid,
                                          oracle::process_id& id) {
    for (const auto& [pid_id, p] : q.processes)
        if (p.pid == pid) {
            id = pid_id;
            return &p;
        }
    id = -1;
    return nullptr;
}

bool died_of_segv(const workloads::query_point& q, const observer::fault_sample& f) {
    if (!f.write())
        return false; // the read before it was served
    for (const auto& [pid, address] : q.segv_writes)
        if (f.tid == pid && (f.address & page_mask) == (address & page_mask))
            return true;
    return false;
}

// [vsyscall] is shown by /proc/PID/maps on x86_64 but is no VMA.
oracle::layout parse_layout(const std::string& maps) {
    auto l = oracle::parse_maps(maps);
    std::erase_if(l, [](const oracle::vma& v) { return v.name == "[vsyscall]"; });
    return l;
}

// The layout the record must report: its last executed process's, or none.
oracle::layout expected_layout(const evidence& e, const std::string& name) {
    auto rec = e.prediction.records.find(name);
    auto seen = e.query.names.find(name);
    if (rec == e.prediction.records.end() || !rec->second.reported || seen == e.query.names.end())
        return {};
    return parse_layout(seen->second.maps);
}

std::string count_text(long n) {
    return std::to_string(n);
}

struct record_context {
    const evidence& e;
    const std::string& name;
    const std::vector<oracle::fault_event>& perf;
    oracle::layout layout;
    record_verdict v;
};

// nb_vma, the ranges, and what lies past them.
void check_layout(record_context& c, const pf_stat& k) {
    std::size_t expected_n = std::min<std::size_t>(c.layout.size(), max_size);
    if (k.nb_vma < 0 || k.nb_vma > max_size) {
        c.v.problems.push_back("nb_vma is " + std::to_string(k.nb_vma) + ", outside 0.." +
                               std::to_string(max_size) +
                               ": the tester would index past its arrays");
        return;
    }
    bool same = static_cast<std::size_t>(k.nb_vma) == expected_n;
    for (int i = 0; same && i < k.nb_vma; ++i)
        same = c.layout[i].start == static_cast<std::uint64_t>(k.vma_list_start[i]) &&
               c.layout[i].end == static_cast<std::uint64_t>(k.vma_list_end[i]);
    if (!same)
        c.v.problems.push_back("the reported layout (" + std::to_string(k.nb_vma) +
                               " VMAs) is not the last executed process's (" +
                               std::to_string(c.layout.size()) + " VMAs, " +
                               std::to_string(expected_n) + " reportable)");
    if (int stale = stale_entries(k))
        c.v.problems.push_back(std::to_string(stale) +
                               " entries past nb_vma are not zero: stale addresses reach user "
                               "space");
}

void compare_row(record_context& c, vma_row& row) {
    auto differs = [&](const char* a, long x, const char* b, long y, const char* why) {
        row.agree = false;
        c.v.problems.push_back("VMA " + describe(row.area) + ": " + a + " " + count_text(x) + ", " +
                               b + " " + count_text(y) + why);
    };
    if (row.kernel_count && row.oracle_count && *row.kernel_count != *row.oracle_count)
        differs("kernel", *row.kernel_count, "oracle", *row.oracle_count, "");
    if (row.kernel_count && row.perf_count && *row.kernel_count != *row.perf_count)
        differs("kernel", *row.kernel_count, "perf", *row.perf_count, "");
    if (row.oracle_count && row.perf_count && *row.oracle_count != *row.perf_count)
        differs("oracle", *row.oracle_count, "perf", *row.perf_count,
                " (the oracle's model of this kernel is wrong: a pfcheck bug)");
}

void fill_rows(record_context& c) {
    const auto& s = *c.e.s;
    const auto& rec = c.e.prediction.records.at(c.name);
    const auto& slots = c.e.query.slots;
    oracle::prediction only{.faults = rec.faults};
    auto binned = oracle::bin(only, slots, c.layout);
    std::map<std::pair<std::uint64_t, std::uint64_t>, long> kernel_by_range;
    auto answer = c.e.kernel.find(c.name);
    const pf_stat* k =
        answer != c.e.kernel.end() && answer->second.stat ? &*answer->second.stat : nullptr;
    if (k)
        for (int i = 0; i < std::clamp(k->nb_vma, 0, max_size); ++i)
            kernel_by_range[{k->vma_list_start[i], k->vma_list_end[i]}] = k->vma_fault[i];
    std::optional<oracle::record_count> perf;
    if (c.e.perf)
        perf = oracle::count_record(c.perf, c.e.prediction.marks, c.name, {}, slots);
    std::vector<long> perf_per_vma(c.layout.size(), 0);
    if (perf)
        for (const auto& [page, n] : perf->sure)
            if (auto i = oracle::find_vma(c.layout, page))
                perf_per_vma[*i] += n;
    for (std::size_t i = 0; i < c.layout.size(); ++i) {
        vma_row row{.area = c.layout[i]};
        row.controlled = oracle::controlled(row.area, slots, oracle::slot_count(s));
        if (row.controlled)
            row.oracle_count = binned.per_vma[i];
        if (perf)
            row.perf_count = perf_per_vma[i];
        if (auto it = kernel_by_range.find({row.area.start, row.area.end});
            it != kernel_by_range.end())
            row.kernel_count = it->second;
        else if (k && i < static_cast<std::size_t>(max_size))
            c.v.problems.push_back("the kernel does not report VMA " + describe(row.area));
        compare_row(c, row);
        c.v.rows.push_back(row);
    }
    if (perf)
        c.v.perf_total = perf->total;
}

void check_totals(record_context& c, const pf_stat& k) {
    auto& v = c.v;
    v.kernel_total = k.cow_page_faults;
    if (v.perf_total && *v.kernel_total != *v.perf_total)
        v.problems.push_back("total: kernel " + count_text(*v.kernel_total) + ", perf " +
                             count_text(*v.perf_total));
    if (*v.kernel_total < v.oracle_total)
        v.problems.push_back("total: kernel " + count_text(*v.kernel_total) + ", below the " +
                             count_text(v.oracle_total) +
                             " CoW faults the oracle predicts in the scenario's regions alone");
    // The per-VMA counts are a part of the total.
    long parts = 0;
    for (int i = 0; i < std::clamp(k.nb_vma, 0, max_size); ++i)
        parts += k.vma_fault[i];
    if (parts > *v.kernel_total)
        v.problems.push_back("the per-VMA counts add up to " + count_text(parts) +
                             ", more than the total " + count_text(*v.kernel_total));
}

record_verdict judge_record(const evidence& e, const std::string& name,
                            const std::vector<oracle::fault_event>& perf) {
    record_context c{e, name, perf, expected_layout(e, name), {.name = name}};
    auto rec = e.prediction.records.find(name);
    auto answer = e.kernel.find(name);
    bool asked = !e.kernel_skipped && answer != e.kernel.end();
    if (rec == e.prediction.records.end()) {
        // Cleaned up: the name is no longer tracked.
        if (asked && answer->second.err != EINVAL)
            c.v.problems.push_back("pf_get_info(\"" + name + "\") after pf_cleanup: expected " +
                                   "EINVAL, got " + errno_name(answer->second.err));
        return c.v;
    }
    c.v.oracle_total = rec->second.total;
    fill_rows(c);
    if (e.kernel_skipped)
        return c.v;
    if (!asked)
        c.v.problems.push_back("the kernel was not asked: the scenario did not reach its query");
    else if (!answer->second.stat)
        c.v.problems.push_back("pf_get_info(\"" + name +
                               "\") failed: " + errno_name(answer->second.err));
    else {
        check_layout(c, *answer->second.stat);
        check_totals(c, *answer->second.stat);
    }
    return c.v;
}

void check_perf(const evidence& e, verdict& v) {
    if (!e.perf) {
        v.perf_status = "unavailable: " + e.perf_unavailable;
        if (e.kernel_skipped)
            v.problems.push_back("nothing to compare: the kernel was not asked and perf is " +
                                 v.perf_status);
        return;
    }
    v.perf_status = "ok";
    if (e.perf->lost)
        v.problems.push_back("perf lost " + std::to_string(e.perf->lost) +
                             " samples: its counts are a lower bound");
    // Every CoW fault is a minor fault (those that died of SIGSEGV are not,
    // and are not CoW).
    long cow = 0;
    for (const auto& f : e.perf->faults)
        cow += f.user_write_to_present();
    if (e.minor_faults &&
        static_cast<std::uint64_t>(cow) > e.minor_faults + e.query.segv_writes.size())
        v.problems.push_back("perf saw more CoW faults (" + std::to_string(cow) +
                             ") than minor faults (" + std::to_string(e.minor_faults) + ")");
}

} // namespace

namespace {

// Where user space ends (i386's 3G/1G split, x86_64's 47 bits): a kernel-mode
// fault below it is on a process's memory, even one whose layout is gone
// (a task killed by a signal, or the image before an exec).
constexpr std::uint64_t user_end = sizeof(void*) == 4 ? 0xc0000000ull : 0x800000000000ull;

// Where one of perf's faults fell: its scenario process and the VMA of that
// process's layout at the query (null: none, or the layout is gone).
struct located {
    oracle::process_id id = -1;
    const oracle::vma* vma = nullptr;
    bool segv = false;
};

// Locates every fault, parsing each process's maps once. `layouts` owns the
// VMAs the result points to.
std::vector<located> locate(const observer::observation& o, const workloads::query_point& q,
                            std::map<pid_t, oracle::layout>& layouts) {
    std::vector<located> out;
    out.reserve(o.faults.size());
    for (const auto& f : o.faults) {
        located at;
        const auto* proc = process_of(q, f.pid, at.id);
        auto [l, fresh] = layouts.try_emplace(f.pid);
        if (fresh && proc)
            l->second = parse_layout(proc->maps);
        if (auto vma = oracle::find_vma(l->second, f.address))
            at.vma = &l->second[*vma];
        at.segv = died_of_segv(q, f);
        out.push_back(at);
    }
    return out;
}

} // namespace

std::vector<oracle::fault_event> perf_events(const observer::observation& o,
                                             const workloads::query_point& q) {
    std::map<pid_t, oracle::layout> layouts;
    auto where = locate(o, q, layouts);
    // The VMAs (by start) that took a write the kernel allowed: writable
    // then, whatever they are now (RELRO is made read-only after relocation).
    std::set<std::uint64_t> written;
    for (std::size_t i = 0; i < o.faults.size(); ++i)
        if (where[i].vma && o.faults[i].write() && !where[i].segv)
            written.insert(where[i].vma->start);
    std::vector<oracle::fault_event> out;
    for (std::size_t i = 0; i < o.faults.size(); ++i) {
        const auto& f = o.faults[i];
        const auto& at = where[i];
        if (!f.user() && f.address >= user_end)
            continue; // the kernel's own addresses
        bool writable_now = at.vma && at.vma->writable();
        out.push_back({.step = f.step,
                       .exec_serial = f.exec_serial,
                       .pid = at.id,
                       .address = f.address,
                       .user = f.user(),
                       .write = f.write(),
                       .present = f.present(),
                       .shared = at.vma && at.vma->shared(),
                       // A write that did not kill the task was allowed then.
                       .writable = (f.write() && !at.segv) || writable_now,
                       // A read in a VMA read-only now but written before
                       // (RELRO): it may have come before the mprotect.
                       .writable_unsure = !writable_now && at.vma && written.count(at.vma->start),
                       .segv = at.segv,
                       .reuse_known = false,
                       .main_thread = f.tid == f.pid,
                       .in_exec = f.in_exec,
                       .comm = f.comm,
                       .exec_comm = f.exec_comm});
    }
    return out;
}

oracle::layout reported_layout(const pf_stat& k) {
    oracle::layout l;
    for (int i = 0; i < std::clamp(k.nb_vma, 0, max_size); ++i)
        l.push_back({static_cast<std::uint64_t>(k.vma_list_start[i]),
                     static_cast<std::uint64_t>(k.vma_list_end[i])});
    return l;
}

int stale_entries(const pf_stat& k) {
    int stale = 0;
    for (int i = std::clamp(k.nb_vma, 0, max_size); i < max_size; ++i)
        stale += k.vma_list_start[i] != 0 || k.vma_list_end[i] != 0 || k.vma_fault[i] != 0;
    return stale;
}

verdict judge(const evidence& e) {
    verdict v;
    v.scenario = e.s->name;
    v.slots = e.query.slots;
    for (const auto& err : e.run_errors)
        v.problems.push_back("the workload did not run as scripted: " + err);
    for (const auto& err : e.prediction.errors)
        v.problems.push_back("the oracle rejects the scenario: " + err);
    check_perf(e, v);
    auto perf = e.perf ? perf_events(*e.perf, e.query) : std::vector<oracle::fault_event>{};
    for (const auto& name : oracle::tracked_names(*e.s)) {
        auto r = judge_record(e, name, perf);
        for (const auto& p : r.problems)
            v.problems.push_back(name == e.s->name ? p : "[" + name + "] " + p);
        v.records.push_back(std::move(r));
    }
    const auto& own = v.records.front();
    v.rows = own.rows;
    v.oracle_total = own.oracle_total;
    v.perf_total = own.perf_total;
    v.kernel_total = own.kernel_total;
    bool any_controlled =
        std::any_of(v.rows.begin(), v.rows.end(), [](const vma_row& r) { return r.controlled; });
    if (!any_controlled && !e.s->regions.empty() && e.run_errors.empty() &&
        e.prediction.records.count(e.s->name) && e.prediction.records.at(e.s->name).reported)
        v.problems.push_back("none of the scenario's regions is in the observed layout: the oracle "
                             "could not be compared (a pfcheck bug)");
    v.pass = v.problems.empty();
    return v;
}

} // namespace pfcheck
