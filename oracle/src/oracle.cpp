// SPDX-License-Identifier: GPL-2.0-or-later
// The oracle's model: for each process, the state of each page table entry of
// the scenario's slots, and how each step changes it. A CoW fault is counted
// when a tracked process writes a present, write-protected page of a private
// writable mapping (docs/semantics.md, "What counts").
#include "oracle/oracle.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <sstream>

namespace oracle {

kernel_model linux_4_15() {
    return {
        .name = "linux-4.15", .mprotect_upgrades_exclusive_anon = false, .fault_around_pages = 16};
}

kernel_model linux_6_1() {
    return {
        .name = "linux-6.1", .mprotect_upgrades_exclusive_anon = true, .fault_around_pages = 16};
}

kernel_model model_for_release(const std::string& release) {
    // "6.0: mm/mprotect: allow clean exclusive anon pages to be writable" is
    // where the behaviours part; every release before 6 follows 4.15.
    int major = std::atoi(release.c_str());
    return major >= 6 ? linux_6_1() : linux_4_15();
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

namespace {

enum class pte { none, read_only, writable };
enum class page_kind { none, zero, anon, file };

struct page_state {
    bool mapped = false;
    protection prot = protection::read_write;
    pte entry = pte::none;
    page_kind kind = page_kind::none;
    bool exclusive = false; // the anonymous page is mapped by this process only
    bool anon_vma = false;  // the VMA holding the page has an anon_vma
};

struct slot_state {
    int region = -1; // which region occupies the slot, -1 when none
    std::vector<page_state> pages;
};

struct process {
    bool alive = true;
    std::string comm;
    std::vector<slot_state> slots;
};

class simulator {
  public:
    simulator(const scenario& s, const kernel_model& m) : s_(s), m_(m) {}

    prediction run() {
        procs_[0] = fresh_process(s_.name);
        for (std::size_t i = 0; i < s_.steps.size(); ++i) {
            step_ = static_cast<int>(i);
            apply(s_.steps[i]);
        }
        return std::move(out_);
    }

  private:
    const scenario& s_;
    const kernel_model& m_;
    std::map<process_id, process> procs_;
    prediction out_;
    int step_ = 0;

    process fresh_process(const std::string& comm) const {
        process p;
        p.comm = comm;
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

    void note(const std::string& text) { out_.timeline.push_back({step_, text}); }
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

    static std::string who(process_id id) { return "P" + std::to_string(id); }

    int slot_of(const process& p, int region) const {
        for (std::size_t i = 0; i < p.slots.size(); ++i)
            if (p.slots[i].region == region)
                return static_cast<int>(i);
        return -1;
    }

    // The pages a step names, as [first, last) in the region's current slot.
    bool resolve(const step& st, const process& p, int& slot, int& first, int& last) {
        if (st.region < 0 || st.region >= static_cast<int>(s_.regions.size())) {
            fail("no region " + std::to_string(st.region));
            return false;
        }
        slot = slot_of(p, st.region);
        if (slot < 0) {
            fail("region " + s_.regions[st.region].name + " is not mapped in " + who(st.actor));
            return false;
        }
        int size = s_.regions[st.region].pages;
        first = st.first;
        last = st.count == 0 ? size : st.first + st.count;
        if (first < 0 || last > size || first >= last) {
            fail("pages out of range in region " + s_.regions[st.region].name);
            return false;
        }
        return true;
    }

    region_kind kind_of(const slot_state& slot) const { return s_.regions[slot.region].kind; }

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

    void count_fault(const process& p, int slot, int page) {
        if (p.comm != s_.name)
            return;
        ++out_.faults[{slot, page}];
        ++out_.total;
    }

    struct tally {
        int cow = 0, first_touch = 0, none = 0, untracked = 0;
    };

    void write_page(process& p, int slot_index, int page, tally& t) {
        auto& slot = p.slots[slot_index];
        auto& ps = slot.pages[page];
        if (!ps.mapped || ps.prot == protection::read_only) {
            fail("write to a page that is unmapped or read-only: use write_expect_segv");
            return;
        }
        if (kind_of(slot) == region_kind::shared) {
            ps.entry = pte::writable;
            ++t.none;
            return;
        }
        switch (ps.entry) {
        case pte::writable:
            ++t.none;
            return;
        case pte::none:
            ++t.first_touch;
            break;
        case pte::read_only:
            if (p.comm == s_.name)
                ++t.cow;
            else
                ++t.untracked;
            count_fault(p, slot_index, page);
            break;
        }
        ps.entry = pte::writable;
        ps.kind = page_kind::anon;
        ps.exclusive = true;
        prepare_anon_vma(slot, page);
    }

    void read_page(process& p, int slot_index, int page) {
        auto& slot = p.slots[slot_index];
        auto& ps = slot.pages[page];
        if (!ps.mapped) {
            fail("read of an unmapped page");
            return;
        }
        if (ps.entry != pte::none)
            return;
        switch (kind_of(slot)) {
        case region_kind::shared:
            ps.entry = pte::read_only;
            ps.kind = page_kind::file;
            return;
        case region_kind::anon_private:
            ps.entry = pte::read_only;
            ps.kind = page_kind::zero;
            return;
        case region_kind::file_private: {
            // Fault-around maps the cached pages of the aligned window, within the VMA.
            // Slots start on a page-table boundary (see slot_stride_pages), so
            // the window never crosses one; the window starts at the aligned
            // address or the VMA start, and spans fault_around_pages from there.
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
            return;
        }
        }
    }

    void do_fork(process_id parent_id, process_id child_id, bool announce) {
        process* parent = alive(parent_id);
        if (!parent)
            return;
        if (procs_.count(child_id) && procs_[child_id].alive) {
            fail("process " + std::to_string(child_id) + " exists already");
            return;
        }
        process child = *parent;
        int copied = 0, shared = 0;
        for (std::size_t si = 0; si < parent->slots.size(); ++si) {
            auto& ps_slot = parent->slots[si];
            auto& cs_slot = child.slots[si];
            for (std::size_t i = 0; i < ps_slot.pages.size(); ++i) {
                auto& pp = ps_slot.pages[i];
                auto& cp = cs_slot.pages[i];
                if (!pp.mapped)
                    continue;
                // fork copies page tables only for VMAs with an anon_vma.
                if (!pp.anon_vma || pp.entry == pte::none) {
                    cp.entry = pte::none;
                    cp.kind = page_kind::none;
                    cp.exclusive = false;
                    continue;
                }
                ++copied;
                if (pp.kind == page_kind::anon) {
                    pp.entry = cp.entry = pte::read_only;
                    pp.exclusive = cp.exclusive = false;
                    ++shared;
                }
            }
        }
        procs_[child_id] = std::move(child);
        if (announce)
            note(who(parent_id) + " forks " + who(child_id) + ": " + std::to_string(copied) +
                 " present pages copied, " + std::to_string(shared) +
                 " anonymous pages now shared read-only");
    }

    void apply(const step& st) {
        switch (st.what) {
        case action::fork:
            do_fork(st.actor, st.child, true);
            return;
        case action::exit: {
            process* p = alive(st.actor);
            if (!p)
                return;
            p->alive = false;
            p->slots.clear();
            note(who(st.actor) + " exits");
            return;
        }
        case action::exec: {
            process* p = alive(st.actor);
            if (!p)
                return;
            *p = fresh_process(s_.name);
            out_.faults.clear();
            out_.total = 0;
            out_.reported = st.actor;
            note(who(st.actor) + " executes the program again: the record restarts at zero and " +
                 who(st.actor) + " becomes the reported process");
            return;
        }
        case action::rename: {
            process* p = alive(st.actor);
            if (!p)
                return;
            p->comm = st.name;
            note(who(st.actor) + " renames itself '" + st.name + "'" +
                 (st.name == s_.name ? "" : ": its faults no longer count"));
            return;
        }
        case action::grow_stack:
        case action::grow_heap: {
            if (!alive(st.actor))
                return;
            note(who(st.actor) + " grows its " +
                 (st.what == action::grow_stack ? "stack" : "heap") + " by " +
                 std::to_string(st.count) + " pages (not predicted: perf is the reference)");
            return;
        }
        default:
            break;
        }

        process* p = alive(st.actor);
        if (!p)
            return;
        int slot = 0, first = 0, last = 0;
        if (!resolve(st, *p, slot, first, last))
            return;
        const std::string where = s_.regions[st.region].name + "[" + std::to_string(first) +
                                  (last - first > 1 ? ".." + std::to_string(last - 1) : "") + "]";

        switch (st.what) {
        case action::write:
        case action::thread_write:
        case action::vfork_write: {
            tally t;
            for (int i = first; i < last; ++i)
                write_page(*p, slot, i, t);
            std::string how = st.what == action::thread_write
                                  ? " (" + std::to_string(st.threads) + " threads in turn)"
                              : st.what == action::vfork_write ? " (from a vfork child)"
                                                               : "";
            note(who(st.actor) + " writes " + where + how + ": " + std::to_string(t.cow) +
                 " CoW, " + std::to_string(t.first_touch) + " first-touch, " +
                 std::to_string(t.none) + " without fault" +
                 (t.untracked ? ", " + std::to_string(t.untracked) + " CoW under another name"
                              : ""));
            return;
        }
        case action::kernel_write: {
            // copy_to_user breaks CoW like a user write, but in kernel mode.
            int broken = 0;
            for (int i = first; i < last; ++i) {
                auto& ps = p->slots[slot].pages[i];
                if (!ps.mapped || ps.prot == protection::read_only)
                    continue;
                if (kind_of(p->slots[slot]) == region_kind::shared) {
                    ps.entry = pte::writable;
                    continue;
                }
                broken += ps.entry == pte::read_only;
                ps.entry = pte::writable;
                ps.kind = page_kind::anon;
                ps.exclusive = true;
                prepare_anon_vma(p->slots[slot], i);
            }
            note(who(st.actor) + " has the kernel write " + where + " (read from a pipe): " +
                 std::to_string(broken) + " CoW breaks in kernel mode, none counted");
            return;
        }
        case action::uffd_wp_write: {
            // The protection makes each present page read-only; the write is
            // then an ordinary write fault on a present page (retried once by
            // the kernel after the handler resolves it: still one fault).
            tally t;
            for (int i = first; i < last; ++i) {
                auto& ps = p->slots[slot].pages[i];
                if (ps.entry == pte::none) {
                    fail("uffd_wp_write needs present pages: write or read them first");
                    return;
                }
                ps.entry = pte::read_only;
                write_page(*p, slot, i, t);
            }
            note(who(st.actor) + " write-protects " + where + " with userfaultfd and writes it: " +
                 std::to_string(t.cow) + " CoW (each retried once after the handler), " +
                 std::to_string(t.none) + " shared");
            return;
        }
        case action::read:
            for (int i = first; i < last; ++i)
                read_page(*p, slot, i);
            note(who(st.actor) + " reads " + where);
            return;
        case action::write_expect_segv: {
            process_id tmp = -1000 - step_;
            do_fork(st.actor, tmp, false);
            procs_[tmp].alive = false;
            procs_[tmp].slots.clear();
            note(who(st.actor) + " forks a child that writes " + where +
                 " and dies of SIGSEGV: no CoW fault; the fork write-protects " + who(st.actor) +
                 "'s anonymous pages");
            return;
        }
        case action::mprotect: {
            auto& sl = p->slots[slot];
            int upgraded = 0;
            for (int i = first; i < last; ++i) {
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
            note(who(st.actor) + " mprotects " + where +
                 (st.prot == protection::read_only ? " read-only" : " read-write") +
                 (upgraded ? ": " + std::to_string(upgraded) + " exclusive pages writable again (" +
                                 m_.name + ")"
                           : ""));
            return;
        }
        case action::munmap: {
            auto& sl = p->slots[slot];
            for (int i = first; i < last; ++i)
                sl.pages[i] = page_state{};
            note(who(st.actor) + " unmaps " + where);
            return;
        }
        case action::madvise_dontneed: {
            auto& sl = p->slots[slot];
            for (int i = first; i < last; ++i) {
                sl.pages[i].entry = pte::none;
                sl.pages[i].kind = page_kind::none;
                sl.pages[i].exclusive = false;
            }
            note(who(st.actor) + " drops " + where + " (MADV_DONTNEED)");
            return;
        }
        case action::mremap: {
            if (st.to_slot < 0 || st.to_slot >= slot_count(s_) ||
                p->slots[st.to_slot].region >= 0) {
                fail("mremap needs a free slot");
                return;
            }
            p->slots[st.to_slot] = std::move(p->slots[slot]);
            p->slots[slot] = slot_state{};
            p->slots[slot].pages.resize(slot_pages(s_));
            note(who(st.actor) + " moves " + s_.regions[st.region].name + " to slot " +
                 std::to_string(st.to_slot) + ": faults already counted stay at the old addresses");
            return;
        }
        default:
            fail(std::string("unhandled action ") + to_string(st.what));
        }
    }
};

} // namespace

prediction predict(const scenario& s, const kernel_model& model) {
    return simulator(s, model).run();
}

} // namespace oracle
