// SPDX-License-Identifier: GPL-2.0-or-later
// The harness's reading of what came back: checks counted, failures named
// by kind, and the exit status a run deserves.
#include "channel/channel.hpp"
#include "exit_codes.hpp"
#include "results.hpp"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace harness;
using nlohmann::json;

namespace {

struct scratch {
    fs::path dir = fs::temp_directory_path() / ("pfcheck-collect-" + std::to_string(getpid()));
    scratch() { fs::create_directories(dir); }
    ~scratch() { fs::remove_all(dir); }

    // Collects `results` (the raw stream) after a boot that went as `b` says.
    collected run(const std::string& results, boot_outcome b = booted()) {
        std::ofstream(dir / "results.raw") << results;
        return collect({.meta = {.arch = "i386", .mode = "check"}, .out_dir = dir}, b,
                       dir / "results.raw");
    }
    static boot_outcome booted() {
        boot_outcome b;
        b.started = b.exited = b.any_output = true;
        b.exit_code = 0;
        return b;
    }
};

json recorded(const std::string& name) {
    std::ifstream in(std::string(PFCHECK_FIXTURES) + "/" + name + ".report.json");
    return json::parse(in);
}

} // namespace

BOOST_AUTO_TEST_SUITE(harness_collect)

BOOST_AUTO_TEST_CASE(failures_are_named_by_kind) {
    scratch s;
    auto c = s.run(channel::frame(recorded("synthetic-fail")["guest"].dump()));
    BOOST_TEST(c.judged);
    BOOST_TEST(c.status == exit_code::failed);
    BOOST_TEST(c.passed == 2);
    BOOST_TEST(c.failed == 3);
    BOOST_TEST(c.skipped == 2);
    BOOST_TEST(c.reason == "3 checks failed");
    BOOST_REQUIRE(c.failures.size() == 3u);
    BOOST_TEST((c.failures[0].kind == check_kind::abi));
    BOOST_TEST(describe(c.failures[0]) ==
               "abi: a name of length 0 is EINVAL: expected EINVAL, got 0");
    BOOST_TEST((c.failures[1].kind == check_kind::scenario));
    BOOST_TEST(describe(c.failures[1]) ==
               "scenario fork_chain: misses the faults of forked children; counts reads, too");
    BOOST_TEST(c.failures[2].message == "pf_get_info failed: EINVAL"); // no diagnosis: the problem
    BOOST_TEST(fs::exists(s.dir / "summary.md"));
}

// The real run's report is judged as the harness judged it then.
BOOST_AUTO_TEST_CASE(a_real_run_is_judged_as_before) {
    scratch s;
    json real = recorded("real-i386");
    auto c = s.run(channel::frame(real["guest"].dump()));
    BOOST_TEST(c.reason == real["run"]["reason"].get<std::string>());
    BOOST_TEST((c.ok ? "pass" : "fail") == real["run"]["verdict"].get<std::string>());
}

// pfcheck ran but could compare nothing: the kernel lacks the syscalls.
BOOST_AUTO_TEST_CASE(missing_syscalls_judge_nothing) {
    scratch s;
    json g = {{"run", {{"fatal", "the kernel does not implement pf_get_info (ENOSYS)"}}}};
    auto c = s.run(channel::frame(g.dump()));
    BOOST_TEST(c.status == exit_code::not_judged);
    BOOST_TEST(c.reason.find("ENOSYS") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(damaged_results_judge_nothing) {
    scratch s;
    auto c = s.run("PFCHECK-RESULTS-BEGIN\n{\"run\":");
    BOOST_TEST(c.status == exit_code::not_judged);
    BOOST_TEST(c.reason.find("no usable results") == 0u);
    c = s.run(channel::frame("{\"abi\": 3}"));
    BOOST_TEST(c.status == exit_code::not_judged);
    BOOST_TEST(c.reason.find("does not fit the results schema") != std::string::npos);
}

// A kernel bug judges the kernel, even when no results came back; a panic alone does not.
BOOST_AUTO_TEST_CASE(a_kernel_bug_is_a_failure) {
    scratch s;
    auto b = scratch::booted();
    b.kernel_reports = {"BUG: KASAN: use-after-free in pf_fault"};
    auto c = s.run("", b);
    BOOST_TEST(c.status == exit_code::failed);
    BOOST_TEST(c.reason.find("the kernel reported a bug: BUG: KASAN") != std::string::npos);
    b.kernel_reports = {"Kernel panic - not syncing: No working init found."};
    b.panicked = true;
    BOOST_TEST(s.run("", b).status == exit_code::not_judged);
}

BOOST_AUTO_TEST_CASE(debug_and_bench_checks) {
    scratch s;
    json g = {{"fuzz", {{"calls", 100}, {"mismatches", 2}, {"first_mismatches", {"set_param: x"}}}},
              {"stress", {{"calls", 50}, {"unexpected", 0}}},
              {"kmemleak", {{"available", false}}},
              {"bench",
               {{"untracked", {{"benchmarks", {{{"run_name", "cow/8"}}}}}},
                {"tracked-64", {{"error", "pfbench failed"}}}}}};
    auto c = s.run(channel::frame(g.dump()));
    BOOST_TEST(c.passed == 2); // stress, and one bench configuration
    BOOST_REQUIRE(c.failures.size() == 3u);
    BOOST_TEST(describe(c.failures[0]) == "fuzz: 2 of 100 calls wrong; first: set_param: x");
    BOOST_TEST((c.failures[1].kind == check_kind::kmemleak));
    BOOST_TEST(describe(c.failures[2]) == "bench tracked-64: pfbench failed");
    BOOST_TEST(c.status == exit_code::failed);
}

BOOST_AUTO_TEST_SUITE_END()
