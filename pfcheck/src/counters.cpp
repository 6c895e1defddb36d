// SPDX-License-Identifier: GPL-2.0-or-later
#include "counters.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace pfcheck::counters {

era era_of(const std::string& release, const std::string& machine) {
    int major = std::atoi(release.c_str());
    auto dot = release.find('.');
    int minor = dot == std::string::npos ? 0 : std::atoi(release.c_str() + dot + 1);
    int v = major * 100 + minor;
    if (v >= 606 && machine == "x86_64")
        return era::from_6_6_vma_lock;
    if (v >= 604)
        return era::from_6_4;
    return v >= 509 ? era::from_5_9 : era::before_5_9;
}

const char* to_string(era e) {
    constexpr const char* names[] = {"< 5.9", "5.9 to 6.3", ">= 6.4",
                                     ">= 6.6, per-VMA locks (x86_64)"};
    return names[static_cast<int>(e)];
}

fault_tally tally(const std::vector<oracle::fault_event>& stream, bool kernel_seen,
                  const oracle::prediction& p, const oracle::scenario& s) {
    fault_tally t;
    t.kernel_seen = kernel_seen;
    for (const auto& f : stream) {
        if (!f.user) {
            ++t.kernel;
            continue;
        }
        ++t.user;
        t.refused += f.segv;
    }
    // perf cannot see a retry (one hardware fault, handled twice): the oracle knows.
    t.retried = std::count_if(p.events.begin(), p.events.end(),
                              [](const oracle::fault_event& e) { return e.retried; });
    // The root's exec, then each exec step: exec copies its arguments into
    // the new stack through get_user_pages, one page (they are far below 4 KiB).
    t.gup = 1 + std::count_if(s.steps.begin(), s.steps.end(), [](const oracle::step& st) {
                return st.what == oracle::action::exec;
            });
    return t;
}

// The one table of rules (docs/counters.md, "The rules").
const std::vector<rule>& rules() {
    static const std::vector<rule> all = {
        {.id = "hardware",
         .text = "every hardware fault on a user address, user or kernel mode, refused ones "
                 "included, each once",
         .plain = true,
         .refused = true,
         .kernel = true,
         .gup = false,
         .retried = 1,
         .io = true},
        {.id = "hardware_user",
         .text = "every hardware fault taken in user mode, refused ones included",
         .plain = true,
         .refused = true,
         .kernel = false,
         .gup = false,
         .retried = 1,
         .io = true},
        {.id = "handler_calls",
         .text = "every handle_mm_fault() call: a retried fault twice; GUP faults included",
         .plain = true,
         .refused = false,
         .kernel = true,
         .gup = true,
         .retried = 2,
         .io = true},
        {.id = "completed",
         .text = "every completed fault once (a retried one once); GUP faults included",
         .plain = true,
         .refused = false,
         .kernel = true,
         .gup = true,
         .retried = 1,
         .io = true},
        {.id = "minor_retry_minor",
         .text =
             "completed faults that waited for no I/O, a retried one included; GUP faults included",
         .plain = true,
         .refused = false,
         .kernel = true,
         .gup = true,
         .retried = 1,
         .io = false},
        {.id = "minor",
         .text = "completed faults that neither waited for I/O nor retried; GUP faults included",
         .plain = true,
         .refused = false,
         .kernel = true,
         .gup = true,
         .retried = 0,
         .io = false},
        {.id = "perf_minor_retry_minor",
         .text = "completed faults with registers (no GUP) that waited for no I/O, a retried one "
                 "included",
         .plain = true,
         .refused = false,
         .kernel = true,
         .gup = false,
         .retried = 1,
         .io = false},
        {.id = "perf_minor",
         .text = "completed faults with registers (no GUP) that neither waited for I/O nor retried",
         .plain = true,
         .refused = false,
         .kernel = true,
         .gup = false,
         .retried = 0,
         .io = false},
        {.id = "perf_minor_user_retry_minor",
         .text = "as perf_minor_retry_minor, user mode only",
         .plain = true,
         .refused = false,
         .kernel = false,
         .gup = false,
         .retried = 1,
         .io = false},
        {.id = "perf_minor_user",
         .text = "as perf_minor, user mode only",
         .plain = true,
         .refused = false,
         .kernel = false,
         .gup = false,
         .retried = 0,
         .io = false},
        {.id = "major_io",
         .text = "faults that waited for I/O",
         .plain = false,
         .refused = false,
         .kernel = false,
         .gup = false,
         .retried = 0,
         .io = true},
        {.id = "major_io_retried",
         .text = "faults that waited for I/O or retried",
         .plain = false,
         .refused = false,
         .kernel = false,
         .gup = false,
         .retried = 1,
         .io = true},
    };
    return all;
}

const rule* find_rule(const std::string& id) {
    for (const auto& r : rules())
        if (id == r.id)
            return &r;
    return nullptr;
}

std::optional<long> predict(const rule& r, const fault_tally& t) {
    if (r.kernel && !t.kernel_seen)
        return std::nullopt;
    // Handled hardware faults that neither retried nor waited for I/O.
    long plain = t.user - t.refused - t.retried - t.io + (r.kernel ? t.kernel : 0);
    return (r.plain ? plain : 0) + (r.refused ? t.refused : 0) + (r.gup ? t.gup : 0) +
           r.retried * t.retried + (r.io ? t.io : 0);
}

namespace {

constexpr const char* pgfault_6_4 =
    "6.4, [pgfault-retry] in docs/counters.md: a retried fault counts once";
constexpr const char* accounting_6_6 =
    "5.9, [accounting], then 6.6, [uffd-vma-lock] in docs/counters.md: a fault retried from "
    "the per-VMA lock path is minor again";
constexpr const char* never_changed = "never (x86: at the handler's entry, before the VMA lookup)";
constexpr const char* io_only = "never (counted where the I/O is waited for)";

} // namespace

// The one table of counters (docs/counters.md): rules indexed by era().
const std::vector<counter>& table() {
    static const std::vector<counter> all = {
        {"min_flt",
         source::rusage,
         "getrusage(RUSAGE_CHILDREN) of the runner once the tree is reaped, less the root's own "
         "before its exec",
         {"minor_retry_minor", "minor", "minor", "minor_retry_minor"},
         accounting_6_6},
        {"maj_flt",
         source::rusage,
         "as min_flt",
         {"major_io", "major_io_retried", "major_io_retried", "major_io"},
         accounting_6_6},
        {"pgfault",
         source::vmstat,
         "/proc/vmstat before and after, less the runner's own faults and the root's before "
         "its exec (global: nothing else runs in the guest)",
         {"handler_calls", "handler_calls", "completed", "completed"},
         pgfault_6_4},
        {"pgmajfault",
         source::vmstat,
         "as pgfault",
         {"major_io", "major_io", "major_io", "major_io"},
         io_only},
        {"page-faults",
         source::perf,
         "perf software event, counting, inherited, enabled at the root's exec",
         {"hardware", "hardware", "hardware", "hardware"},
         never_changed},
        {"minor-faults",
         source::perf,
         "as page-faults",
         {"perf_minor_retry_minor", "perf_minor", "perf_minor", "perf_minor_retry_minor"},
         accounting_6_6},
        {"major-faults",
         source::perf,
         "as page-faults",
         {"major_io", "major_io_retried", "major_io_retried", "major_io"},
         accounting_6_6},
        {"page-faults:u",
         source::perf,
         "as page-faults, exclude_kernel (user-mode faults only)",
         {"hardware_user", "hardware_user", "hardware_user", "hardware_user"},
         never_changed},
        {"minor-faults:u",
         source::perf,
         "as page-faults:u",
         {"perf_minor_user_retry_minor", "perf_minor_user", "perf_minor_user",
          "perf_minor_user_retry_minor"},
         accounting_6_6},
        {"major-faults:u",
         source::perf,
         "as page-faults:u",
         {"major_io", "major_io_retried", "major_io_retried", "major_io"},
         accounting_6_6},
    };
    return all;
}

const counter* find_counter(const std::string& id) {
    for (const auto& c : table())
        if (id == c.id)
            return &c;
    return nullptr;
}

long slack(source s, const fault_tally& t) {
    // Exec's arguments straddling a page: one more GUP fault per exec.
    constexpr long vmstat_runner_slack = 4; // the runner's faults between its reads
    switch (s) {
    case source::rusage:
        return t.gup;
    case source::vmstat:
        return t.gup + vmstat_runner_slack;
    case source::perf:
        break;
    }
    return 0;
}

const char* to_string(outcome o) {
    constexpr const char* names[] = {"ok", "ok (within slack)", "FINDING", "UNAVAILABLE"};
    return names[static_cast<int>(o)];
}

int scenario_table::findings() const {
    return static_cast<int>(std::count_if(
        rows.begin(), rows.end(), [](const row& r) { return r.verdict == outcome::finding; }));
}

namespace {

// The other rules the measurement fits, with the eras they belong to.
std::string fitting_rules(const counter& c, long measured, long tolerance, const fault_tally& t,
                          const std::string& expected) {
    std::string out;
    for (const auto& r : rules()) {
        auto p = predict(r, t);
        if (expected == r.id || !p || std::labs(*p - measured) > tolerance)
            continue;
        std::string eras;
        for (int e = 0; e < era_count; ++e)
            if (c.rule_by_era[e] == std::string(r.id))
                eras += (eras.empty() ? "" : ", ") + std::string(to_string(static_cast<era>(e)));
        out +=
            (out.empty() ? "" : "; ") + std::string(r.id) +
            (eras.empty() ? " (no era of this counter)" : " (this counter's rule in " + eras + ")");
    }
    return out;
}

row judge_one(const counter& c, era e, const fault_tally& t, const reading& m) {
    row r{.counter = c.id, .rule = c.rule_by_era[static_cast<int>(e)]};
    const rule* expected = find_rule(r.rule);
    r.predicted = predict(*expected, t);
    r.measured = m.value;
    r.slack = slack(c.from, t);
    if (!m.value) {
        r.note = "measurement unavailable: " + m.unavailable;
        return r;
    }
    if (!r.predicted) {
        r.note = "prediction unavailable: the kernel has no exceptions:page_fault_kernel "
                 "tracepoint, so perf could not see kernel-mode faults";
        return r;
    }
    long diff = *m.value - *r.predicted;
    if (diff == 0) {
        r.verdict = outcome::ok;
        return r;
    }
    if (std::labs(diff) <= r.slack) {
        r.verdict = outcome::within_slack;
        r.note = "differs by " + std::to_string(diff) + ", within the slack of " +
                 std::to_string(r.slack);
        return r;
    }
    r.verdict = outcome::finding;
    auto fits = fitting_rules(c, *m.value, r.slack, t, r.rule);
    r.note = "measured " + std::to_string(diff > 0 ? diff : -diff) +
             (diff > 0 ? " more" : " fewer") + " than rule " + r.rule + "; " +
             (fits.empty() ? "no documented rule explains it" : "fits instead: " + fits);
    return r;
}

} // namespace

scenario_table judge(const std::string& scenario, const fault_tally& t, const measurement& m) {
    era e = era_of(m.release, m.machine);
    scenario_table out{.scenario = scenario, .era = to_string(e), .faults = t};
    for (const auto& c : table()) {
        auto it = m.counters.find(c.id);
        reading none{.unavailable = "not measured"};
        out.rows.push_back(judge_one(c, e, t, it == m.counters.end() ? none : it->second));
    }
    return out;
}

nlohmann::json to_json(const scenario_table& t) {
    nlohmann::json rows = nlohmann::json::array();
    auto opt = [](const std::optional<long>& v) { return v ? nlohmann::json(*v) : nullptr; };
    for (const auto& r : t.rows)
        rows.push_back({{"counter", r.counter},
                        {"rule", r.rule},
                        {"predicted", opt(r.predicted)},
                        {"measured", opt(r.measured)},
                        {"slack", r.slack},
                        {"verdict", to_string(r.verdict)},
                        {"note", r.note}});
    const auto& f = t.faults;
    return {{"scenario", t.scenario},
            {"era", t.era},
            {"skipped", t.skipped},
            {"findings", t.findings()},
            {"problems", t.problems},
            {"faults",
             {{"user", f.user},
              {"kernel", f.kernel_seen ? nlohmann::json(f.kernel) : nullptr},
              {"refused", f.refused},
              {"retried", f.retried},
              {"gup", f.gup},
              {"io", f.io}}},
            {"rows", rows}};
}

std::string to_text(const scenario_table& t) {
    std::ostringstream out;
    if (!t.skipped.empty()) {
        out << "  scenario " << t.scenario << ": SKIPPED (" << t.skipped << ")\n";
        return out.str();
    }
    const auto& f = t.faults;
    out << "  scenario " << t.scenario << " (kernel era " << t.era << "): hardware faults "
        << f.user << " user (" << f.refused << " refused, " << f.retried << " retried), "
        << (f.kernel_seen ? std::to_string(f.kernel) : std::string("UNAVAILABLE")) << " kernel; "
        << f.gup << " GUP (exec)\n";
    for (const auto& p : t.problems)
        out << "    problem: " << p << "\n";
    out << "    counter          rule                         predicted measured  verdict\n";
    auto cell = [](const std::optional<long>& v) { return v ? std::to_string(*v) : "-"; };
    for (const auto& r : t.rows) {
        char line[256];
        std::snprintf(line, sizeof line, "    %-16s %-28s %9s %8s  %s\n", r.counter.c_str(),
                      r.rule.c_str(), cell(r.predicted).c_str(), cell(r.measured).c_str(),
                      to_string(r.verdict));
        out << line;
        if (!r.note.empty())
            out << "      " << r.note << "\n";
    }
    return out.str();
}

std::string table_markdown() {
    std::ostringstream out;
    out << "| counter | how pfcheck reads it |";
    for (int e = 0; e < era_count; ++e)
        out << " " << to_string(static_cast<era>(e)) << " |";
    out << " what changed it |\n|---|---|";
    for (int e = 0; e <= era_count; ++e)
        out << "---|";
    out << "\n";
    for (const auto& c : table()) {
        out << "| `" << c.id << "` | " << c.read << " |";
        for (const char* r : c.rule_by_era)
            out << " `" << r << "` |";
        out << " " << c.history << " |\n";
    }
    return out.str();
}

} // namespace pfcheck::counters
