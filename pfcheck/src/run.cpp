// SPDX-License-Identifier: GPL-2.0-or-later
#include "run.hpp"

#include "counters_probe.hpp"
#include "diagnosis.hpp"
#include "observer/observer.hpp"
#include "oracle/oracle.hpp"
#include "schema/results.hpp"
#include "workloads/catalogue.hpp"
#include "workloads/executor.hpp"
#include "workloads/uffd.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <sstream>
#include <unistd.h>

namespace pfcheck {

int run_report::passed() const {
    int n = 0;
    for (const auto& v : verdicts)
        n += v.pass;
    return n;
}

int run_report::skipped() const {
    int n = 0;
    for (const auto& v : verdicts)
        n += !v.skipped.empty();
    return n;
}

int run_report::failed() const {
    return static_cast<int>(verdicts.size()) - passed() - skipped();
}

std::string self_path() {
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0)
        return {};
    buf[n] = '\0';
    return buf;
}

namespace {

// Asks the kernel about every name the scenario tracked. The executor has
// made sure that every scenario process sleeps on its command pipe, so no
// fault is in flight: one call per name suffices.
void query(const pf_syscalls& sys, const oracle::scenario& s, evidence& e) {
    for (const auto& name : oracle::tracked_names(s)) {
        pf_stat st{};
        kernel_answer a;
        a.err = sys.get_info(name, &st);
        if (a.err == 0)
            a.stat = st;
        e.kernel[name] = a;
    }
}

// Why this kernel cannot run the scenario ("" when it can).
std::string unavailable(const oracle::scenario& s) {
    for (const auto& st : s.steps)
        if (st.what == oracle::action::uffd_wp_write) {
            bool shared = s.regions[st.region].kind == oracle::region_kind::shared;
            if (auto why = workloads::uffd_wp_unavailable(shared); !why.empty())
                return "unavailable: " + why;
        }
    return {};
}

std::string errno_result(const char* call, const std::string& name, int err) {
    if (!err)
        return {};
    return std::string(call) + "(\"" + name + "\") failed: " + errno_name(err);
}

workloads::hooks hooks_for(const oracle::scenario& s, const pf_syscalls& sys,
                           const run_options& opt, evidence& e,
                           std::unique_ptr<observer::fault_observer>& obs, int& step,
                           counters::probe* probe) {
    workloads::hooks h;
    h.before_exec = [&, &s = s](pid_t root) {
        // Track the names before the exec, so that the exec starts the record.
        for (const auto& name : opt.no_kernel ? std::vector<std::string>{}
                                              : oracle::initially_tracked(s))
            if (auto err = errno_result("pf_set_param", name, sys.set_param(name)); !err.empty()) {
                e.run_errors.push_back(err);
                return false;
            }
        if (opt.use_perf) {
            std::string why;
            obs = observer::fault_observer::attach(root, why);
            if (!obs)
                e.perf_unavailable = why;
        }
        if (probe)
            probe->start(root); // last: the baselines as late as can be
        return true;
    };
    h.track = [&](const std::string& name) {
        return opt.no_kernel ? std::string() : errno_result("pf_set_param", name, sys.set_param(name));
    };
    h.cleanup = [&] {
        return opt.no_kernel ? std::string() : errno_result("pf_cleanup", "", sys.cleanup());
    };
    h.after_step = [&] {
        if (obs)
            obs->mark_step(step);
        ++step;
    };
    h.at_query = [&](const workloads::query_point& q) {
        e.query = q;
        if (!opt.no_kernel)
            query(sys, s, e);
        if (obs)
            e.perf = obs->take();
    };
    return h;
}

void dump_samples(const evidence& e) {
    for (const auto& f : e.perf->faults)
        std::fprintf(stderr,
                     "  sample t=%llu pid=%d tid=%d comm=%s exec=%d step=%d addr=%#llx err=%u\n",
                     static_cast<unsigned long long>(f.time), f.pid, f.tid, f.comm.c_str(),
                     f.exec_serial, f.step, static_cast<unsigned long long>(f.address),
                     f.error_code);
}

struct outcome {
    verdict v;
    std::optional<diagnosis_case> c;
    std::optional<counters::scenario_table> counted;
};

// Linux's counters against what perf's stream and the oracle predict.
counters::scenario_table count_table(const evidence& e, const verdict& v,
                                     const counters::measurement& m) {
    counters::fault_tally t;
    if (e.perf)
        t = counters::tally(perf_events(*e.perf, e.query), e.perf->kernel_faults, e.prediction,
                            *e.s);
    auto table = counters::judge(e.s->name, t, m);
    if (!e.perf)
        table.skipped = "UNAVAILABLE: no prediction without perf's stream: " + e.perf_unavailable;
    for (const auto& p : v.problems)
        table.problems.push_back(p);
    return table;
}

outcome run_one(const oracle::scenario& s, const pf_syscalls& sys, const run_options& opt,
                const oracle::kernel_model& model, const std::string& program) {
    // A scenario that needs a kernel feature runs only where it exists.
    if (auto why = unavailable(s); !why.empty())
        return {verdict{.scenario = s.name, .skipped = why}, std::nullopt,
                opt.counters
                    ? std::optional(counters::scenario_table{.scenario = s.name, .skipped = why})
                    : std::nullopt};
    evidence e;
    e.s = &s;
    e.prediction = oracle::predict(s, model);
    e.kernel_skipped = opt.no_kernel;
    if (!opt.use_perf)
        e.perf_unavailable = "disabled with --no-perf";
    std::unique_ptr<observer::fault_observer> obs;
    int step = 0;
    std::optional<counters::probe> probe;
    if (opt.counters)
        probe.emplace();
    auto h = hooks_for(s, sys, opt, e, obs, step, probe ? &*probe : nullptr);
    auto ran = workloads::execute(s, program, opt.workdir, h);
    // Every process of the tree has been reaped.
    auto measured = probe ? std::optional(probe->finish()) : std::nullopt;
    e.run_errors.insert(e.run_errors.end(), ran.errors.begin(), ran.errors.end());
    if (obs)
        e.minor_faults = obs->minor_faults(); // every process has exited now
    // Each scenario starts from nothing tracked: 64 names would not last the catalogue.
    if (!opt.no_kernel)
        sys.cleanup();
    auto v = judge(e);
    if (e.perf && opt.dump_samples && !v.pass)
        dump_samples(e);
    std::optional<counters::scenario_table> counted;
    if (measured)
        counted = count_table(e, v, *measured);
    return {v, make_case(e, v), std::move(counted)};
}

// A kernel without the syscalls cannot be judged at all: say so once.
std::string cannot_judge(const pf_syscalls& sys, const run_options& opt) {
    pf_stat probe{};
    int err = opt.no_kernel ? 0 : sys.get_info("pfcheck_probe", &probe);
    if (err == ENOSYS)
        return "the kernel does not implement pf_get_info at syscall " +
               std::to_string(sys.numbers().get_info) + " (ENOSYS; tried " +
               std::to_string(sys.numbers().set_param) + ", " +
               std::to_string(sys.numbers().get_info) + ", " +
               std::to_string(sys.numbers().cleanup) + ", from " + sys.numbers().origin +
               "; override with --nr)";
    if (opt.no_kernel && !opt.use_perf)
        return "--no-kernel with --no-perf leaves nothing to compare the oracle with";
    return {};
}

std::vector<const oracle::scenario*> choose(const run_options& opt, std::string& fatal) {
    std::vector<const oracle::scenario*> chosen;
    if (opt.scenarios.empty()) {
        for (const auto& s : workloads::catalogue())
            chosen.push_back(&s);
        return chosen;
    }
    for (const auto& name : opt.scenarios) {
        const auto* s = workloads::find(name);
        if (!s) {
            fatal = "no scenario named '" + name + "' (see `pfcheck list`)";
            return {};
        }
        chosen.push_back(s);
    }
    return chosen;
}

} // namespace

run_report run_scenarios(const pf_syscalls& sys, const run_options& opt) {
    run_report r;
    auto model = opt.model ? opt.model : oracle::model_for_release(kernel_release());
    if (!model) {
        r.fatal = "no kernel model for release " + kernel_release() +
                  ": pass --model 4.15 or --model 6.1";
        return r;
    }
    r.kernel_model = model->name;
    std::string program = self_path();
    if (program.empty())
        r.fatal = "cannot find pfcheck's own path in /proc/self/exe (is /proc mounted?)";
    if (r.fatal.empty())
        r.fatal = cannot_judge(sys, opt);
    auto chosen = r.fatal.empty() ? choose(opt, r.fatal) : std::vector<const oracle::scenario*>{};
    std::vector<diagnosis_case> cases;
    int i = 0;
    for (const auto* s : chosen) {
        auto [v, c, counted] = run_one(*s, sys, opt, *model, program);
        if (counted)
            r.counters.push_back(std::move(*counted));
        std::fprintf(stderr, "[%2d/%zu] %-16s %s\n", ++i, chosen.size(), s->name.c_str(),
                     !v.skipped.empty() ? ("SKIP (" + v.skipped + ")").c_str()
                                        : (v.pass ? "pass" : "FAIL"));
        if ((!v.pass && v.skipped.empty()) || opt.verbose)
            std::fputs(to_text(v).c_str(), stderr);
        if (c)
            cases.push_back(std::move(*c));
        r.verdicts.push_back(std::move(v));
    }
    if (!cases.empty() && !opt.no_kernel) {
        r.diagnosis = diagnose(cases);
        for (auto& v : r.verdicts)
            if (auto it = r.diagnosis->by_scenario.find(v.scenario); it != r.diagnosis->by_scenario.end())
                v.diagnoses = it->second;
    }
    return r;
}

namespace {

// The verdict as the results schema has it: what the host reads.
std::vector<schema::vma_row> rows_of(const std::vector<vma_row>& rows) {
    std::vector<schema::vma_row> out;
    for (const auto& r : rows)
        out.push_back({.start = r.area.start,
                       .end = r.area.end,
                       .perms = r.area.perms,
                       .name = r.area.name,
                       .controlled = r.controlled,
                       .oracle = r.oracle_count,
                       .perf = r.perf_count,
                       .kernel = r.kernel_count,
                       .agree = r.agree});
    return out;
}

schema::scenario_result result_of(const verdict& v) {
    const auto* s = workloads::find(v.scenario);
    schema::scenario_result out{.scenario = v.scenario,
                                .proves = s ? s->proves : "",
                                .pass = v.pass,
                                .skipped = v.skipped,
                                .oracle_total = v.oracle_total,
                                .perf_total = v.perf_total,
                                .kernel_total = v.kernel_total,
                                .perf = v.perf_status,
                                .slots = {.base = v.slots.base, .slot_bytes = v.slots.slot_bytes},
                                .problems = v.problems,
                                .diagnoses = v.diagnoses,
                                .rule = s ? oracle::to_string(s->rule) : "course"};
    out.vmas = rows_of(v.rows);
    for (std::size_t i = 1; i < v.records.size(); ++i) {
        const auto& r = v.records[i];
        out.other_names.push_back({.name = r.name,
                                   .oracle_total = r.oracle_total,
                                   .perf_total = r.perf_total,
                                   .kernel_total = r.kernel_total,
                                   .vmas = rows_of(r.rows)});
    }
    return out;
}

} // namespace

nlohmann::json to_json(const verdict& v) {
    return result_of(v);
}

nlohmann::json to_json(const run_report& r) {
    schema::run_report out{.kernel_release = kernel_release(),
                           .kernel_model = r.kernel_model,
                           .fatal = r.fatal,
                           .passed = r.passed(),
                           .failed = r.failed(),
                           .skipped = r.skipped()};
    for (const auto& v : r.verdicts)
        out.scenarios.push_back(result_of(v));
    if (r.diagnosis) {
        for (const auto& b : r.diagnosis->bugs)
            out.bugs.push_back({b.id, b.bug, b.mechanism, b.alternatives, b.scenarios, b.evidence});
        out.unexplained = r.diagnosis->unexplained;
        out.diagnosis_seconds = r.diagnosis->seconds;
    }
    return out;
}

nlohmann::json counters_json(const run_report& r) {
    nlohmann::json tables = nlohmann::json::array();
    int findings = 0, skipped = 0;
    for (const auto& t : r.counters) {
        tables.push_back(counters::to_json(t));
        findings += t.findings();
        skipped += !t.skipped.empty();
    }
    return {{"kernel_release", kernel_release()},
            {"era", counters::to_string(counters::era_of(kernel_release(), kernel_machine()))},
            {"fatal", r.fatal},
            {"findings", findings},
            {"skipped", skipped},
            {"scenarios", tables}};
}

std::string to_text(const verdict& v) {
    std::ostringstream out;
    auto cell = [](const std::optional<long>& x) { return x ? std::to_string(*x) : "-"; };
    out << "  scenario " << v.scenario << ": " << (v.pass ? "pass" : "FAIL") << "  (perf "
        << v.perf_status << ")\n";
    out << "    VMA                                  oracle   perf kernel\n";
    for (const auto& r : v.rows) {
        bool interesting = r.controlled || r.kernel_count.value_or(0) || r.perf_count.value_or(0);
        if (!interesting)
            continue;
        char line[200];
        std::snprintf(line, sizeof line, "    %08llx-%08llx %-4s %-12.12s %6s %6s %6s%s\n",
                      static_cast<unsigned long long>(r.area.start),
                      static_cast<unsigned long long>(r.area.end), r.area.perms.c_str(),
                      r.area.name.c_str(), cell(r.oracle_count).c_str(), cell(r.perf_count).c_str(),
                      cell(r.kernel_count).c_str(), r.agree ? "" : "  <- differs");
        out << line;
    }
    out << "    total (oracle: its regions only)      " << v.oracle_total << "  "
        << cell(v.perf_total) << "  " << cell(v.kernel_total) << "\n";
    for (const auto& p : v.problems)
        out << "    problem: " << p << "\n";
    for (const auto& d : v.diagnoses)
        out << "    diagnosis: " << d << "\n";
    return out.str();
}

} // namespace pfcheck
