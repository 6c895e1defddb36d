// SPDX-License-Identifier: GPL-2.0-or-later
// The oracle's model: for each process, the state of each page table entry of
// the scenario's slots, and how each step changes it. A CoW fault is counted
// when a tracked process writes a present, write-protected page of a private
// writable mapping (docs/semantics.md, "What counts"). Each action's effect is
// one member function, `on_<action>`, found through the table in actions.inc.
#include "oracle/oracle.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>

namespace oracle {

kernel_model linux_4_15() {
    return {
        .name = "linux-4.15", .mprotect_upgrades_exclusive_anon = false, .fault_around_pages = 16};
}

kernel_model linux_6_1() {
    return {
        .name = "linux-6.1", .mprotect_upgrades_exclusive_anon = true, .fault_around_pages = 16};
}

std::optional<kernel_model> model_for_release(const std::string& release) {
    // "6.0: mm/mprotect: allow clean exclusive anon pages to be writable" is
    // where the behaviours part; 4.x and 5.x follow 4.15.
    int major = std::atoi(release.c_str());
    if (major == 4 || major == 5)
        return linux_4_15();
    if (major == 6)
        return linux_6_1();
    return std::nullopt;
}

std::optional<kernel_model> model_named(const std::string& name) {
    if (name == "linux-4.15" || name == "4.15")
        return linux_4_15();
    if (name == "linux-6.1" || name == "6.1")
        return linux_6_1();
    return std::nullopt;
}

int slot_count(const scenario& s) {
    return static_cast<int>(s.regions.size()) + s.spare_slots;
}

int slot_pages(const scenario& s) {
    int most = 1;
    for (const auto& r : s.regions)
        most = std::max(most, r.pages);
    return most;
}

int slot_stride_pages(const scenario& s) {
    // A whole number of page tables (1024 entries on i386, 512 elsewhere), with
    // at least one page of guard, so fault-around windows stay in one table.
    constexpr int table = 1024;
    return (slot_pages(s) + 1 + table - 1) / table * table;
}

std::vector<std::string> initially_tracked(const scenario& s) {
    std::vector<std::string> names = {s.name};
    names.insert(names.end(), s.also_tracked.begin(), s.also_tracked.end());
    return names;
}

std::vector<std::string> tracked_names(const scenario& s) {
    auto names = initially_tracked(s);
    for (const auto& st : s.steps)
        if (st.what == action::track &&
            std::find(names.begin(), names.end(), st.name) == names.end())
            names.push_back(st.name);
    return names;
}

namespace {

enum class pte { none, read_only, writable };
enum class page_kind { none, zero, anon, file };

struct page_state {
    bool mapped = false;
    protection prot = protection::read_write;
    pte entry = pte::none;
    page_kind kind = page_kind::none;
    int anon = 0;           // which anonymous page is mapped (page_kind::anon)
    bool exclusive = false; // PageAnonExclusive: mapped by this process only, as far as it knows
    bool anon_vma = false;  // the VMA holding the page has an anon_vma
};

struct slot_state {
    int region = -1; // which region occupies the slot, -1 when none
    std::vector<page_state> pages;
};

struct process {
    bool alive = true;
    std::string comm;
    std::string exec_comm;
    std::vector<slot_state> slots;
};

struct record_state {
    std::map<page_site, long> faults;
    long total = 0;
    std::optional<process_id> reported;
    std::optional<std::vector<vma_extent>> kept; // the reported process's, once it left
};

// How a fault is taken: the parts of a fault_event that the caller decides.
struct access {
    bool user = true, write = true, main_thread = true, retried = false, segv = false;
    bool writable = true; // the VMA allows writes
    process_id pid = 0;
};

struct tally {
    int cow = 0, first_touch = 0, none = 0, untracked = 0;
};

class simulator {
  public:
    simulator(const scenario& s, const kernel_model& m) : s_(s), m_(m) {}

    prediction run() {
        procs_[0] = fresh_process(s_.name);
        step_ = -2; // the names are tracked before the root is executed (step -1)
        for (const auto& name : initially_tracked(s_))
            on_track_name(name);
        step_ = -1;
        restart_record(s_.name, 0);
        for (std::size_t i = 0; i < s_.steps.size(); ++i) {
            step_ = static_cast<int>(i);
            apply(s_.steps[i]);
        }
        return finish();
    }

    // The effects, one per action (the table in actions.inc).
#define PFCHECK_ACTION(id, doc) void on_##id(const step& st);
#include "oracle/actions.inc"
#undef PFCHECK_ACTION

  private:
    const scenario& s_;
    const kernel_model& m_;
    std::map<process_id, process> procs_;
    std::map<std::string, record_state> records_; // tracked now
    std::map<int, int> anon_refs_;                // anonymous page -> page table entries mapping it
    int next_anon_ = 1;
    prediction out_;
    int step_ = -1;
    int exec_serial_ = 1; // the root's exec is the first

    void apply(const step& st) {
        static constexpr std::array effects = {
#define PFCHECK_ACTION(id, doc) &simulator::on_##id,
#include "oracle/actions.inc"
#undef PFCHECK_ACTION
        };
        auto i = static_cast<std::size_t>(st.what);
        if (i >= effects.size()) {
            fail("unknown action");
            return;
        }
        (this->*effects[i])(st);
    }

    prediction finish() {
        for (auto& [name, rec] : records_) {
            std::vector<vma_extent> vmas;
            if (rec.kept)
                vmas = *rec.kept;
            else if (rec.reported)
                vmas = extents_of(procs_[*rec.reported]);
            out_.records[name] = {rec.faults, rec.total, rec.reported, vmas, rec.kept.has_value()};
        }
        for (const auto& [id, p] : procs_)
            if (p.alive && id >= 0)
                out_.process_vmas[id] = extents_of(p);
        if (auto it = out_.records.find(s_.name); it != out_.records.end()) {
            out_.faults = it->second.faults;
            out_.total = it->second.total;
            out_.reported = it->second.reported.value_or(0);
        }
        return std::move(out_);
    }

    process fresh_process(const std::string& comm) const {
        process p;
        p.comm = p.exec_comm = comm;
        p.slots.resize(slot_count(s_));
        for (auto& slot : p.slots)
            slot.pages.resize(slot_pages(s_));
        for (std::size_t r = 0; r < s_.regions.size(); ++r) {
            auto& slot = p.slots[r];
            slot.region = static_cast<int>(r);
            for (int i = 0; i < s_.regions[r].pages; ++i) {
                slot.pages[i].mapped = true;
                slot.pages[i].prot = s_.regions[r].prot;
            }
        }
        return p;
    }

    void note(const std::string& text) {
        out_.timeline.push_back({step_, text});
    }
    void fail(const std::string& text) {
        out_.errors.push_back("step " + std::to_string(step_) + ": " + text);
    }

    process* alive(process_id id) {
        auto it = procs_.find(id);
        if (it == procs_.end() || !it->second.alive) {
            fail("process " + std::to_string(id) + " is not alive");
            return nullptr;
        }
        return &it->second;
    }

    static std::string who(process_id id) {
        return "P" + std::to_string(id);
    }

    int slot_of(const process& p, int region) const {
        for (std::size_t i = 0; i < p.slots.size(); ++i)
            if (p.slots[i].region == region)
                return static_cast<int>(i);
        return -1;
    }

    // The pages a step names, as [first, last) in the region's current slot.
    struct range {
        process* p = nullptr;
        int slot = 0, first = 0, last = 0;
        std::string where; // "data[0..7]"
    };
    std::optional<range> resolve(const step& st) {
        process* p = alive(st.actor);
        if (!p)
            return std::nullopt;
        if (st.region < 0 || st.region >= static_cast<int>(s_.regions.size())) {
            fail("no region " + std::to_string(st.region));
            return std::nullopt;
        }
        range r{p, slot_of(*p, st.region)};
        if (r.slot < 0) {
            fail("region " + s_.regions[st.region].name + " is not mapped in " + who(st.actor));
            return std::nullopt;
        }
        int size = s_.regions[st.region].pages;
        r.first = st.first;
        r.last = st.count == 0 ? size : st.first + st.count;
        if (r.first < 0 || r.last > size || r.first >= r.last) {
            fail("pages out of range in region " + s_.regions[st.region].name);
            return std::nullopt;
        }
        r.where = s_.regions[st.region].name + "[" + std::to_string(r.first) +
                  (r.last - r.first > 1 ? ".." + std::to_string(r.last - 1) : "") + "]";
        return r;
    }

    region_kind kind_of(const slot_state& slot) const {
        return s_.regions[slot.region].kind;
    }

    // The VMA around a page: the run of mapped pages with the same protection.
    std::pair<int, int> extent(const slot_state& slot, int page) const {
        int lo = page, hi = page + 1;
        const auto& ps = slot.pages;
        while (lo > 0 && ps[lo - 1].mapped && ps[lo - 1].prot == ps[page].prot)
            --lo;
        while (hi < static_cast<int>(ps.size()) && ps[hi].mapped && ps[hi].prot == ps[page].prot)
            ++hi;
        return {lo, hi};
    }

    std::vector<vma_extent> extents_of(const process& p) const {
        std::vector<vma_extent> out;
        for (std::size_t si = 0; si < p.slots.size(); ++si) {
            const auto& slot = p.slots[si];
            for (int i = 0; i < static_cast<int>(slot.pages.size());) {
                if (!slot.pages[i].mapped) {
                    ++i;
                    continue;
                }
                auto [lo, hi] = extent(slot, i);
                out.push_back({static_cast<int>(si), lo, hi,
                               slot.pages[i].prot == protection::read_write,
                               kind_of(slot) == region_kind::shared});
                i = hi;
            }
        }
        return out;
    }

    // `id` leaves its address space (exit, exec): the records it is the
    // reported process of keep its VMAs as they are now.
    void leave(process_id id) {
        for (auto& [name, rec] : records_)
            if (rec.reported == id && !rec.kept)
                rec.kept = extents_of(procs_[id]);
    }

    void prepare_anon_vma(slot_state& slot, int page) {
        // Every page of a VMA carries the same flag: set once, it is set for
        // all (and a write per page stays O(1), not O(VMA)).
        if (slot.pages[page].anon_vma)
            return;
        auto [lo, hi] = extent(slot, page);
        for (int i = lo; i < hi; ++i)
            slot.pages[i].anon_vma = true;
    }

    // VMAs that mprotect merges share one anon_vma, if either had one.
    void merge_anon_vmas(slot_state& slot) {
        int n = static_cast<int>(slot.pages.size());
        for (int i = 0; i < n;) {
            if (!slot.pages[i].mapped) {
                ++i;
                continue;
            }
            auto [lo, hi] = extent(slot, i);
            bool any = false;
            for (int j = lo; j < hi; ++j)
                any = any || slot.pages[j].anon_vma;
            for (int j = lo; j < hi; ++j)
                slot.pages[j].anon_vma = any;
            i = hi;
        }
    }

    // ---- pages: identity of anonymous pages, so that reuse is known

    void drop_entry(page_state& ps) {
        if (ps.kind == page_kind::anon && ps.anon && --anon_refs_[ps.anon] == 0)
            anon_refs_.erase(ps.anon);
        ps.entry = pte::none;
        ps.kind = page_kind::none;
        ps.anon = 0;
        ps.exclusive = false;
    }

    void drop_all(process& p) {
        for (auto& slot : p.slots)
            for (auto& ps : slot.pages)
                drop_entry(ps);
    }

    // The write fault's outcome: the page is now this process's own anonymous
    // page. Returns whether the kernel reused the old page rather than copy it.
    bool make_private_writable(slot_state& slot, int page) {
        auto& ps = slot.pages[page];
        bool reuse = ps.entry == pte::read_only && ps.kind == page_kind::anon &&
                     (ps.exclusive || anon_refs_[ps.anon] == 1);
        if (!reuse) {
            drop_entry(ps);
            ps.anon = next_anon_++;
            anon_refs_[ps.anon] = 1;
        }
        ps.entry = pte::writable;
        ps.kind = page_kind::anon;
        ps.exclusive = true;
        prepare_anon_vma(slot, page);
        return reuse;
    }

    // ---- records

    void restart_record(const std::string& name, process_id pid) {
        auto it = records_.find(name);
        if (it == records_.end())
            return;
        it->second = {{}, 0, pid, std::nullopt};
        out_.marks.push_back({record_mark::exec, name, pid, step_, exec_serial_});
    }

    void on_track_name(const std::string& name) {
        if (records_.count(name))
            return;
        records_[name] = {};
        out_.marks.push_back({record_mark::tracked, name, 0, step_, 0});
    }

    // Records a fault; counts it where docs/semantics.md says it counts.
    void fault(const process& p, int slot, int page, const access& a, bool present, bool shared,
               bool reuse) {
        fault_event e{.step = step_,
                      .exec_serial = exec_serial_,
                      .pid = a.pid,
                      .site = {slot, page},
                      .user = a.user,
                      .write = a.write,
                      .present = present,
                      .shared = shared,
                      .writable = a.writable,
                      .segv = a.segv,
                      .reuse = reuse,
                      .retried = a.retried,
                      .main_thread = a.main_thread,
                      .comm = p.comm,
                      .exec_comm = p.exec_comm};
        out_.events.push_back(e);
        if (!e.is_cow())
            return;
        // A record counts once a process was executed under its name
        // (docs/semantics.md: until then it reports zeros).
        if (auto it = records_.find(p.comm); it != records_.end() && it->second.reported) {
            ++it->second.faults[e.site];
            ++it->second.total;
        }
    }

    bool tracked(const process& p) const {
        return records_.count(p.comm) != 0;
    }

    // A write by a task of `p` (itself, a thread, a vfork child) to one page.
    void write_page(process& p, int slot_index, int page, const access& a, tally& t) {
        auto& slot = p.slots[slot_index];
        auto& ps = slot.pages[page];
        if (!ps.mapped || ps.prot == protection::read_only) {
            fail("write to a page that is unmapped or read-only: use write_expect_segv");
            return;
        }
        bool shared = kind_of(slot) == region_kind::shared;
        if (ps.entry == pte::writable || (shared && ps.entry != pte::none && !a.retried)) {
            ++t.none;
            return;
        }
        bool present = ps.entry != pte::none;
        if (shared) {
            fault(p, slot_index, page, a, present, true, false);
            ps.entry = pte::writable;
            ++t.none;
            return;
        }
        bool reuse = make_private_writable(slot, page); // false when it was not present
        fault(p, slot_index, page, a, present, false, reuse);
        if (!present)
            ++t.first_touch;
        else if (tracked(p))
            ++t.cow;
        else
            ++t.untracked;
    }

    void read_page(process& p, int slot_index, int page, process_id pid) {
        auto& slot = p.slots[slot_index];
        auto& ps = slot.pages[page];
        if (!ps.mapped) {
            fail("read of an unmapped page");
            return;
        }
        if (ps.entry != pte::none)
            return;
        fault(p, slot_index, page,
              {.write = false, .writable = ps.prot == protection::read_write, .pid = pid}, false,
              kind_of(slot) == region_kind::shared, false);
        switch (kind_of(slot)) {
        case region_kind::shared:
            // Shared memory needs no write notification: mapped writable at once.
            ps.entry = pte::writable;
            ps.kind = page_kind::file;
            return;
        case region_kind::anon_private:
            ps.entry = pte::read_only;
            ps.kind = page_kind::zero;
            return;
        case region_kind::file_private:
            fault_around(slot, page);
            return;
        }
    }

    // Fault-around maps the cached pages of the aligned window, within the VMA.
    // Slots start on a page-table boundary (see slot_stride_pages), so the
    // window never crosses one; it starts at the aligned address or the VMA
    // start, and spans fault_around_pages from there.
    void fault_around(slot_state& slot, int page) {
        int fa = std::max(1, m_.fault_around_pages);
        auto [lo, hi] = extent(slot, page);
        int start = std::max(page - page % fa, lo);
        int end = std::min(start + fa, hi);
        for (int i = start; i < end; ++i) {
            auto& q = slot.pages[i];
            if (q.mapped && q.entry == pte::none) {
                q.entry = pte::read_only;
                q.kind = page_kind::file;
            }
        }
    }

    // Returns how many present pages were copied and how many anonymous pages
    // are now shared read-only.
    std::pair<int, int> copy_page_tables(process& parent, process& child) {
        int copied = 0, shared = 0;
        for (std::size_t si = 0; si < parent.slots.size(); ++si) {
            auto& pslot = parent.slots[si];
            auto& cslot = child.slots[si];
            for (std::size_t i = 0; i < pslot.pages.size(); ++i) {
                auto& pp = pslot.pages[i];
                auto& cp = cslot.pages[i];
                if (!pp.mapped)
                    continue;
                // fork copies page tables only for VMAs with an anon_vma.
                if (!pp.anon_vma || pp.entry == pte::none) {
                    cp.entry = pte::none;
                    cp.kind = page_kind::none;
                    cp.anon = 0;
                    cp.exclusive = false;
                    continue;
                }
                ++copied;
                if (pp.kind == page_kind::anon) {
                    pp.entry = cp.entry = pte::read_only;
                    pp.exclusive = cp.exclusive = false;
                    ++anon_refs_[pp.anon];
                    ++shared;
                }
            }
        }
        return {copied, shared};
    }

    process* do_fork(process_id parent_id, process_id child_id) {
        process* parent = alive(parent_id);
        if (!parent)
            return nullptr;
        if (procs_.count(child_id) && procs_[child_id].alive) {
            fail("process " + std::to_string(child_id) + " exists already");
            return nullptr;
        }
        process child = *parent;
        auto [copied, shared] = copy_page_tables(*parent, child);
        procs_[child_id] = std::move(child);
        if (child_id >= 0)
            note(who(parent_id) + " forks " + who(child_id) + ": " + std::to_string(copied) +
                 " present pages copied, " + std::to_string(shared) +
                 " anonymous pages now shared read-only");
        return &procs_[child_id];
    }

    void exit_process(process_id id) {
        leave(id);
        if (id >= 0)
            out_.process_vmas[id] = extents_of(procs_[id]);
        auto& p = procs_[id];
        drop_all(p);
        p.alive = false;
        p.slots.clear();
    }

    std::string tally_text(const tally& t) const {
        return std::to_string(t.cow) + " CoW, " + std::to_string(t.first_touch) + " first-touch, " +
               std::to_string(t.none) + " without fault" +
               (t.untracked ? ", " + std::to_string(t.untracked) + " CoW under another name" : "");
    }

    void write_range(const step& st, const access& a, const std::string& how) {
        auto r = resolve(st);
        if (!r)
            return;
        tally t;
        for (int i = r->first; i < r->last; ++i)
            write_page(*r->p, r->slot, i, a, t);
        note(who(st.actor) + " writes " + r->where + how + ": " + tally_text(t));
    }
};

// ---- the effects, one per action

void simulator::on_write(const step& st) {
    write_range(st, {.pid = st.actor}, "");
}

void simulator::on_thread_write(const step& st) {
    // The first thread faults; the others find the pages writable.
    write_range(st, {.main_thread = false, .pid = st.actor},
                " (" + std::to_string(st.threads) + " threads in turn)");
}

void simulator::on_vfork_write(const step& st) {
    write_range(st, {.main_thread = false, .pid = st.actor}, " (from a vfork child)");
}

void simulator::on_read(const step& st) {
    auto r = resolve(st);
    if (!r)
        return;
    for (int i = r->first; i < r->last; ++i)
        read_page(*r->p, r->slot, i, st.actor);
    note(who(st.actor) + " reads " + r->where);
}

void simulator::on_write_expect_segv(const step& st) {
    // A throwaway child reads the page (so that it is present: the write is
    // then a protection fault, error code 7) and writes it, and dies.
    auto r = resolve(st);
    if (!r)
        return;
    process_id tmp = -1000 - step_;
    process* child = do_fork(st.actor, tmp);
    if (!child)
        return;
    read_page(*child, r->slot, r->first, tmp);
    auto& ps = child->slots[r->slot].pages[r->first];
    fault(*child, r->slot, r->first, {.segv = true, .writable = false, .pid = tmp},
          ps.entry != pte::none, kind_of(child->slots[r->slot]) == region_kind::shared, false);
    exit_process(tmp);
    note(who(st.actor) + " forks a child that reads and writes " + r->where +
         " and dies of SIGSEGV: no CoW fault; the fork write-protects " + who(st.actor) +
         "'s anonymous pages");
}

void simulator::on_fork(const step& st) {
    do_fork(st.actor, st.child);
}

void simulator::on_exit(const step& st) {
    if (!alive(st.actor))
        return;
    exit_process(st.actor);
    note(who(st.actor) + " exits");
}

void simulator::on_exec(const step& st) {
    process* p = alive(st.actor);
    if (!p)
        return;
    const std::string& name = st.name.empty() ? s_.name : st.name;
    leave(st.actor);
    drop_all(*p);
    *p = fresh_process(name);
    ++exec_serial_;
    bool restarts = records_.count(name) != 0;
    restart_record(name, st.actor);
    note(who(st.actor) + " executes the program again" +
         (name == s_.name ? "" : " as '" + name + "'") +
         (restarts ? ": the record of '" + name + "' restarts at zero and " + who(st.actor) +
                         " becomes its reported process"
                   : ": '" + name + "' is not tracked"));
}

void simulator::on_rename(const step& st) {
    process* p = alive(st.actor);
    if (!p)
        return;
    p->comm = st.name;
    note(who(st.actor) + " renames itself '" + st.name + "'" +
         (tracked(*p) ? "" : ": its faults no longer count"));
}

void simulator::on_grow_stack(const step& st) {
    if (alive(st.actor))
        note(who(st.actor) + " grows its stack by " + std::to_string(st.count) +
             " pages (not predicted: perf is the reference)");
}

void simulator::on_grow_heap(const step& st) {
    if (alive(st.actor))
        note(who(st.actor) + " grows its heap by " + std::to_string(st.count) +
             " pages (not predicted: perf is the reference)");
}

void simulator::on_kernel_write(const step& st) {
    // copy_to_user breaks CoW like a user write, but in kernel mode.
    auto r = resolve(st);
    if (!r)
        return;
    int broken = 0;
    auto& slot = r->p->slots[r->slot];
    for (int i = r->first; i < r->last; ++i) {
        auto& ps = slot.pages[i];
        if (!ps.mapped || ps.prot == protection::read_only || ps.entry == pte::writable)
            continue;
        bool present = ps.entry != pte::none;
        bool shared = kind_of(slot) == region_kind::shared;
        if (shared) {
            fault(*r->p, r->slot, i, {.user = false, .pid = st.actor}, present, true, false);
            ps.entry = pte::writable;
            continue;
        }
        broken += present;
        bool reuse = make_private_writable(slot, i);
        fault(*r->p, r->slot, i, {.user = false, .pid = st.actor}, present, false, reuse);
    }
    note(who(st.actor) + " has the kernel write " + r->where + " (read from a pipe): " +
         std::to_string(broken) + " CoW breaks in kernel mode, none counted");
}

void simulator::on_uffd_wp_write(const step& st) {
    // The protection makes each present page read-only; the write is then an
    // ordinary write fault on a present page (retried once by the kernel after
    // the handler resolves it: still one fault).
    auto r = resolve(st);
    if (!r)
        return;
    tally t;
    auto& slot = r->p->slots[r->slot];
    for (int i = r->first; i < r->last; ++i) {
        auto& ps = slot.pages[i];
        if (ps.entry == pte::none) {
            fail("uffd_wp_write needs present pages: write or read them first");
            return;
        }
        ps.entry = pte::read_only;
        write_page(*r->p, r->slot, i, {.retried = true, .pid = st.actor}, t);
    }
    note(who(st.actor) + " write-protects " + r->where +
         " with userfaultfd and writes it: " + std::to_string(t.cow) +
         " CoW (each retried once after the handler), " + std::to_string(t.none) + " shared");
}

void simulator::on_mprotect(const step& st) {
    auto r = resolve(st);
    if (!r)
        return;
    auto& sl = r->p->slots[r->slot];
    int upgraded = 0;
    for (int i = r->first; i < r->last; ++i) {
        auto& ps = sl.pages[i];
        ps.prot = st.prot;
        if (st.prot == protection::read_only && ps.entry == pte::writable)
            ps.entry = pte::read_only;
        else if (st.prot == protection::read_write && m_.mprotect_upgrades_exclusive_anon &&
                 ps.entry == pte::read_only && ps.kind == page_kind::anon && ps.exclusive) {
            ps.entry = pte::writable;
            ++upgraded;
        }
    }
    merge_anon_vmas(sl);
    note(who(st.actor) + " mprotects " + r->where +
         (st.prot == protection::read_only ? " read-only" : " read-write") +
         (upgraded ? ": " + std::to_string(upgraded) + " exclusive pages writable again (" +
                         m_.name + ")"
                   : ""));
}

void simulator::on_munmap(const step& st) {
    auto r = resolve(st);
    if (!r)
        return;
    for (int i = r->first; i < r->last; ++i) {
        drop_entry(r->p->slots[r->slot].pages[i]);
        r->p->slots[r->slot].pages[i] = page_state{};
    }
    note(who(st.actor) + " unmaps " + r->where);
}

void simulator::on_madvise_dontneed(const step& st) {
    auto r = resolve(st);
    if (!r)
        return;
    for (int i = r->first; i < r->last; ++i)
        drop_entry(r->p->slots[r->slot].pages[i]);
    note(who(st.actor) + " drops " + r->where + " (MADV_DONTNEED)");
}

void simulator::on_mremap(const step& st) {
    auto r = resolve(st);
    if (!r)
        return;
    auto& p = *r->p;
    if (st.to_slot < 0 || st.to_slot >= slot_count(s_) || p.slots[st.to_slot].region >= 0) {
        fail("mremap needs a free slot");
        return;
    }
    p.slots[st.to_slot] = std::move(p.slots[r->slot]);
    p.slots[r->slot] = slot_state{};
    p.slots[r->slot].pages.resize(slot_pages(s_));
    note(who(st.actor) + " moves " + s_.regions[st.region].name + " to slot " +
         std::to_string(st.to_slot) + ": faults already counted stay at the old addresses");
}

void simulator::on_track(const step& st) {
    bool was = records_.count(st.name) != 0;
    on_track_name(st.name);
    note("pf_set_param(\"" + st.name + "\")" +
         (was ? ": already tracked, nothing changes"
              : ": a new record; it reports zeros until a process is executed under the name"));
}

void simulator::on_cleanup(const step&) {
    records_.clear();
    out_.marks.push_back({record_mark::cleaned, "", 0, step_, 0});
    note("pf_cleanup(): every record is dropped");
}

} // namespace

prediction predict(const scenario& s, const kernel_model& model) {
    return simulator(s, model).run();
}

} // namespace oracle
