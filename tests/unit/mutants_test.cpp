// SPDX-License-Identifier: GPL-2.0-or-later
// The mutants: their patch headers, how a run is judged, and the state that
// keeps the rows of the mutants a run did not rebuild.
#include "mutants.hpp"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace harness;

namespace {

const fs::path patches = fs::path(PFCHECK_FIXTURES) / "../../../patch/mutants";

run_result failed_with(std::vector<failure> failures, std::vector<std::string> reports = {}) {
    run_result r{.code = exit_code::failed};
    r.c.failed = static_cast<int>(failures.size());
    r.c.failures = std::move(failures);
    r.c.kernel_reports = std::move(reports);
    r.reason = r.c.reason = std::to_string(r.c.failed) + " checks failed";
    return r;
}

} // namespace

BOOST_AUTO_TEST_SUITE(mutants)

BOOST_AUTO_TEST_CASE(headers_are_read_once) {
    auto m = read_mutant(patches / "cleanup_errno.patch"); // a folded Subject
    BOOST_TEST(m.name == "cleanup_errno");
    BOOST_TEST(m.description == "pf_cleanup before pf_set_param returns EINVAL, not EACCES");
    BOOST_TEST(m.expect == "expected EACCES, got EINVAL");
    BOOST_TEST(!m.debug);
    BOOST_TEST(read_mutant(patches / "cleanup_no_grace.patch").debug);
    BOOST_TEST(read_mutant(patches / "retry_double.patch").run_arch == "x86_64");
    auto two = select_mutants(patches, {"shifted", "first_touch"});
    BOOST_REQUIRE(two.size() == 2u);
    BOOST_TEST(two[0].name == "first_touch");
}

BOOST_AUTO_TEST_CASE(a_kill_must_name_the_bug) {
    mutant m{.name = "no_children", .expect = "forked children"};
    auto r = judge_mutant(
        m, "i386",
        failed_with({{check_kind::abi, "x", "expected 0, got EINVAL"},
                     {check_kind::scenario, "fork_chain", "misses the faults of forked children"}}),
        12.4);
    BOOST_TEST((r.result == mutant_outcome::killed));
    BOOST_TEST(r.diagnosis == "scenario fork_chain: misses the faults of forked children");
    BOOST_TEST(r.failed_checks == "2: abi, fork_chain");
    BOOST_TEST(outcome_text(r) == "killed");

    auto wrong = judge_mutant(m, "i386", failed_with({{check_kind::fuzz, "", "3 of 9 calls"}}), 1);
    BOOST_TEST(outcome_text(wrong) == "killed, wrong diagnosis");
    BOOST_TEST(wrong.diagnosis == "fuzz: 3 of 9 calls");
}

BOOST_AUTO_TEST_CASE(a_kernel_report_can_name_the_bug) {
    mutant m{.name = "cleanup_no_grace", .expect = "use-after-free"};
    auto r = judge_mutant(m, "x86_64, debug kernel",
                          failed_with({}, {"BUG: KASAN: use-after-free in pf_fault"}), 1);
    BOOST_TEST((r.result == mutant_outcome::killed));
    BOOST_TEST(r.diagnosis == "the kernel reported a bug: BUG: KASAN: use-after-free in pf_fault");
}

BOOST_AUTO_TEST_CASE(a_kunit_case_can_name_the_bug) {
    mutant m{.name = "reserve_by_record", .expect = "pf_test_privileged_reserve"};
    auto r = judge_mutant(m, "i386",
                          failed_with({{check_kind::kunit, "pf_stat.pf_test_privileged_reserve",
                                        "the KUnit test case failed (see console.log)"}}),
                          1);
    BOOST_TEST((r.result == mutant_outcome::killed));
    BOOST_TEST(r.diagnosis == "kunit pf_stat.pf_test_privileged_reserve: the KUnit test case "
                              "failed (see console.log)");
}

BOOST_AUTO_TEST_CASE(survivors_and_errors) {
    mutant m{.name = "shifted", .expect = "shifted"};
    BOOST_TEST(outcome_text(judge_mutant(m, "i386", {.code = exit_code::passed}, 1)) == "SURVIVED");
    run_result none{.code = exit_code::not_judged, .reason = "build: the kernel does not build"};
    BOOST_TEST(outcome_text(judge_mutant(m, "i386", none, 1)) ==
               "ERROR: build: the kernel does not build");
}

// A run of some mutants keeps the other rows of the last run, by name.
BOOST_AUTO_TEST_CASE(state_merges_by_name) {
    fs::path dir = fs::temp_directory_path() / ("pfcheck-mutants-" + std::to_string(getpid()));
    fs::create_directories(dir);
    mutant_row a{.name = "first_touch", .result = mutant_outcome::killed};
    mutant_row b{.name = "shifted", .result = mutant_outcome::wrong_diagnosis};
    mutant_row gone{.name = "no_such_patch", .result = mutant_outcome::killed};
    merge_state(dir / "state.json", {a, b, gone}, {}, patches);
    b.result = mutant_outcome::killed;
    auto rows = merge_state(dir / "state.json", {b}, {"shifted"}, patches);
    BOOST_REQUIRE(rows.size() == 2u);
    BOOST_TEST(rows[0].name == "first_touch");
    BOOST_TEST((rows[1].result == mutant_outcome::killed));
    BOOST_TEST(write_summary(dir, rows) == exit_code::passed);
    std::ifstream md(dir / "summary.md");
    std::string all((std::istreambuf_iterator<char>(md)), {});
    BOOST_TEST(all.find("kill rate: 2/2 (100%)") != std::string::npos);
    fs::remove_all(dir);
}

// Expect-Bugs: all and only the injected bugs, or a model the scenarios
// cannot tell from one of them; nothing left unexplained.
BOOST_AUTO_TEST_CASE(bugs_named_exactly) {
    using harness::named_exactly;
    BOOST_TEST(named_exactly({"first_touch", "no_exec_reset"},
                             {{"no_exec_reset"}, {"first_touch", "any_fault"}}, 0));
    BOOST_TEST(named_exactly({"any_fault"}, {{"first_touch", "any_fault"}}, 0));
    BOOST_TEST(!named_exactly({"first_touch"}, {{"first_touch"}, {"shifted"}}, 0));
    BOOST_TEST(!named_exactly({"first_touch", "shifted"}, {{"first_touch"}}, 0));
    BOOST_TEST(!named_exactly({"first_touch"}, {{"first_touch"}}, 2));
    BOOST_TEST(!named_exactly({"first_touch", "any_fault"}, {{"first_touch", "any_fault"}}, 0));
}

BOOST_AUTO_TEST_SUITE_END()
