// SPDX-License-Identifier: GPL-2.0-or-later
#include "results.hpp"

#include "channel/channel.hpp"
#include "exit_codes.hpp"
#include "files.hpp"
#include "report/results.hpp"

#include <algorithm>
#include <fstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace harness {

namespace {

// Why the guest could not have sent a report, or "" when it could.
std::string boot_failure(const boot_outcome& b) {
    if (!b.started)
        return "QEMU did not start: " + b.error;
    if (!b.unfit.empty())
        return b.unfit;
    if (!b.stalled.empty())
        return b.stalled;
    if (b.timed_out)
        return b.any_output ? "the guest did not finish in time (hang?)"
                            : "the guest printed nothing before the deadline (no boot; with "
                              "ACCEL=kvm, KVM may not work here: try ACCEL=tcg)";
    if (b.panicked)
        return "the guest kernel panicked";
    if (!b.any_output && b.exit_code != 0)
        return "QEMU failed (exit status " + std::to_string(b.exit_code) +
               ") before the guest printed anything";
    return {};
}

// The guest's report, or nullopt with the reason; `raw` keeps it as sent.
std::optional<schema::guest_report> receive(const boot_outcome& b, const fs::path& results_file,
                                            json& raw, std::string& reason) {
    if (reason = boot_failure(b); !reason.empty())
        return std::nullopt;
    auto framed = channel::unframe(read_text(results_file));
    if (!framed.payload) {
        reason = "no usable results from the guest: " + framed.error;
        return std::nullopt;
    }
    std::string why;
    auto report = schema::parse_guest_report(*framed.payload, why, &raw);
    if (!report)
        reason = "the guest's report " + why;
    return report;
}

void pass(collected& c, check_kind kind) {
    ++c.passed;
    ++c.passed_by[kind];
}

void fail(collected& c, check_kind kind, std::string name, std::string message) {
    ++c.failed;
    ++c.failed_by[kind];
    c.failures.push_back({kind, std::move(name), std::move(message)});
}

// Which failed checks count: every one under the strict profile; under the
// course profile, only those of the course's rules (docs/semantics.md tags
// each rule); a failed "pfcheck" rule is advice.
struct counting {
    bool course = false;
    bool is_advice(const std::string& rule) const { return course && rule == "pfcheck"; }
};

void count_abi(const std::vector<schema::abi_row>& rows, const counting& how, collected& c) {
    for (const auto& r : rows) {
        std::string message = "expected " + r.expected + ", got " + r.got;
        if (r.skipped)
            ++c.skipped;
        else if (r.pass)
            pass(c, check_kind::abi);
        else if (how.is_advice(r.rule))
            c.advice.push_back({check_kind::abi, r.proves, message});
        else
            fail(c, check_kind::abi, r.proves, message);
    }
}

// Each failed scenario with its diagnoses (or, without one, its first problem).
void count_scenarios(const schema::run_report& run, const counting& how, collected& c) {
    c.passed += run.passed;
    c.failed += run.failed;
    c.skipped += run.skipped;
    c.passed_by[check_kind::scenario] += run.passed;
    c.failed_by[check_kind::scenario] += run.failed;
    for (const auto& s : run.scenarios) {
        if (s.pass || !s.skipped.empty())
            continue;
        std::string why;
        for (const auto& d : s.diagnoses)
            why += (why.empty() ? "" : "; ") + d;
        if (why.empty() && !s.problems.empty())
            why = s.problems.front();
        if (how.is_advice(s.rule)) {
            --c.failed; // the guest counted it
            --c.failed_by[check_kind::scenario];
            c.advice.push_back({check_kind::scenario, s.scenario, why});
        } else {
            c.failures.push_back({check_kind::scenario, s.scenario, why});
        }
    }
}

// The fuzzer and the race stress: one check each, passed when every call
// was as expected (and there were calls).
void count_calls(check_kind kind, long calls, long bad, const std::vector<std::string>& first,
                 const std::string& fatal, collected& c) {
    if (bad == 0 && calls > 0 && fatal.empty()) {
        pass(c, kind);
        return;
    }
    fail(c, kind, "",
         !fatal.empty() ? fatal
                        : std::to_string(bad) + " of " + std::to_string(calls) +
                              " calls wrong; first: " + (first.empty() ? "" : first.front()));
}

// Each configuration that produced figures counts as a pass; each row in error, a failure.
void count_bench(const std::map<std::string, schema::bench_config>& bench, collected& c) {
    for (const auto& [config, b] : bench) {
        if (!b.error.empty()) {
            fail(c, check_kind::bench, config, b.error);
            continue;
        }
        pass(c, check_kind::bench);
        for (const auto& row : b.benchmarks)
            if (row.error_occurred)
                fail(c, check_kind::bench, config + " " + row.run_name, row.error_message);
    }
}

// `pfcheck counters`: a scenario whose counters all follow their era's rule
// passes; a finding fails it; a skipped one is counted apart.
void count_counters(const schema::counters_report& r, collected& c) {
    for (const auto& t : r.scenarios) {
        if (!t.skipped.empty()) {
            ++c.skipped;
            continue;
        }
        if (t.findings == 0) {
            pass(c, check_kind::counters);
            continue;
        }
        for (const auto& row : t.rows)
            if (row.verdict == "FINDING")
                fail(c, check_kind::counters, t.scenario + " " + row.counter, row.note);
    }
}

// KUnit's test cases, run inside the guest kernel at boot: one check each;
// a case that skips itself (a 32-bit test on a 64-bit kernel) is a skip.
void count_kunit(const boot_outcome& b, collected& c) {
    for (const auto& k : b.kunit) {
        if (k.result == kunit_case::verdict::ok)
            pass(c, check_kind::kunit);
        else if (k.result == kunit_case::verdict::skipped)
            ++c.skipped;
        else
            fail(c, check_kind::kunit, k.name, "the KUnit test case failed (see console.log)");
    }
}

// Counts every check of the report; the reason when pfcheck could not judge.
void judge(const schema::guest_report& g, const counting& how, collected& c) {
    if (!g.fatal.empty())
        c.reason = "the guest says: " + g.fatal;
    if (g.abi)
        count_abi(*g.abi, how, c);
    if (g.run) {
        if (!g.run->fatal.empty())
            c.reason = "pfcheck could not judge: " + g.run->fatal;
        count_scenarios(*g.run, how, c);
        for (const auto& b : g.run->bugs) {
            c.bugs.push_back({b.id});
            c.bugs.back().insert(c.bugs.back().end(), b.alternatives.begin(), b.alternatives.end());
        }
        c.unexplained = static_cast<int>(g.run->unexplained.size());
    }
    if (g.fuzz)
        count_calls(check_kind::fuzz, g.fuzz->calls, g.fuzz->mismatches, g.fuzz->first_mismatches,
                    g.fuzz->fatal, c);
    if (g.stress)
        count_calls(check_kind::stress, g.stress->calls, g.stress->unexpected,
                    g.stress->first_unexpected, g.stress->fatal, c);
    if (g.kmemleak && !g.kmemleak->available)
        fail(c, check_kind::kmemleak, "",
             "UNAVAILABLE in this kernel (no /sys/kernel/debug/kmemleak): the leak check did "
             "not run");
    if (g.bench)
        count_bench(*g.bench, c);
    if (g.counters) {
        if (!g.counters->fatal.empty())
            c.reason = "pfcheck could not judge: " + g.counters->fatal;
        count_counters(*g.counters, c);
    }
    if (c.reason.empty() && c.failed)
        c.reason = std::to_string(c.failed) + " checks failed";
}

// pfcheck ran but compared nothing: the kernel lacks the syscalls (ENOSYS),
// say, or pfcheck could not find itself. This is where the harness learns it.
bool nothing_compared(const std::optional<schema::guest_report>& g) {
    return g &&
           ((g->run && !g->run->fatal.empty()) || (g->counters && !g->counters->fatal.empty()));
}

// The verdict of the whole run, the kernel's own reports included.
void conclude(collected& c, const std::optional<schema::guest_report>& g, const boot_outcome& b) {
    c.kernel_reports = b.kernel_reports;
    if (!b.kernel_reports.empty())
        c.reason = (c.reason.empty() ? "" : c.reason + "; ") +
                   "the kernel reported a bug: " + b.kernel_reports.front();
    c.ok = c.judged && c.reason.empty() && c.passed > 0;
    if (c.judged && c.passed == 0 && c.reason.empty())
        c.reason = "no check ran";
    // A kernel that reported a bug (BUG, Oops, KASAN...) has been judged,
    // whatever else happened; a panic alone (no init, say) judges nothing.
    bool bug =
        std::any_of(b.kernel_reports.begin(), b.kernel_reports.end(), [](const std::string& l) {
            return l.find("Kernel panic") == std::string::npos;
        });
    if (c.ok)
        c.status = exit_code::passed;
    else if ((c.judged && !nothing_compared(g)) || bug)
        c.status = exit_code::failed;
    else
        c.status = exit_code::not_judged;
}

// report.json (the guest's report as sent, with where and how it was made)
// and summary.md.
void write_results(const run_context& ctx, const boot_outcome& b, const collected& c,
                   const std::optional<schema::guest_report>& g, const json& raw) {
    schema::run_meta meta = ctx.meta;
    meta.written = now_utc();
    meta.verdict = verdict_word(c);
    meta.reason = c.reason;
    meta.guest_seconds = b.elapsed.count() / 1000.0;
    meta.kernel_reports = b.kernel_reports;
    json full = {{"run", meta}, {"guest", g ? raw : json(nullptr)}};
    fs::create_directories(ctx.out_dir);
    std::ofstream(ctx.out_dir / "report.json") << full.dump(2) << "\n";
    std::ofstream(ctx.out_dir / "summary.md") << report::summary_markdown({meta, g});
}

} // namespace

std::string to_string(check_kind k) {
    // In the order of the enum.
    constexpr const char* names[] = {"scenario", "abi",   "fuzz",  "stress",
                                     "kmemleak", "bench", "kunit", "counters"};
    return names[static_cast<int>(k)];
}

std::string describe(const failure& f) {
    switch (f.kind) {
    case check_kind::scenario:
    case check_kind::bench:
    case check_kind::kunit:
    case check_kind::counters:
        return to_string(f.kind) + " " + f.name + ": " + f.message;
    case check_kind::abi:
        return "abi: " + f.name + ": " + f.message;
    default:
        return to_string(f.kind) + ": " + f.message;
    }
}

collected collect(const run_context& ctx, const boot_outcome& b, const fs::path& results_file) {
    collected c;
    json raw;
    auto report = receive(b, results_file, raw, c.reason);
    if (report) {
        c.judged = true;
        count_kunit(b, c);
        judge(*report, counting{.course = ctx.meta.profile == "course"}, c);
    }
    conclude(c, report, b);
    write_results(ctx, b, c, report, raw);
    return c;
}

std::string verdict_word(const collected& c) {
    if (c.ok)
        return "pass";
    return c.status == exit_code::not_judged ? "not judged" : "fail";
}

void write_not_judged(const run_context& ctx, const std::string& reason) {
    collected c;
    c.status = exit_code::not_judged;
    c.reason = reason;
    write_results(ctx, boot_outcome{}, c, std::nullopt, json(nullptr));
}

} // namespace harness
