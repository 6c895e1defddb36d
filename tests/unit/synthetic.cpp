// SPDX-License-Identifier: GPL-2.0-or-later
#include "synthetic.hpp"

#include "workloads/catalogue.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

namespace synthetic {

using namespace pfcheck;

namespace {

constexpr std::uint64_t data_page = 0x0832c000;
constexpr std::uint64_t relro_page = 0x08325000;
const char* stack_line = "bfa8c000-bfaad000 rw-p 00000000 00:00 0     [stack]\n";

pid_t pid_of(oracle::process_id id) {
    return id >= 0 ? 1000 + id : 5000 - id;
}

std::string maps_of(const std::vector<oracle::vma_extent>& vmas, const oracle::slot_map& slots) {
    std::string out = program_maps();
    for (const auto& v : vmas) {
        char line[128];
        std::snprintf(line, sizeof line, "%llx-%llx %s 00000000 00:00 0 \n",
                      static_cast<unsigned long long>(slots.address({v.slot, v.first})),
                      static_cast<unsigned long long>(slots.address({v.slot, v.last})),
                      v.shared ? "rw-s" : (v.writable ? "rw-p" : "r--p"));
        out += line;
    }
    return out + stack_line;
}

std::uint32_t error_code(const oracle::fault_event& e) {
    return (e.user ? observer::pf_user : 0) | (e.write ? observer::pf_write : 0) |
           (e.present ? observer::pf_prot : 0);
}

// perf's view of the oracle's faults, plus `data_faults` CoW faults of the
// root in the program's data and a few first touches on its stack.
observer::observation perf_of(const oracle::prediction& p, const oracle::slot_map& slots,
                              const std::string& name, long data_faults, bool outside,
                              int last_exec, int last_step, workloads::query_point& q) {
    observer::observation o;
    o.kernel_faults = true;
    for (const auto& e : p.events) {
        observer::fault_sample f;
        f.pid = pid_of(e.pid);
        f.tid = e.main_thread ? f.pid : f.pid + 500;
        f.address = slots.address(e.site);
        f.error_code = error_code(e);
        f.comm = e.comm;
        f.exec_comm = e.exec_comm;
        f.exec_serial = e.exec_serial;
        f.step = e.step;
        if (e.segv)
            q.segv_writes.emplace_back(f.tid, f.address);
        o.faults.push_back(f);
    }
    auto own = [&](std::uint64_t address, std::uint32_t err, bool in_exec = false) {
        o.faults.push_back({.pid = pid_of(0),
                            .tid = pid_of(0),
                            .address = address,
                            .error_code = err,
                            .comm = name,
                            .exec_comm = name,
                            .exec_serial = last_exec,
                            .step = last_step,
                            .in_exec = in_exec});
    };
    if (!outside)
        return o;
    // The ELF loader zeroes the end of .data in kernel mode (padzero).
    own(data_page + oracle::page_size, observer::pf_write, true);
    // glibc relocates RELRO (a first touch), reads it, then makes it read-only.
    own(relro_page, observer::pf_user | observer::pf_write);
    own(relro_page + oracle::page_size, observer::pf_user);
    for (long i = 0; i < data_faults; ++i)
        own(data_page, observer::pf_user | observer::pf_write | observer::pf_prot);
    for (int i = 0; i < 3; ++i)
        own(0xbfa9c000 + 4096u * i, observer::pf_user | observer::pf_write);
    return o;
}

workloads::query_point query_of(const oracle::scenario& s, const oracle::prediction& p,
                                const oracle::slot_map& slots) {
    workloads::query_point q;
    q.slots = slots;
    std::set<oracle::process_id> exited;
    oracle::process_id most = 0;
    for (const auto& st : s.steps) {
        most = std::max({most, st.actor, st.child});
        if (st.what == oracle::action::exit)
            exited.insert(st.actor);
    }
    for (oracle::process_id id = 0; id <= most; ++id) {
        auto vmas = p.process_vmas.find(id);
        q.processes[id] = {.pid = pid_of(id),
                           .alive = !exited.count(id),
                           .maps = maps_of(vmas == p.process_vmas.end()
                                               ? std::vector<oracle::vma_extent>{}
                                               : vmas->second,
                                           slots),
                           .startup_maps = program_maps() + stack_line};
    }
    for (const auto& [name, rec] : p.records)
        if (rec.reported)
            q.names[name] = {.reported = *rec.reported,
                             .pid = pid_of(*rec.reported),
                             .left = rec.left,
                             .maps = maps_of(rec.vmas, slots)};
    if (q.names.count(s.name)) {
        q.reported_pid = q.names[s.name].pid;
        q.maps = q.names[s.name].maps;
    }
    return q;
}

// What a kernel following `rules` answers for one record.
kernel_answer answer(const diagnosis_case& c, const case_record& rec,
                     const oracle::kernel_rules& rules, bool loader_counted) {
    if (!answers(c, rec, rules))
        return {std::nullopt, rules.untracked_errno ? ENOENT : EINVAL};
    pf_stat k{};
    auto x = oracle::expected_layouts(rules, layout_for(c, rec, rules)).front();
    k.nb_vma = x.nb_vma;
    int n = std::min<int>(static_cast<int>(x.ranges.size()), max_size);
    for (int i = 0; i < n; ++i) {
        k.vma_list_start[i] = static_cast<unsigned long>(x.ranges[i].first);
        k.vma_list_end[i] = static_cast<unsigned long>(x.ranges[i].second);
    }
    auto events = c.events;
    if (!loader_counted)
        std::erase_if(events, [](const oracle::fault_event& e) { return e.in_exec; });
    for (auto& e : events) // the truth: RELRO was writable when it was read
        e.writable = e.writable || e.writable_unsure;
    auto counted = oracle::count_record(events, c.marks, rec.name, rules, c.slots);
    std::vector<long> binned(n, 0);
    for (const auto* pages : {&counted->sure, &counted->maybe})
        for (const auto& [page, count] : *pages)
            for (int i = 0; i < n; ++i)
                if (page >= x.ranges[i].first && page < x.ranges[i].second)
                    binned[i] += count;
    for (int j = 0; j < n; ++j) {
        int i = j + rules.shift;
        k.vma_fault[j] = i >= 0 && i < n ? binned[i] : 0;
    }
    k.cow_page_faults = counted->total + counted->total_maybe;
    // Stale entries show where the record restarted: an earlier process's
    // layout was there before.
    int execs = 0;
    for (const auto& m : c.marks)
        execs += m.what == oracle::record_mark::exec && m.name == rec.name;
    if (rules.stale_entries && execs > 1 && n < max_size) {
        k.vma_list_start[max_size - 1] = 0x1000;
        k.vma_list_end[max_size - 1] = 0x2000;
    }
    return {k, 0};
}

} // namespace

std::string program_maps() {
    return "08048000-08324000 r-xp 00000000 00:02 4     /init\n"
           "08324000-0832b000 r--p 002db000 00:02 4     /init\n"
           "0832b000-08336000 rw-p 002e2000 00:02 4     /init\n";
}

evidence make(const std::string& name, const oracle::kernel_rules& rules, long data_faults,
              bool outside, bool loader_counted) {
    evidence e;
    e.s = workloads::find(name);
    if (!e.s)
        return e;
    e.prediction = oracle::predict(*e.s, oracle::linux_6_1());
    oracle::slot_map slots{
        base, static_cast<std::uint64_t>(oracle::slot_stride_pages(*e.s)) * oracle::page_size,
        oracle::page_size};
    e.query = query_of(*e.s, e.prediction, slots);
    int last_exec = 1;
    for (const auto& m : e.prediction.marks)
        if (m.what == oracle::record_mark::exec && m.name == e.s->name)
            last_exec = m.exec_serial;
    e.perf = perf_of(e.prediction, slots, e.s->name, data_faults, outside, last_exec,
                     static_cast<int>(e.s->steps.size()) - 1, e.query);
    // The kernel's answers come from the models, through the diagnosis's own
    // view of the evidence (the same events and layouts it will judge).
    auto c = make_case(e, verdict{});
    for (const auto& rec : c->records)
        e.kernel[rec.name] = answer(*c, rec, rules, loader_counted);
    return e;
}

std::vector<std::string> exposed_by(const std::string& name) {
    std::vector<std::string> out;
    auto correct = make(name, {}, 0, false);
    for (const auto& m : oracle::bug_models()) {
        oracle::kernel_rules r;
        m.apply(r);
        auto buggy = make(name, r, 0, false);
        bool differs = false;
        for (const auto& [n, a] : correct.kernel) {
            const auto& b = buggy.kernel.at(n);
            differs = differs || a.err != b.err || a.stat.has_value() != b.stat.has_value() ||
                      (a.stat && std::memcmp(&*a.stat, &*b.stat, sizeof(pf_stat)) != 0);
        }
        if (differs)
            out.push_back(m.id);
    }
    return out;
}

} // namespace synthetic
