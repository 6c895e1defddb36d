// SPDX-License-Identifier: GPL-2.0-or-later
#include "run.hpp"

#include "observer/observer.hpp"
#include "oracle/oracle.hpp"
#include "schema/results.hpp"
#include "workloads/catalogue.hpp"
#include "workloads/executor.hpp"
#include "workloads/uffd.hpp"

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

// [vsyscall] is shown by /proc/PID/maps on x86_64 but is no VMA.
oracle::layout observed_layout(const std::string& maps) {
    auto l = oracle::parse_maps(maps);
    std::erase_if(l, [](const oracle::vma& v) { return v.name == "[vsyscall]"; });
    return l;
}

// Asks the kernel. The executor has made sure that every scenario process
// sleeps on its command pipe, so no fault is in flight: one call suffices.
void query(const pf_syscalls& sys, const std::string& name, evidence& e) {
    pf_stat st{};
    e.kernel_errno = sys.get_info(name, &st);
    if (e.kernel_errno == 0)
        e.kernel = st;
}

verdict run_one(const oracle::scenario& s, const pf_syscalls& sys, const run_options& opt,
                const oracle::kernel_model& model, const std::string& program) {
    // A scenario that needs a kernel feature runs only where it exists.
    for (const auto& st : s.steps)
        if (st.what == oracle::action::uffd_wp_write) {
            bool shared = s.regions[st.region].kind == oracle::region_kind::shared;
            if (auto why = workloads::uffd_wp_unavailable(shared); !why.empty()) {
                verdict v;
                v.scenario = s.name;
                v.skipped = "unavailable: " + why;
                return v;
            }
        }
    evidence e;
    e.s = &s;
    e.prediction = oracle::predict(s, model);
    std::unique_ptr<observer::fault_observer> obs;
    if (!opt.use_perf)
        e.perf_unavailable = "disabled with --no-perf";

    workloads::hooks h;
    e.kernel_skipped = opt.no_kernel;
    h.before_exec = [&](pid_t root) {
        // Track the name before the exec, so that the exec starts the record.
        int err = opt.no_kernel ? 0 : sys.set_param(s.name);
        if (err) {
            e.run_errors.push_back("pf_set_param(\"" + s.name + "\") failed: " + errno_name(err));
            return false;
        }
        if (opt.use_perf) {
            std::string why;
            obs = observer::fault_observer::attach(root, why);
            if (!obs)
                e.perf_unavailable = why;
        }
        return true;
    };
    h.after_step = [&] {
        if (obs)
            obs->drain();
    };
    h.after_exec_step = [&] {
        if (obs)
            obs->restart();
    };
    h.at_query = [&](const workloads::query_point& q) {
        e.layout = observed_layout(q.maps);
        e.slots = q.slots;
        e.segv_writes = q.segv_writes;
        if (!opt.no_kernel)
            query(sys, s.name, e);
        if (obs)
            e.perf = obs->take();
    };
    auto ran = workloads::execute(s, program, opt.workdir, h);
    e.run_errors.insert(e.run_errors.end(), ran.errors.begin(), ran.errors.end());
    if (obs)
        e.minor_faults = obs->minor_faults(); // every process has exited now
    auto v = judge(e);
    if (e.perf && opt.dump_samples && !v.pass)
        for (const auto& f : e.perf->faults)
            std::fprintf(stderr, "  sample t=%llu pid=%d tid=%d comm=%s addr=%#llx err=%u\n",
                         static_cast<unsigned long long>(f.time), f.pid, f.tid, f.comm.c_str(),
                         static_cast<unsigned long long>(f.address), f.error_code);
    return v;
}

} // namespace

run_report run_scenarios(const pf_syscalls& sys, const run_options& opt) {
    run_report r;
    auto model = oracle::model_for_release(kernel_release());
    r.kernel_model = model.name;
    std::string program = self_path();
    if (program.empty()) {
        r.fatal = "cannot find pfcheck's own path in /proc/self/exe (is /proc mounted?)";
        return r;
    }
    // A kernel without the syscalls cannot be judged at all: say so once.
    pf_stat probe{};
    int err = opt.no_kernel ? 0 : sys.get_info("pfcheck_probe", &probe);
    if (err == ENOSYS) {
        r.fatal = "the kernel does not implement pf_get_info at syscall " +
                  std::to_string(sys.numbers().get_info) + " (ENOSYS; numbers from " +
                  sys.numbers().origin + ", override with --nr)";
        return r;
    }
    std::vector<const oracle::scenario*> chosen;
    if (opt.no_kernel && !opt.use_perf) {
        r.fatal = "--no-kernel with --no-perf leaves nothing to compare the oracle with";
        return r;
    }
    if (opt.scenarios.empty()) {
        for (const auto& s : workloads::catalogue())
            chosen.push_back(&s);
    } else {
        for (const auto& name : opt.scenarios) {
            const auto* s = workloads::find(name);
            if (!s) {
                r.fatal = "no scenario named '" + name + "' (see `pfcheck list`)";
                return r;
            }
            chosen.push_back(s);
        }
    }
    int i = 0;
    for (const auto* s : chosen) {
        ++i;
        auto v = run_one(*s, sys, opt, model, program);
        std::fprintf(stderr, "[%2d/%zu] %-16s %s\n", i, chosen.size(), s->name.c_str(),
                     !v.skipped.empty() ? ("SKIP (" + v.skipped + ")").c_str()
                                        : (v.pass ? "pass" : "FAIL"));
        if ((!v.pass && v.skipped.empty()) || opt.verbose)
            std::fputs(to_text(v).c_str(), stderr);
        r.verdicts.push_back(std::move(v));
    }
    return r;
}

namespace {

// The verdict as the results schema has it: what the host reads.
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
                                .diagnoses = v.diagnoses};
    for (const auto& r : v.rows)
        out.vmas.push_back({.start = r.area.start,
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
    return out;
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
