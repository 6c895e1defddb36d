// SPDX-License-Identifier: GPL-2.0-or-later
// Which console lines fail a run: the kernel reporting a bug in itself, not a
// user program's fault and not pfcheck's own words.
#include "process.hpp"
#include "qemu.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>

BOOST_AUTO_TEST_SUITE(harness_console)

BOOST_AUTO_TEST_CASE(kernel_reports_are_recognised) {
    using harness::is_kernel_report;
    BOOST_TEST(is_kernel_report("[    1.2] kernel BUG at mm/pf_stat.c:240!"));
    BOOST_TEST(is_kernel_report("[    1.2] WARNING: CPU: 0 PID: 1 at mm/memory.c:10 f+0x1/0x2"));
    BOOST_TEST(is_kernel_report("[    1.2] BUG: kernel NULL pointer dereference, address: 0"));
    BOOST_TEST(is_kernel_report("[    1.2] Oops: 0002 [#1] PREEMPT"));
    BOOST_TEST(is_kernel_report("[    1.2] Kernel panic - not syncing: Fatal exception"));
    BOOST_TEST(is_kernel_report("BUG: KASAN: use-after-free in pf_get_info"));
}

BOOST_AUTO_TEST_CASE(other_lines_are_not) {
    using harness::is_kernel_report;
    BOOST_TEST(!is_kernel_report("[    0.6] traps: init[1] general protection fault ip:80596b3"));
    BOOST_TEST(!is_kernel_report("[ 3/38] parent_only      pass"));
    BOOST_TEST(!is_kernel_report("[INFO940] [ERROR] pf_get_info: process name is not tracked"));
    BOOST_TEST(!is_kernel_report("abi ok   pf_cleanup succeeds"));
}

// A guest given two CPUs that brings up one fails the run (`-smp 2` without
// sockets= once ran every "two CPU" race stress on one).
BOOST_AUTO_TEST_CASE(missing_cpus_are_a_report) {
    using harness::cpus_missing;
    BOOST_TEST(cpus_missing("[    1.036000] smp: Brought up 1 node, 1 CPU", 2) ==
               "the guest brought up 1 of the 2 CPUs it was given ([    1.036000] smp: Brought "
               "up 1 node, 1 CPU)");
    BOOST_TEST(cpus_missing("[    0.388000] smp: Brought up 1 node, 2 CPUs", 2).empty());
    BOOST_TEST(cpus_missing("[    0.3] smp: Brought up 1 node, 1 CPU", 1).empty());
    BOOST_TEST(cpus_missing("[ 3/38] parent_only      pass", 2).empty());
}

// A guest whose TSC the kernel rejected keeps a millisecond clock: perf's
// records from two CPUs tie, and a child's first faults were once read before
// its fork record (four scenarios failed on a debug kernel, 2026-11-30).
BOOST_AUTO_TEST_CASE(a_rejected_tsc_is_seen) {
    using harness::tsc_rejected;
    BOOST_TEST(tsc_rejected("[    0.064000] tsc: Marking TSC unstable due to could not calculate "
                            "TSC khz") ==
               "the guest kernel rejected its TSC (could not calculate TSC khz)");
    BOOST_TEST(!tsc_rejected("[    3.449829] tsc: Marking TSC unstable due to clocksource "
                             "watchdog")
                    .empty());
    BOOST_TEST(tsc_rejected("[    0.000000] tsc: Fast TSC calibration using PIT").empty());
    BOOST_TEST(tsc_rejected("[    1.923164] clocksource: Switched to clocksource tsc").empty());
}

// A program silent for longer than its limit, while the limit is watched, is
// stopped: a 4.15 guest hung bringing up its second vCPU under -icount, and
// every icount boot of an SMP bench waited out its 900 s deadline.
BOOST_AUTO_TEST_CASE(a_silent_program_is_stopped) {
    harness::command c{"sh", {"-c", "echo booting; sleep 30"}};
    c.silence_limit = std::chrono::seconds(1);
    c.watch_silence = [] { return true; };
    auto start = std::chrono::steady_clock::now();
    auto out = harness::run(c);
    BOOST_TEST(out.silent);
    BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(10)));
    c.args = {"-c", "echo working; sleep 3; echo done"};
    c.watch_silence = [] { return false; }; // not watched: a quiet program may work
    BOOST_TEST(!harness::run(c).silent);
    c.args = {"-c", "for i in 1 2 3 4 5 6; do echo $i; sleep 0.5; done"};
    c.watch_silence = [] { return true; }; // watched, but never silent for 1 s
    auto talking = harness::run(c);
    BOOST_TEST(!talking.silent);
    BOOST_TEST(talking.exit_code == 0);
}

// KUnit's KTAP on the console, time stamps and all: each case, with its suite.
BOOST_AUTO_TEST_CASE(kunit_results_are_read) {
    harness::ktap_reader k;
    BOOST_TEST(!k.read("[    0.512000] KTAP version 1").has_value());
    BOOST_TEST(!k.read("[    0.512000]     # Subtest: pf_stat").has_value());
    using v = harness::kunit_case::verdict;
    auto ok = k.read("[    0.613000]     ok 1 pf_test_binning_at_edges");
    BOOST_REQUIRE(ok.has_value());
    BOOST_TEST(ok->name == "pf_stat.pf_test_binning_at_edges");
    BOOST_TEST((ok->result == v::ok));
    auto bad = k.read("    not ok 2 pf_test_saturation");
    BOOST_REQUIRE(bad.has_value());
    BOOST_TEST((bad->result == v::failed));
    // A case that skips itself is no pass.
    auto skip = k.read("[    0.8]     ok 9 pf_test_names_seq_carry # SKIP 64-bit: one word");
    BOOST_REQUIRE(skip.has_value());
    BOOST_TEST(skip->name == "pf_stat.pf_test_names_seq_carry");
    BOOST_TEST((skip->result == v::skipped));
    BOOST_TEST(skip->reason == "64-bit: one word");
    // The suite's own line, and a user program's output, are no test case.
    BOOST_TEST(!k.read("[    0.7] ok 1 pf_stat").has_value());
    BOOST_TEST(!k.read("ok 3 something").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
