// SPDX-License-Identifier: GPL-2.0-or-later
#include "oracle/models.hpp"

#include <algorithm>

namespace oracle {

void bug_model::apply(kernel_rules& r) const {
    if (flag)
        r.*flag = true;
    if (shift)
        r.shift = shift;
}

// One row per known mistake: what the kernel does, and where that usually
// comes from in a fault handler or in the syscalls.
const std::vector<bug_model>& bug_models() {
    using k = model_kind;
    using R = kernel_rules;
    static const std::vector<bug_model> all = {
        {"first_touch", k::count,
         "counts first-touch writes as CoW (the fault on a not-present page is not CoW)",
         "the hook tests only the WRITE bit of the error code: a write to a page that is not "
         "present (PROT clear) is a first touch, not a copy-on-write",
         &R::first_touch},
        {"any_fault", k::count, "counts every user page fault, reads included",
         "the hook counts every fault of a tracked task before looking at the error code",
         &R::reads},
        {"kernel_mode", k::count,
         "counts faults that the kernel takes in kernel mode (copy_to_user)",
         "the hook ignores the USER bit: read() into a CoW page faults in kernel mode, on the "
         "process's behalf",
         &R::kernel_mode},
        {"shared_writes", k::count,
         "counts writes to MAP_SHARED memory (shared pages are written in place)",
         "the hook does not exclude VM_SHARED mappings, which are never copied", &R::shared},
        {"segv_faults", k::count,
         "counts faults in memory the task may not write (writes that end in SIGSEGV)",
         "the hook runs before the access checks (access_error) and does not look at the "
         "VMA's flags, so a write to a read-only mapping counts before it kills the task",
         &R::refused},
        {"copy_only", k::count, "counts only faults that copy the page, missing reuse faults",
         "the count sits in wp_page_copy(): when the other sharer is gone, do_wp_page() reuses "
         "the page and the hardware fault is not counted",
         &R::copies_only},
        {"retry_double", k::count,
         "counts a retried fault again (a write fault that waited on userfaultfd is retried "
         "once, and is one fault)",
         "the hook sits after the retry label and does not test FAULT_FLAG_TRIED",
         &R::retries_twice},
        {"no_children", k::count, "misses the faults of forked children",
         "the hook compares the task with the record's executed task (or its pid) instead of "
         "matching the comm, which children inherit",
         &R::last_exec_only},
        {"prefix_match", k::count,
         "counts a renamed process by its old name, or matches names loosely",
         "names are compared with strncmp() over the tracked name's length: any comm that "
         "starts with it matches",
         &R::prefix_names},
        {"rename_ignored", k::count, "keeps counting a process that renamed itself",
         "the tracked flag is set at exec or fork and not updated when the comm changes "
         "(prctl(PR_SET_NAME), /proc/PID/comm)",
         &R::exec_names},
        {"no_exec_reset", k::count, "does not reset the record when the process is executed again",
         "nothing in the exec path (begin_new_exec, bprm_execve) restarts the record",
         &R::never_reset},
        {"stale_pages", k::count,
         "per-VMA counts not cleared when the record restarted (exec): they exceed the total",
         "the exec hook zeroes the total but not the per-page or per-VMA counts", &R::pages_kept},
        {"shifted", k::binning, "per-VMA counts shifted by one index",
         "an off-by-one when the counts are stored: vma_fault[i - 1] instead of vma_fault[i]",
         nullptr, +1},
        {"shifted_up", k::binning, "per-VMA counts shifted by one index (upwards)",
         "an off-by-one when the counts are stored: vma_fault[i + 1] instead of vma_fault[i]",
         nullptr, -1},
        {"layout_never", k::layout, "never reports a layout (nb_vma stays 0)",
         "the layout is read nowhere, or only at a moment when the process has none "
         "(pf_set_param)",
         &R::layout_never},
        {"layout_forgotten", k::layout,
         "forgets the layout when the process exits (get_info after exit reports no VMA)",
         "the layout is read from the live task only; nothing keeps it when the task leaves its "
         "mm (exit_mm/mm_release)",
         &R::layout_forgotten},
        {"layout_at_exec", k::layout,
         "reports the layout taken at exec time, before the program mapped its memory",
         "the exec hook copies the VMA list once; later mmaps, mprotects and munmaps are missed",
         &R::layout_at_exec},
        {"layout_newest", k::layout,
         "reports the layout of the newest forked child, not of the last executed process",
         "a fork hook (copy_process) makes each new child the record's process", &R::layout_newest},
        {"clamp_127", k::layout, "stops the layout at 127 VMAs (off by one)",
         "the loop stops at MAX_SIZE - 1 instead of MAX_SIZE", &R::clamp_127},
        {"no_clamp", k::layout, "nb_vma above 128 (the layout must be clamped to MAX_SIZE)",
         "nb_vma counts every VMA while the arrays hold 128: the tester indexes past them",
         &R::unclamped},
        {"second_name_lost", k::layout,
         "loses the layout of a process executed under two tracked names (nb_vma 0 after it "
         "exits)",
         "the exit hook takes the first record whose last executed task is the exiting one, "
         "which may be the earlier name's, already kept",
         &R::second_name_lost},
        {"untracked_errno", k::count,
         "answers pf_get_info on a name that is not tracked (never, or no longer after "
         "pf_cleanup) with another errno than EINVAL",
         "the lookup's failure returns its own code (-ENOENT, -ESRCH) where the statement asks "
         "-EINVAL",
         &R::untracked_errno},
        {"stale_entries", k::layout,
         "reports stale VMA addresses past nb_vma (another process's earlier layout)",
         "exec zeroes nb_vma but not the arrays, and get_info copies all 128 entries: addresses "
         "of an earlier process, possibly another user's, reach user space",
         &R::stale_entries},
    };
    return all;
}

const bug_model* find_model(const std::string& id) {
    for (const auto& m : bug_models())
        if (m.id == id)
            return &m;
    return nullptr;
}

kernel_rules rules_of(const std::vector<const bug_model*>& models) {
    kernel_rules r;
    for (const auto* m : models)
        m->apply(r);
    return r;
}

namespace {

// Whether a kernel following `r` counts `e`, were its VMA `writable`.
bool admitted(const fault_event& e, const kernel_rules& r, bool writable) {
    if (!e.user && !r.kernel_mode)
        return false;
    if (e.write ? !(e.present || r.first_touch || r.reads) : !r.reads)
        return false;
    // The hook looks at the VMA first: a private one the task may write.
    return (!e.shared || r.shared) && ((writable && !e.segv) || r.refused);
}

// Whether a mark is a change of the tracked names made while the scenario ran.
bool names_changed_by(const record_mark& m, const fault_event& e) {
    return m.what != record_mark::exec && m.step >= 0 && m.precedes(e);
}

// Whether a lookup of `name` finds the record `record`: the same name, or,
// under prefix_names, any name that starts with it (pf_set_param included:
// a name that starts with a live record's name creates none).
bool finds(const std::string& record, const std::string& name, const kernel_rules& r) {
    return r.prefix_names ? name.rfind(record, 0) == 0 : name == record;
}

// The records alive after the marks that precede `at` (every mark when null),
// in the order they were created.
std::vector<std::string> live_records(const std::vector<record_mark>& marks, const kernel_rules& r,
                                      const fault_event* at) {
    std::vector<std::string> live;
    for (const auto& m : marks) {
        if (at && m.what != record_mark::exec && !m.precedes(*at))
            break;
        if (m.what == record_mark::cleaned)
            live.clear();
        else if (m.what == record_mark::tracked &&
                 std::none_of(live.begin(), live.end(),
                              [&](const std::string& l) { return finds(l, m.name, r); }))
            live.push_back(m.name);
    }
    return live;
}

enum class match { no, sure, maybe };

// Whether the kernel finds the record `name` for a task when `e` happens.
match name_match(const fault_event& e, const std::string& name, const kernel_rules& r,
                 const std::vector<record_mark>& marks) {
    if (r.exec_names && e.comm != e.exec_comm) {
        // A kernel that caches the record per task may look the renamed task
        // up again by its new name once the names change: either name.
        bool either = std::any_of(marks.begin(), marks.end(),
                                  [&](const record_mark& m) { return names_changed_by(m, e); });
        if (either && (e.comm == name || e.exec_comm == name))
            return match::maybe;
    }
    const std::string& comm = r.exec_names ? e.exec_comm : e.comm;
    if (!finds(name, comm, r))
        return match::no;
    if (!r.prefix_names)
        return match::sure;
    // Two live records both prefix the comm: which one a lookup finds
    // depends on the order of a hash table.
    auto live = live_records(marks, r, &e);
    auto prefixes = std::count_if(live.begin(), live.end(),
                                  [&](const std::string& l) { return finds(l, comm, r); });
    return prefixes > 1 ? match::maybe : match::sure;
}

} // namespace

std::optional<std::string> record_of(const std::vector<record_mark>& marks, const std::string& name,
                                     const kernel_rules& r) {
    auto live = live_records(marks, r, nullptr);
    auto it = std::find_if(live.begin(), live.end(),
                           [&](const std::string& l) { return finds(l, name, r); });
    return it == live.end() ? std::nullopt : std::optional<std::string>(*it);
}

namespace {

// The record's history at the end: where it was last tracked, and its execs.
struct span {
    const record_mark* tracked = nullptr;
    std::vector<const record_mark*> execs;
};

std::optional<span> record_span(const std::vector<record_mark>& marks, const std::string& name,
                                const kernel_rules& r) {
    span s;
    for (const auto& m : marks) {
        if (m.what == record_mark::cleaned)
            s = {};
        else if (m.what == record_mark::tracked && m.name == name && !s.tracked)
            s.tracked = &m;
        else if (m.what == record_mark::exec && s.tracked && record_of(marks, m.name, r) == name)
            s.execs.push_back(&m);
    }
    if (!s.tracked)
        return std::nullopt;
    return s;
}

// The last executed process of the record when `e` happened (-1: none yet).
process_id last_exec_at(const span& s, const fault_event& e) {
    process_id pid = -1;
    for (const auto* m : s.execs)
        if (m->precedes(e))
            pid = m->pid;
    return pid;
}

} // namespace

std::optional<record_count> count_record(const std::vector<fault_event>& events,
                                         const std::vector<record_mark>& marks,
                                         const std::string& name, const kernel_rules& r,
                                         const slot_map& slots) {
    auto found = record_of(marks, name, r);
    if (!found)
        return std::nullopt;
    auto s = record_span(marks, *found, r);
    if (!s)
        return std::nullopt;
    record_count out;
    if (s->execs.empty())
        return out; // zeros until a process is executed under the name
    // Nothing counts before the first exec: the record has no counters yet.
    const record_mark* restart = r.never_reset ? s->execs.front() : s->execs.back();
    for (const auto& e : events) {
        bool in_total = restart->precedes(e);
        bool in_pages = r.pages_kept ? s->execs.front()->precedes(e) : in_total;
        if (!in_pages)
            continue;
        auto whose = name_match(e, *found, r, marks);
        if (whose == match::no)
            continue;
        // A fault in a VMA that was writable at some point, not now: maybe.
        bool sure = admitted(e, r, e.writable);
        bool unsure = !sure && e.writable_unsure && admitted(e, r, true);
        if (!sure && !unsure)
            continue;
        if (r.last_exec_only && (!e.main_thread || last_exec_at(*s, e) != e.pid))
            continue;
        bool cow = e.write && e.present;
        bool maybe = (r.copies_only && cow && !e.reuse_known) || e.in_exec || unsure ||
                     whose == match::maybe;
        if (r.copies_only && cow && e.reuse_known && e.reuse)
            continue;
        long n = r.retries_twice && e.retried ? 2 : 1;
        std::uint64_t page =
            e.address ? e.address & ~std::uint64_t{page_size - 1} : slots.address(e.site);
        (maybe ? out.maybe : out.sure)[page] += n;
        if (in_total)
            (maybe ? out.total_maybe : out.total) += n;
    }
    return out;
}

namespace {

expected_layout from(const layout& l, std::size_t limit, const std::string& what) {
    expected_layout x;
    for (std::size_t i = 0; i < l.size() && i < limit; ++i)
        x.ranges.emplace_back(l[i].start, l[i].end);
    x.nb_vma = static_cast<int>(x.ranges.size());
    x.what = what;
    return x;
}

constexpr std::size_t max_vmas = 128;

} // namespace

std::vector<expected_layout> expected_layouts(const kernel_rules& r, const layout_evidence& e) {
    std::vector<expected_layout> out;
    if (!e.has_process || r.layout_never)
        return {from({}, 0, "none")};
    if (r.layout_forgotten && e.left)
        return {from({}, 0, "none, the process having left")};
    if (r.layout_at_exec) {
        auto x = from(e.at_start, max_vmas, "the layout at exec");
        x.loose = true;
        return {x};
    }
    const layout& l = r.layout_newest && e.newest ? *e.newest : e.reported;
    std::string what = r.layout_newest && e.newest ? "the newest process's layout" : "the layout";
    std::size_t limit = r.clamp_127 ? max_vmas - 1 : max_vmas;
    auto x = from(l, r.unclamped ? l.size() : limit, what);
    if (r.unclamped) {
        x.nb_vma = static_cast<int>(l.size());
        x.ranges.resize(std::min(x.ranges.size(), max_vmas));
    }
    // The loss depends on the order of the records in a hash table: either.
    if (r.second_name_lost && e.left && e.shared_with_another_name)
        out.push_back(from({}, 0, "none (lost with the other name's)"));
    out.push_back(x);
    return out;
}

} // namespace oracle
