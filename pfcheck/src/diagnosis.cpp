// SPDX-License-Identifier: GPL-2.0-or-later
#include "diagnosis.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <limits>
#include <set>

namespace pfcheck {

using oracle::bug_model;
using oracle::kernel_rules;
using oracle::model_kind;

namespace {

oracle::layout parse_layout(const std::string& maps) {
    auto l = oracle::parse_maps(maps);
    std::erase_if(l, [](const oracle::vma& v) { return v.name == "[vsyscall]"; });
    return l;
}

// Whose recorded maps stand for the layout of the newest process forked or
// executed under `name` (or whose thread was created last), following
// renames. A fork hook makes that task the record's process; when it then
// executes something else, the record keeps the layout it left, which is the
// image it had from its parent: that parent's maps stand for it.
std::optional<oracle::process_id> newest_under(const oracle::scenario& s, const std::string& name) {
    std::map<oracle::process_id, std::string> comm = {{0, s.name}};
    std::map<oracle::process_id, oracle::process_id> image = {{0, 0}}; // whose maps it has
    std::optional<oracle::process_id> newest, layout;
    auto made_newest = [&](oracle::process_id p) {
        newest = p;
        layout = p;
    };
    if (s.name == name)
        made_newest(0);
    for (const auto& st : s.steps) {
        if (st.what == oracle::action::fork) {
            comm[st.child] = comm[st.actor];
            image[st.child] = image[st.actor];
            if (comm[st.child] == name)
                made_newest(st.child);
        } else if (st.what == oracle::action::exec) {
            comm[st.actor] = st.name.empty() ? s.name : st.name;
            if (newest == st.actor && comm[st.actor] != name)
                layout = image[st.actor]; // the layout it left at exec
            image[st.actor] = st.actor;
            if (comm[st.actor] == name)
                made_newest(st.actor);
        } else if (st.what == oracle::action::rename) {
            comm[st.actor] = st.name;
        } else if (st.what == oracle::action::thread_write && comm[st.actor] == name) {
            // A thread is a new task too (copy_process): a fork hook makes it
            // the newest, and its layout is its process's.
            made_newest(st.actor);
        }
    }
    return layout;
}

oracle::layout_evidence layout_of(const evidence& e, const std::string& name) {
    oracle::layout_evidence l;
    auto rec = e.prediction.records.find(name);
    auto seen = e.query.names.find(name);
    if (rec == e.prediction.records.end() || !rec->second.reported || seen == e.query.names.end())
        return l;
    l.has_process = true;
    l.left = seen->second.left;
    l.reported = parse_layout(seen->second.maps);
    if (auto p = e.query.processes.find(seen->second.reported); p != e.query.processes.end())
        l.at_start = parse_layout(p->second.startup_maps);
    if (auto id = newest_under(*e.s, name))
        if (auto p = e.query.processes.find(*id); p != e.query.processes.end())
            l.newest = parse_layout(p->second.maps);
    for (const auto& [other, v] : e.query.names)
        if (other != name && v.reported == seen->second.reported &&
            e.prediction.records.count(other))
            l.shared_with_another_name = true;
    return l;
}

std::uint64_t controlled_end(const diagnosis_case& c) {
    return c.slots.base + static_cast<std::uint64_t>(c.nslots) * c.slots.slot_bytes;
}

bool in_controlled(const diagnosis_case& c, std::uint64_t address) {
    return address >= c.slots.base && address < controlled_end(c);
}

std::string range_text(std::uint64_t start, std::uint64_t end) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%llx-%llx", static_cast<unsigned long long>(start),
                  static_cast<unsigned long long>(end));
    return buf;
}

constexpr long unbounded = std::numeric_limits<long>::max();

std::string interval(long lo, long hi) {
    if (hi == lo)
        return std::to_string(lo);
    return std::to_string(lo) + " to " + (hi == unbounded ? "more" : std::to_string(hi));
}

// One record's counts against the rules: "" or the first difference.
std::string record_count_residue(const diagnosis_case& c, const case_record& rec,
                                 const kernel_rules& r) {
    if (!answers(c, rec, r))
        return rec.kernel.err == EINVAL || (r.untracked_errno && rec.kernel.err != 0)
                   ? ""
                   : "get_info after cleanup: expected EINVAL, got " + errno_name(rec.kernel.err);
    if (!rec.kernel.stat)
        return "pf_get_info failed: " + errno_name(rec.kernel.err);
    const pf_stat& k = *rec.kernel.stat;
    auto counted = oracle::count_record(c.events, c.marks, rec.name, r, c.slots);
    if (!counted)
        return "no record expected";
    // Kernel-mode faults that perf did not see: only a lower bound outside the regions.
    bool blind = r.kernel_mode && !c.kernel_faults;
    int n = std::clamp(k.nb_vma, 0, max_size);
    std::vector<long> lo(n, 0), hi(n, 0);
    std::vector<bool> known(n, true);
    auto bin = [&](const std::map<std::uint64_t, long>& pages, bool maybe) {
        for (const auto& [page, count] : pages)
            for (int i = 0; i < n; ++i)
                if (page >= static_cast<std::uint64_t>(k.vma_list_start[i]) &&
                    page < static_cast<std::uint64_t>(k.vma_list_end[i])) {
                    (maybe ? hi : lo)[i] += count;
                    break;
                }
    };
    bin(counted->sure, false);
    bin(counted->maybe, true);
    for (int i = 0; i < n; ++i) {
        bool controlled = in_controlled(c, k.vma_list_start[i]) &&
                          static_cast<std::uint64_t>(k.vma_list_end[i]) <= controlled_end(c);
        known[i] = controlled || c.perf;
        hi[i] = !controlled && blind ? unbounded : lo[i] + hi[i];
    }
    for (int j = 0; j < n; ++j) {
        int i = j + r.shift;
        long want_lo = i >= 0 && i < n ? lo[i] : 0, want_hi = i >= 0 && i < n ? hi[i] : 0;
        bool check = i >= 0 && i < n ? known[i] : true;
        if (check && (k.vma_fault[j] < want_lo || k.vma_fault[j] > want_hi))
            return "[" + rec.name + "] VMA " + range_text(k.vma_list_start[j], k.vma_list_end[j]) +
                   ": expected " + interval(want_lo, want_hi) + ", got " +
                   std::to_string(k.vma_fault[j]);
    }
    long total_hi = blind ? unbounded : counted->total + counted->total_maybe;
    if (c.perf && (k.cow_page_faults < counted->total || k.cow_page_faults > total_hi))
        return "[" + rec.name + "] total: expected " + interval(counted->total, total_hi) +
               ", got " + std::to_string(k.cow_page_faults);
    return {};
}

bool same_ranges(const oracle::expected_layout& x, const pf_stat& k) {
    if (x.nb_vma != k.nb_vma)
        return false;
    for (std::size_t i = 0; i < x.ranges.size() && i < static_cast<std::size_t>(max_size); ++i)
        if (x.ranges[i].first != static_cast<std::uint64_t>(k.vma_list_start[i]) ||
            x.ranges[i].second != static_cast<std::uint64_t>(k.vma_list_end[i]))
            return false;
    return true;
}

// A layout taken at exec: none of the scenario's regions, the same program
// text first, about as many VMAs (libc's start-up adds a heap, splits RELRO).
bool loosely_same(const diagnosis_case& c, const oracle::expected_layout& x, const pf_stat& k) {
    int n = std::clamp(k.nb_vma, 0, max_size);
    if (n == 0 || x.ranges.empty() || std::abs(n - x.nb_vma) > 4)
        return false;
    for (int i = 0; i < n; ++i)
        if (in_controlled(c, k.vma_list_start[i]))
            return false;
    return x.ranges.front().first == static_cast<std::uint64_t>(k.vma_list_start[0]);
}

std::string record_layout_residue(const diagnosis_case& c, const case_record& rec,
                                  const kernel_rules& r) {
    if (!answers(c, rec, r) || !rec.kernel.stat)
        return {}; // the count check says it
    const pf_stat& k = *rec.kernel.stat;
    if (int stale = stale_entries(k); stale && !r.stale_entries)
        return "[" + rec.name + "] " + std::to_string(stale) + " stale entries past nb_vma";
    auto candidates = oracle::expected_layouts(r, layout_for(c, rec, r));
    for (const auto& x : candidates)
        if (x.loose ? loosely_same(c, x, k) : same_ranges(x, k))
            return {};
    const auto& x = candidates.front();
    return "[" + rec.name + "] layout: expected " + x.what + " (" + std::to_string(x.nb_vma) +
           " VMAs), got " + std::to_string(k.nb_vma) + " VMAs";
}

using residue_fn = std::function<std::string(const diagnosis_case&, const kernel_rules&)>;

// ---- the search

struct solution {
    std::vector<const bug_model*> models;
    int explained = 0; // cases
};

bool explains(const std::vector<diagnosis_case>& cases, const kernel_rules& r,
              const residue_fn& f) {
    return std::all_of(cases.begin(), cases.end(),
                       [&](const diagnosis_case& c) { return f(c, r).empty(); });
}

int count_explained(const std::vector<diagnosis_case>& cases, const kernel_rules& r,
                    const residue_fn& f) {
    return static_cast<int>(std::count_if(
        cases.begin(), cases.end(), [&](const diagnosis_case& c) { return f(c, r).empty(); }));
}

// Every subset of `pool` of size k, in order, until `visit` returns true.
bool for_each_subset(const std::vector<const bug_model*>& pool, std::size_t k,
                     const std::function<bool(const std::vector<const bug_model*>&)>& visit) {
    std::vector<const bug_model*> chosen;
    std::function<bool(std::size_t)> rec = [&](std::size_t from) {
        if (chosen.size() == k)
            return visit(chosen);
        for (std::size_t i = from; i < pool.size(); ++i) {
            chosen.push_back(pool[i]);
            if (rec(i + 1))
                return true;
            chosen.pop_back();
        }
        return false;
    };
    return rec(0);
}

// The set, grown one model at a time, that explains the most cases: for a
// kernel with a bug no model knows, the closest combination.
solution closest(const std::vector<diagnosis_case>& cases,
                 const std::vector<const bug_model*>& pool, std::size_t max_models,
                 const residue_fn& f) {
    solution best{{}, count_explained(cases, kernel_rules{}, f)};
    while (best.models.size() < max_models) {
        solution next = best;
        for (const auto* m : pool) {
            if (std::find(best.models.begin(), best.models.end(), m) != best.models.end())
                continue;
            auto set = best.models;
            set.push_back(m);
            int n = count_explained(cases, oracle::rules_of(set), f);
            if (n > next.explained)
                next = {set, n};
        }
        if (next.explained == best.explained)
            break;
        best = next;
    }
    return best;
}

// The smallest set of models from `pool` that explains every case; or, when
// none of at most `max_models` does, the closest.
solution search(const std::vector<diagnosis_case>& cases, const std::vector<const bug_model*>& pool,
                std::size_t max_models, const residue_fn& f) {
    solution best;
    for (std::size_t k = 0; k <= max_models && k <= pool.size(); ++k)
        if (for_each_subset(pool, k, [&](const std::vector<const bug_model*>& set) {
                if (!explains(cases, oracle::rules_of(set), f))
                    return false;
                best = {set, static_cast<int>(cases.size())};
                return true;
            }))
            return best;
    return closest(cases, pool, max_models, f);
}

std::vector<const bug_model*> pool_of(std::initializer_list<model_kind> kinds) {
    std::vector<const bug_model*> pool;
    for (const auto& m : oracle::bug_models())
        if (std::find(kinds.begin(), kinds.end(), m.kind) != kinds.end())
            pool.push_back(&m);
    return pool;
}

std::vector<const bug_model*> without(std::vector<const bug_model*> set, const bug_model* m) {
    std::erase(set, m);
    return set;
}

// Models that could stand in for `m` in the solution with the same result.
std::vector<std::string> alternatives(const std::vector<diagnosis_case>& cases, const solution& s,
                                      const bug_model* m, const std::vector<const bug_model*>& pool,
                                      const residue_fn& f) {
    std::vector<std::string> out;
    for (const auto* other : pool) {
        if (other == m || std::find(s.models.begin(), s.models.end(), other) != s.models.end())
            continue;
        auto set = without(s.models, m);
        set.push_back(other);
        if (count_explained(cases, oracle::rules_of(set), f) >= s.explained)
            out.push_back(other->id);
    }
    return out;
}

// The cases where `m` matters: explained with it, not without it.
void add_finding(diagnosis& d, const std::vector<diagnosis_case>& cases, const solution& s,
                 const bug_model* m, const std::vector<const bug_model*>& pool,
                 const residue_fn& f) {
    bug_finding b{m->id, m->bug, m->mechanism, alternatives(cases, s, m, pool, f)};
    auto with = oracle::rules_of(s.models), less = oracle::rules_of(without(s.models, m));
    for (const auto& c : cases) {
        if (!f(c, with).empty())
            continue;
        auto residue = f(c, less);
        if (residue.empty())
            continue;
        b.scenarios.push_back(c.scenario);
        if (b.evidence.size() < 4)
            b.evidence.push_back(c.scenario + ": " + residue);
        d.by_scenario[c.scenario].push_back(m->bug);
    }
    d.bugs.push_back(std::move(b));
}

solution diagnose_part(diagnosis& d, const std::vector<diagnosis_case>& cases,
                       std::initializer_list<model_kind> kinds, std::size_t max_models,
                       const residue_fn& f, const char* what) {
    auto pool = pool_of(kinds);
    auto s = search(cases, pool, max_models, f);
    for (const auto* m : s.models)
        add_finding(d, cases, s, m, pool, f);
    auto r = oracle::rules_of(s.models);
    for (const auto& c : cases)
        if (auto residue = f(c, r); !residue.empty()) {
            std::string closest;
            for (const auto* m : s.models)
                closest += (closest.empty() ? "" : ", ") + m->id;
            d.unexplained.push_back(
                c.scenario + " (" + what +
                ", closest: " + (closest.empty() ? "a correct kernel" : closest) + "): " + residue);
            d.by_scenario[c.scenario].push_back(std::string("no known bug explains the ") + what +
                                                ": " + residue);
        }
    return s;
}

} // namespace

// A record answers for `rec` (diagnosis.hpp).
bool answers(const diagnosis_case& c, const case_record& rec, const kernel_rules& r) {
    return r.prefix_names ? oracle::record_of(c.marks, rec.name, r).has_value() : rec.exists;
}

// The layout of the record that answers for `rec` (diagnosis.hpp).
const oracle::layout_evidence& layout_for(const diagnosis_case& c, const case_record& rec,
                                          const kernel_rules& r) {
    if (!r.prefix_names)
        return rec.layout;
    auto whose = oracle::record_of(c.marks, rec.name, r);
    const case_record* best = &rec;
    int last = -1;
    for (const auto& m : c.marks)
        if (m.what == oracle::record_mark::exec && m.exec_serial > last &&
            oracle::record_of(c.marks, m.name, r) == whose)
            for (const auto& other : c.records)
                if (other.name == m.name) {
                    best = &other;
                    last = m.exec_serial;
                }
    return best->layout;
}

std::optional<diagnosis_case> make_case(const evidence& e, const verdict& v) {
    if (e.kernel_skipped || !e.run_errors.empty() || !e.prediction.errors.empty() ||
        !v.skipped.empty())
        return std::nullopt;
    diagnosis_case c{.scenario = e.s->name,
                     .failed = !v.pass,
                     .events = e.prediction.events,
                     .marks = e.prediction.marks,
                     .slots = e.query.slots,
                     .nslots = oracle::slot_count(*e.s),
                     .perf = e.perf.has_value()};
    if (e.perf) {
        c.kernel_faults = e.perf->kernel_faults;
        for (auto& f : perf_events(*e.perf, e.query))
            if (!in_controlled(c, f.address))
                c.events.push_back(std::move(f));
    }
    for (const auto& name : oracle::tracked_names(*e.s)) {
        auto k = e.kernel.find(name);
        c.records.push_back({name, e.prediction.records.count(name) != 0,
                             k == e.kernel.end() ? kernel_answer{} : k->second,
                             layout_of(e, name)});
    }
    return c;
}

std::string count_residue(const diagnosis_case& c, const kernel_rules& r) {
    for (const auto& rec : c.records)
        if (auto s = record_count_residue(c, rec, r); !s.empty())
            return s;
    return {};
}

std::string layout_residue(const diagnosis_case& c, const kernel_rules& r) {
    for (const auto& rec : c.records)
        if (auto s = record_layout_residue(c, rec, r); !s.empty())
            return s;
    return {};
}

diagnosis diagnose(const std::vector<diagnosis_case>& given) {
    auto start = std::chrono::steady_clock::now();
    diagnosis d;
    d.cases = static_cast<int>(given.size());
    // The failed scenarios first: most sets of models fail on one of them at once.
    auto cases = given;
    std::stable_partition(cases.begin(), cases.end(),
                          [](const diagnosis_case& c) { return c.failed; });
    // Counts and layouts are independent: search each on its own.
    auto counts = diagnose_part(d, cases, {model_kind::count, model_kind::binning}, 4,
                                count_residue, "counts");
    // Which record answers a name (prefix lookups) is the counts' finding:
    // the layouts are judged on that record.
    auto lookup = oracle::rules_of(counts.models);
    auto layouts = [&](const diagnosis_case& c, kernel_rules r) {
        r.prefix_names = lookup.prefix_names;
        return layout_residue(c, r);
    };
    diagnose_part(d, cases, {model_kind::layout}, 3, layouts, "layout");
    d.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return d;
}

std::string to_text(const diagnosis& d) {
    std::string out;
    std::size_t n = d.bugs.size();
    out += n == 0 && d.explained()
               ? "Your kernel: no bug found in " + std::to_string(d.cases) + " scenarios.\n"
               : "Your kernel: " + std::to_string(n) + (n == 1 ? " bug" : " bugs") + " found" +
                     (d.explained() ? ""
                                    : ", and " + std::to_string(d.unexplained.size()) +
                                          " scenarios no known bug explains") +
                     ".\n";
    int i = 0;
    for (const auto& b : d.bugs) {
        out += "\n" + std::to_string(++i) + ". " + b.bug + " [" + b.id + "]\n";
        out += "   where it usually lives: " + b.mechanism + "\n";
        out += "   seen in " + std::to_string(b.scenarios.size()) + " scenarios";
        for (std::size_t j = 0; j < b.scenarios.size() && j < 8; ++j)
            out += (j ? ", " : ": ") + b.scenarios[j];
        out += b.scenarios.size() > 8 ? ", ...\n" : "\n";
        for (const auto& ev : b.evidence)
            out += "   - " + ev + "\n";
        if (!b.alternatives.empty()) {
            out += "   the scenarios cannot tell it from:";
            for (const auto& a : b.alternatives)
                out += " " + a;
            out += "\n";
        }
    }
    if (!d.unexplained.empty()) {
        out += "\nNot explained by any known bug:\n";
        for (const auto& u : d.unexplained)
            out += "   - " + u + "\n";
    }
    return out;
}

} // namespace pfcheck
