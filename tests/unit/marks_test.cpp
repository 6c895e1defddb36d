// SPDX-License-Identifier: GPL-2.0-or-later
// Two-vCPU figures from the insn_marks plugin's log: a recorded log of a real
// boot (fixtures/insn_marks-*.log), its pairing with pfbench's report, and
// every way the figures become UNAVAILABLE rather than a pass.
#include "insn_marks.h"
#include "marks.hpp"
#include "report/overhead.hpp"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

using namespace harness;
using nlohmann::json;

namespace {

marks_log log_of(const std::string& text) {
    std::istringstream in(text);
    return read_marks_log(in);
}

std::string mark(unsigned vcpu, unsigned event, unsigned arg, unsigned long long insns) {
    char line[128];
    std::snprintf(line, sizeof line, PF_MARK_LINE, vcpu, (unsigned long)PF_MARK_ID(event, arg),
                  insns);
    return line;
}

const std::string loaded =
    "insn_marks: loaded, API 0..1, target i386, 2 vCPUs (max 2), counting per instruction\n";

// One repetition of `config` (its code) with `windows` windows of 2^log2n
// faults on each of vCPUs 0 and 1, each window `per_window` instructions.
std::string run_of(unsigned code, unsigned log2n, int windows, unsigned long long per_window) {
    std::string s;
    for (unsigned v : {0u, 1u}) {
        unsigned long long at = 1000000ull * (v + 1);
        s += mark(v, PF_MARK_RUN, code, at);
        for (int w = 0; w < windows; ++w) {
            at += 5000;
            s += mark(v, PF_MARK_BEGIN, log2n, at);
            at += per_window;
            s += mark(v, PF_MARK_END, log2n, at);
        }
    }
    return s;
}

// The guest part of a report.json: pfbench's rows for one configuration.
json guest_with(const std::string& config, long n, long iterations, int repetitions,
                bool error = false) {
    json rows = json::array();
    for (int r = 0; r < repetitions; ++r) {
        json row = {{"run_name", "cow_fault_pair_marks/" + std::to_string(n) +
                                     "/iterations:" + std::to_string(iterations) + "/manual_time"},
                    {"repetition_index", r},
                    {"iterations", iterations},
                    {"items_per_second", 12345.0}};
        if (error)
            row["error_occurred"] = true;
        rows.push_back(row);
    }
    return {{"mode", "bench"}, {"bench", {{config, {{"benchmarks", rows}}}}}};
}

std::string fixture(const std::string& name) {
    std::ifstream in(std::string(PFCHECK_FIXTURES) + "/" + name);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace

BOOST_AUTO_TEST_SUITE(insn_marks)

// The encoding: the NOP's bytes carry the tag and the id, nothing else is a mark.
BOOST_AUTO_TEST_CASE(a_mark_is_the_tagged_nop) {
    const unsigned char m[] = {0x0f, 0x1f, 0x84, 0x00, 0x0c, 0x20, 0x46, 0x50};
    BOOST_TEST(pf_mark_decode(m, sizeof m) == 0x200c);
    BOOST_TEST(PF_MARK_EVENT(0x200c) == unsigned(PF_MARK_BEGIN));
    BOOST_TEST(PF_MARK_ARG(0x200c) == 12u);
    const unsigned char padding[] = {0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00};
    BOOST_TEST(pf_mark_decode(padding, sizeof padding) == -1); // gcc's own 8-byte NOP
    BOOST_TEST(pf_mark_decode(m, 7) == -1);
    BOOST_TEST(std::string(pf_mark_config_name(4)) == "tracked-self");
    BOOST_TEST(pf_mark_config_name(7) == nullptr);
}

BOOST_AUTO_TEST_CASE(mark_lines_parse) {
    auto m = parse_mark_line("mark vcpu=1 id=0x300c insns=18446744073709551615");
    BOOST_REQUIRE(m);
    BOOST_TEST(m->vcpu == 1u);
    BOOST_TEST(m->id == 0x300cu);
    BOOST_TEST(m->insns == 18446744073709551615ull);
    BOOST_TEST(!parse_mark_line("mark vcpu=1 id=0x300c insns=18446744073709551616")); // overflow
    BOOST_TEST(parse_mark_line("mark vcpu=0 id=0x200c insns=12 range=3")->insns == 12u);
    BOOST_TEST(!parse_mark_line("insn_marks: exit vcpu=0 insns=5"));
    BOOST_TEST(!parse_mark_line("mark vcpu=1 id=0x300c"));
}

// Two vCPUs, one repetition of 4 windows of 4,096 faults each: the windows of
// both, over the faults of both.
BOOST_AUTO_TEST_CASE(windows_of_both_vcpus_make_one_figure) {
    auto log = log_of(loaded + run_of(4, 12, 4, 4096 * 3000ull));
    BOOST_TEST(log.loaded);
    BOOST_TEST(log.counting == "instruction");
    BOOST_TEST(log.problems.empty());
    BOOST_REQUIRE(log.runs.size() == 2u);
    std::vector<std::string> problems;
    auto f = pair_figures(log, {{"tracked-self", {{4096, 4}}}}, problems);
    BOOST_TEST(problems.empty());
    BOOST_REQUIRE(f.size() == 1u);
    BOOST_TEST(f[0].config == "tracked-self");
    BOOST_TEST(f[0].faults_per_window == 4096);
    BOOST_TEST(f[0].insns_per_fault == 3000.0);
}

// A recorded log (the patched 6.1 i386 SMP kernel, two vCPUs, 2026-12-01;
// the windows of 4,096 faults only): (b), (c) and (d), 5 repetitions each,
// as the harness counted them then (one repetition of (b) and one of (d)
// caught a slow stretch of both vCPUs, +16% and +19%).
BOOST_AUTO_TEST_CASE(a_recorded_log_gives_the_figures_of_its_run) {
    std::istringstream in(fixture("insn_marks-6.1-i386-smp2-patched-4096.log"));
    auto log = read_marks_log(in);
    BOOST_TEST(log.loaded);
    BOOST_TEST(log.problems.empty());
    BOOST_TEST(log.runs.size() == 30u);
    std::vector<std::string> problems;
    auto f = pair_figures(
        log,
        {{"untracked", {{4096, 4}}}, {"tracked-self", {{4096, 4}}}, {"tracked-64", {{4096, 4}}}},
        problems);
    BOOST_TEST(problems.empty());
    BOOST_REQUIRE(f.size() == 15u);
    std::map<std::string, std::vector<double>> by_config;
    for (const auto& x : f)
        by_config[x.config].push_back(x.insns_per_fault);
    BOOST_TEST(by_config["tracked-self"].at(0) == 3287.0878, boost::test_tools::tolerance(1e-6));
    BOOST_TEST(by_config["untracked"].at(1) == 3768.4259, boost::test_tools::tolerance(1e-6));
    BOOST_TEST(by_config["tracked-64"].at(0) == 3941.9319, boost::test_tools::tolerance(1e-6));
    // Expecting 16-fault windows too (pfbench ran both sizes) is no problem
    // for the 4,096 ones: the missing size is simply not there.
    problems.clear();
    BOOST_TEST(pair_figures(log, {{"tracked-self", {{16, 256}, {4096, 4}}}}, problems).size() ==
               5u);
}

// The k-th runs of the two vCPUs pair up, per configuration and size.
BOOST_AUTO_TEST_CASE(repetitions_pair_in_order) {
    auto log = log_of(loaded + run_of(0, 4, 256, 16 * 3000ull) + run_of(0, 4, 256, 16 * 3100ull) +
                      run_of(0, 12, 4, 4096 * 2900ull));
    std::vector<std::string> problems;
    auto f = pair_figures(log, {{"vanilla", {{16, 256}, {4096, 4}}}}, problems);
    BOOST_TEST(problems.empty());
    BOOST_REQUIRE(f.size() == 3u);
    BOOST_TEST(f[0].faults_per_window == 16);
    BOOST_TEST(f[0].repetition == 0);
    BOOST_TEST(f[0].insns_per_fault == 3000.0);
    BOOST_TEST(f[1].repetition == 1);
    BOOST_TEST(f[1].insns_per_fault == 3100.0);
    BOOST_TEST(f[2].faults_per_window == 4096);
    BOOST_TEST(f[2].insns_per_fault == 2900.0);
}

// A run whose windows do not number what pfbench made gives no figure.
BOOST_AUTO_TEST_CASE(a_window_short_is_no_figure) {
    auto log = log_of(loaded + run_of(4, 12, 3, 1000));
    std::vector<std::string> problems;
    auto f = pair_figures(log, {{"tracked-self", {{4096, 4}}}}, problems);
    BOOST_TEST(f.empty());
    BOOST_REQUIRE(problems.size() == 1u);
    BOOST_TEST(problems[0].find("pfbench made 4") != std::string::npos);
}

// Windows on one vCPU only (both processes on one CPU): no figure.
BOOST_AUTO_TEST_CASE(one_vcpu_is_no_pair) {
    std::string one =
        mark(0, PF_MARK_RUN, 4, 10) + mark(0, PF_MARK_BEGIN, 12, 20) + mark(0, PF_MARK_END, 12, 30);
    std::vector<std::string> problems;
    auto f = pair_figures(log_of(loaded + one), {{"tracked-self", {{4096, 1}}}}, problems);
    BOOST_TEST(f.empty());
    BOOST_TEST(problems.size() == 1u);
}

// Marks out of order are problems, never windows.
BOOST_AUTO_TEST_CASE(marks_out_of_order_are_problems) {
    auto log =
        log_of(loaded + mark(0, PF_MARK_BEGIN, 4, 10) + mark(1, PF_MARK_RUN, 2, 5) +
               mark(1, PF_MARK_END, 4, 20) + mark(1, PF_MARK_BEGIN, 4, 30) +
               mark(1, PF_MARK_END, 5, 40) + mark(1, 9, 0, 50) + mark(1, PF_MARK_BEGIN, 4, 60));
    BOOST_TEST(log.problems.size() == 5u);
    BOOST_REQUIRE(log.runs.size() == 1u);
    BOOST_TEST(log.runs[0].windows == 0);
}

// pfbench's iterations per configuration and N; a configuration whose rows
// failed has none, so its marks make no figure.
BOOST_AUTO_TEST_CASE(pfbench_iterations_come_from_its_rows) {
    auto it = pfbench_iterations(guest_with("vanilla", 4096, 4, 5));
    BOOST_TEST(it.at("vanilla").at(4096) == 4);
    BOOST_TEST(pfbench_iterations(guest_with("vanilla", 4096, 4, 5, true)).empty());
    BOOST_TEST(pfbench_iterations(json()).empty());
}

// A good log: pfbench's rows are kept aside and replaced by the figures, as
// the report reads them (1 ns = 1 instruction), status ok.
BOOST_AUTO_TEST_CASE(the_report_gets_instructions_per_fault) {
    json report = {{"run", {{"arch", "i386"}}}, {"guest", guest_with("tracked-self", 4096, 4, 1)}};
    auto out = amend_report(report, log_of(loaded + run_of(4, 12, 4, 4096 * 3000ull)), "", "l");
    BOOST_TEST(out["marks"]["status"] == "ok");
    const json& b = out["guest"]["bench"]["tracked-self"];
    BOOST_TEST(b["pfbench_rows"].size() == 1u);
    BOOST_REQUIRE(b["benchmarks"].size() == 1u);
    BOOST_TEST(b["benchmarks"][0]["run_name"] == "cow_fault_pair/4096");
    report::samples s;
    BOOST_TEST(report::add_samples(out, s) == "");
    BOOST_TEST(s["tracked-self"]["cow_fault_pair/4096"].at(0) == 3000.0);
    BOOST_TEST(report::marks_unavailable(out) == "");
}

// Every way there are no counts says UNAVAILABLE and why: no plugin line in
// the log, a reason from the harness (QEMU failed), a configuration without
// marks, per-block counting.
BOOST_AUTO_TEST_CASE(no_counts_is_unavailable_with_the_reason) {
    json report = {{"run", {{"arch", "i386"}}}, {"guest", guest_with("tracked-self", 4096, 4, 1)}};
    auto no_plugin = amend_report(report, log_of(""), "", "l");
    BOOST_TEST(no_plugin["marks"]["status"] == "unavailable");
    BOOST_TEST(report::marks_unavailable(no_plugin).find("not loaded") != std::string::npos);
    BOOST_TEST(no_plugin["guest"]["bench"]["tracked-self"]["benchmarks"].empty());

    auto qemu_failed = amend_report(report, log_of(loaded), "no report: QEMU failed", "l");
    BOOST_TEST(report::marks_unavailable(qemu_failed) == "no report: QEMU failed");

    auto no_marks = amend_report(report, log_of(loaded), "", "l");
    BOOST_TEST(report::marks_unavailable(no_marks) ==
               "no instruction counts for tracked-self cow_fault_pair/4096");

    json failed = {{"guest", guest_with("tracked-self", 4096, 4, 1, true)}};
    auto pfbench_failed = amend_report(failed, log_of(loaded + run_of(4, 12, 4, 1000)), "", "l");
    BOOST_TEST(report::marks_unavailable(pfbench_failed).find("tracked-self (pfbench failed)") !=
               std::string::npos);

    // A size pfbench ran without its marks voids the set, even with the other size there.
    json two_sizes = report;
    two_sizes["guest"]["bench"]["tracked-self"]["benchmarks"].push_back(
        guest_with("tracked-self", 16, 256, 1)["bench"]["tracked-self"]["benchmarks"][0]);
    auto half = amend_report(two_sizes, log_of(loaded + run_of(4, 12, 4, 4096 * 3000ull)), "", "l");
    BOOST_TEST(report::marks_unavailable(half) ==
               "no instruction counts for tracked-self cow_fault_pair/16");

    std::string tb = "insn_marks: loaded, API 0..1, target i386, 2 vCPUs (max 2), counting per "
                     "translation block (inexact across faults)\n";
    auto per_tb = amend_report(report, log_of(tb + run_of(4, 12, 4, 1000)), "", "l");
    BOOST_TEST(report::marks_unavailable(per_tb).find("translation block") != std::string::npos);
}

// QEMU's refusal of the plugin is the reason given.
BOOST_AUTO_TEST_CASE(qemu_refusing_the_plugin_is_found_on_the_console) {
    std::string console =
        "qemu: module ui-ui-gtk not found, do you want to install qemu-system-gui package?\n"
        "qemu-system-i386: Could not load plugin /usr/lib/x86_64-linux-gnu/libz.so.1: "
        "'qemu_plugin_install': /lib/x86_64-linux-gnu/libz.so.1: undefined symbol: "
        "qemu_plugin_install\n";
    BOOST_TEST(plugin_load_error(console).find("undefined symbol: qemu_plugin_install") !=
               std::string::npos);
    BOOST_TEST(plugin_load_error("[    0.000000] Linux version 6.1.192\n") == "");
}

// An unavailable count is never a pass: the two-vCPU targets say UNAVAILABLE
// whatever the figures, and are there even without any figure.
BOOST_AUTO_TEST_CASE(unavailable_overrides_every_two_vcpu_verdict) {
    std::vector<report::target_check> checks = {
        {"(c) with a rival at once within 3% of (a)", "cow_fault_pair/4096", "1.010 x", "met"},
        {"(c) within 2% of (a)", "cow_fault/16", "1.01 x", "met"}};
    report::mark_unavailable(checks, "patched kernel: QEMU failed");
    BOOST_TEST(checks[0].verdict == "UNAVAILABLE (patched kernel: QEMU failed)");
    BOOST_TEST(checks[1].verdict == "met");
    std::vector<report::target_check> none;
    report::mark_unavailable(none, "no plugin");
    BOOST_REQUIRE(none.size() == 2u);
    BOOST_TEST(none[0].verdict == "UNAVAILABLE (no plugin)");
}

BOOST_AUTO_TEST_SUITE_END()
