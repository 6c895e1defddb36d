#include "results.hpp"

#include "channel/channel.hpp"
#include "files.hpp"

#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace harness {

namespace {

std::string cell(const json& v) {
    return v.is_null() ? "-" : v.dump();
}

// The Markdown summary a student can read, and paste.
std::string summary(const run_context& ctx, const json& report, const collected& c,
                    const boot_outcome& b) {
    std::ostringstream md;
    md << "# pfcheck " << ctx.mode << " on " << ctx.kernel_version << " (" << ctx.arch << ")\n\n";
    md << "- verdict: **" << (c.ok ? "PASS" : "FAIL") << "**"
       << (c.reason.empty() ? "" : " — " + c.reason) << "\n";
    md << "- kernel tree: " << ctx.tree_id << ", series: " << ctx.series << "\n";
    md << "- accelerator: " << ctx.accel << ", guest time: " << ctx.guest_time
       << ", guest run time: " << b.elapsed.count() / 1000.0
       << " s\n- pfcheck commit: " << ctx.commit << ", written " << now_utc() << "\n\n";
    if (report.contains("abi")) {
        md << "## Errno and permission table\n\n| check | expected | got | result "
              "|\n|---|---|---|---|\n";
        for (const auto& r : report["abi"])
            md << "| " << r.value("proves", "") << " | " << r.value("expected", "") << " | "
               << r.value("got", "") << " | "
               << (r.value("skipped", false) ? "skip" : (r.value("pass", false) ? "pass" : "FAIL"))
               << " |\n";
        md << "\n";
    }
    if (report.contains("run")) {
        const auto& run = report["run"];
        md << "## Scenarios (kernel model: " << run.value("kernel_model", "?") << ")\n\n";
        md << "| scenario | oracle | perf | kernel | verdict | diagnosis "
              "|\n|---|---|---|---|---|---|\n";
        for (const auto& s : run["scenarios"]) {
            std::string diag;
            for (const auto& d : s["diagnoses"])
                diag += (diag.empty() ? "" : "; ") + d.get<std::string>();
            md << "| " << s.value("scenario", "") << " | " << cell(s["oracle_total"]) << " | "
               << cell(s["perf_total"]) << " | " << cell(s["kernel_total"]) << " | "
               << (!s.value("skipped", "").empty() ? "SKIP"
                                                   : (s.value("pass", false) ? "pass" : "FAIL"))
               << " | " << (s.value("skipped", "").empty() ? diag : s.value("skipped", ""))
               << " |\n";
        }
        md << "\nThe oracle column counts the scenario's own regions only; perf and the "
              "kernel count every VMA.\n";
    }
    if (!b.kernel_reports.empty()) {
        md << "\n## Kernel reports on the console\n\n";
        for (const auto& l : b.kernel_reports)
            md << "    " << l << "\n";
    }
    return md.str();
}

} // namespace

collected collect(const run_context& ctx, const boot_outcome& b, const fs::path& results_file) {
    collected c;
    json report;
    auto framed = channel::unframe(read_text(results_file));
    if (!b.started) {
        c.reason = "QEMU did not start: " + b.error;
    } else if (b.timed_out) {
        c.reason = b.any_output ? "the guest did not finish in time (hang?)"
                                : "the guest printed nothing before the deadline (no boot; with "
                                  "ACCEL=kvm, KVM may not work here: try ACCEL=tcg)";
    } else if (b.panicked) {
        c.reason = "the guest kernel panicked";
    } else if (!b.any_output && b.exit_code != 0) {
        c.reason = "QEMU failed (exit status " + std::to_string(b.exit_code) +
                   ") before the guest printed anything";
    } else if (!framed.payload) {
        c.reason = "no usable results from the guest: " + framed.error;
    } else {
        report = json::parse(*framed.payload, nullptr, false);
        if (report.is_discarded())
            c.reason = "the guest's report is not valid JSON";
        else
            c.judged = true;
    }
    if (c.judged) {
        if (report.contains("fatal") && report["fatal"].is_string() &&
            !report["fatal"].get<std::string>().empty())
            c.reason = "the guest says: " + report["fatal"].get<std::string>();
        for (const auto& r : report.value("abi", json::array())) {
            if (r.value("skipped", false))
                ++c.skipped;
            else if (r.value("pass", false))
                ++c.passed;
            else {
                ++c.failed;
                c.failures.push_back("abi: " + r.value("proves", "") + ": expected " +
                                     r.value("expected", "") + ", got " + r.value("got", ""));
            }
        }
        if (report.contains("run")) {
            const auto& run = report["run"];
            if (!run.value("fatal", "").empty()) {
                c.reason = "pfcheck could not judge: " + run.value("fatal", "");
                c.nothing_compared = true;
            }
            c.passed += run.value("passed", 0);
            c.failed += run.value("failed", 0);
            c.skipped += run.value("skipped", 0);
            for (const auto& sc : run.value("scenarios", json::array())) {
                if (sc.value("pass", true) || !sc.value("skipped", "").empty())
                    continue;
                std::string why;
                for (const auto& d : sc.value("diagnoses", json::array()))
                    why += (why.empty() ? "" : "; ") + d.get<std::string>();
                if (why.empty() && !sc.value("problems", json::array()).empty())
                    why = sc["problems"][0].get<std::string>();
                c.failures.push_back("scenario " + sc.value("scenario", "") + ": " + why);
            }
        }
        // The fuzzer and the race stress: one check each.
        for (const char* part : {"fuzz", "stress"}) {
            if (!report.contains(part))
                continue;
            const json& f = report[part];
            long bad = f.value(part == std::string("fuzz") ? "mismatches" : "unexpected", 0L);
            long calls = f.value("calls", 0L);
            std::string fatal = f.value("fatal", "");
            if (bad == 0 && calls > 0 && fatal.empty()) {
                ++c.passed;
                continue;
            }
            ++c.failed;
            std::string first;
            for (const char* key : {"first_mismatches", "first_unexpected"})
                if (f.contains(key) && !f[key].empty())
                    first = f[key][0].get<std::string>();
            c.failures.push_back(std::string(part) + ": " +
                                 (!fatal.empty()
                                      ? fatal
                                      : std::to_string(bad) + " of " + std::to_string(calls) +
                                            " calls wrong; first: " + first));
        }
        if (report.contains("kmemleak") && !report["kmemleak"].value("available", false)) {
            ++c.failed;
            c.failures.push_back("kmemleak: UNAVAILABLE in this kernel (no "
                                 "/sys/kernel/debug/kmemleak): the leak check did not run");
        }
        // Benchmarks: each configuration that produced figures counts as a pass.
        const json bench = report.value("bench", json::object());
        for (const auto& [config, b] : bench.items()) {
            if (b.contains("error")) {
                ++c.failed;
                c.failures.push_back("bench " + config + ": " + b["error"].get<std::string>());
            } else {
                ++c.passed;
                for (const auto& row : b.value("benchmarks", json::array()))
                    if (row.value("error_occurred", false) && ++c.failed)
                        c.failures.push_back("bench " + config + " " + row.value("run_name", "") +
                                             ": " + row.value("error_message", ""));
            }
        }
        if (c.reason.empty() && c.failed)
            c.reason = std::to_string(c.failed) + " checks failed";
    }
    if (!b.kernel_reports.empty()) {
        std::string first = b.kernel_reports.front();
        c.reason =
            (c.reason.empty() ? "" : c.reason + "; ") + "the kernel reported a bug: " + first;
    }
    c.ok = c.judged && c.reason.empty() && c.passed > 0;
    if (c.judged && c.passed == 0 && c.reason.empty())
        c.reason = "no check ran";

    json meta = {{"arch", ctx.arch},
                 {"accel", ctx.accel},
                 {"kernel", ctx.kernel_version},
                 {"tree", ctx.tree_id},
                 {"series", ctx.series},
                 {"commit", ctx.commit},
                 {"mode", ctx.mode},
                 {"guest_time", ctx.guest_time},
                 {"written", now_utc()},
                 {"verdict", c.ok ? "pass" : "fail"},
                 {"reason", c.reason},
                 {"guest_seconds", b.elapsed.count() / 1000.0},
                 {"kernel_reports", b.kernel_reports}};
    json full = {{"run", meta}, {"guest", c.judged ? report : json(nullptr)}};
    fs::create_directories(ctx.out_dir);
    std::ofstream(ctx.out_dir / "report.json") << full.dump(2) << "\n";
    std::ofstream(ctx.out_dir / "summary.md")
        << summary(ctx, c.judged ? report : json::object(), c, b);
    return c;
}

} // namespace harness
