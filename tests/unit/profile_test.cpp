// SPDX-License-Identifier: GPL-2.0-or-later
// What a run counts under each profile (strict: every rule; course: the
// course's, pfcheck's stricter rules being advice), and the verdict of a
// run that judged nothing, in report.json and summary.md.
#include "channel/channel.hpp"
#include "exit_codes.hpp"
#include "files.hpp"
#include "results.hpp"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace harness;
using nlohmann::json;

BOOST_AUTO_TEST_SUITE(profiles)

namespace {

// A guest report: an errno row of each rule (the pfcheck one failing, or
// both passing) and a scenario of each rule (the pfcheck one failing).
json guest(bool course_row_fails = false) {
    json abi = json::array({{{"proves", "a name of length 0 is EINVAL"},
                             {"expected", "EINVAL"},
                             {"got", course_row_fails ? "0" : "EINVAL"},
                             {"pass", !course_row_fails},
                             {"rule", "course"}},
                            {{"proves", "a NUL inside the given length is EINVAL"},
                             {"expected", "EINVAL"},
                             {"got", "0"},
                             {"pass", false},
                             {"rule", "pfcheck"}}});
    json scenarios =
        json::array({{{"scenario", "parent_first"}, {"pass", true}, {"rule", "course"}},
                     {{"scenario", "stale_layout"},
                      {"proves", "entries past nb_vma are zero"},
                      {"pass", false},
                      {"rule", "pfcheck"},
                      {"diagnoses", {"reports stale VMA addresses past nb_vma"}}}});
    json bugs = json::array({{{"id", "stale_entries"},
                              {"bug", "reports stale VMA addresses past nb_vma"},
                              {"mechanism", "exec zeroes nb_vma but not the arrays"},
                              {"scenarios", {"stale_layout"}}}});
    return {{"mode", "check"},
            {"abi", abi},
            {"run",
             {{"kernel_model", "4.15"},
              {"passed", 1},
              {"failed", 1},
              {"scenarios", scenarios},
              {"bugs", bugs}}}};
}

struct run_dir {
    fs::path dir = fs::temp_directory_path() / ("pfcheck-profile-" + std::to_string(getpid()));
    run_dir() { fs::create_directories(dir); }
    ~run_dir() { fs::remove_all(dir); }
    collected run(const json& g, const std::string& profile) {
        std::ofstream(dir / "results.raw") << channel::frame(g.dump());
        boot_outcome b;
        b.started = b.exited = b.any_output = true;
        b.exit_code = 0;
        return collect(
            {.meta = {.arch = "i386", .mode = "check", .profile = profile}, .out_dir = dir}, b,
            dir / "results.raw");
    }
    std::string summary() const { return read_text(dir / "summary.md"); }
    json report() const { return json::parse(read_text(dir / "report.json")); }
};

} // namespace

BOOST_AUTO_TEST_CASE(a_failed_pfcheck_rule_passes_under_course_and_fails_under_strict) {
    run_dir r;
    auto course = r.run(guest(), "course");
    BOOST_TEST(course.status == exit_code::passed);
    BOOST_TEST(course.ok);
    BOOST_TEST(course.failed == 0);
    BOOST_TEST(course.passed == 2);
    BOOST_REQUIRE(course.advice.size() == 2u);
    BOOST_TEST(describe(course.advice[0]) ==
               "abi: a NUL inside the given length is EINVAL: expected EINVAL, got 0");
    BOOST_TEST(describe(course.advice[1]) ==
               "scenario stale_layout: reports stale VMA addresses past nb_vma");
    BOOST_TEST(r.report()["run"]["profile"] == "course");
    BOOST_TEST(r.report()["run"]["verdict"] == "pass");
    std::string md = r.summary();
    BOOST_TEST(md.find("- verdict: **PASS**") != std::string::npos);
    BOOST_TEST(md.find("- profile: course") != std::string::npos);
    BOOST_TEST(md.find("## Your kernel: no bug found") != std::string::npos);
    auto advice = md.find("## Advice: pfcheck's stricter rules");
    BOOST_REQUIRE(advice != std::string::npos);
    BOOST_TEST(md.find("(`stale_entries`)", advice) != std::string::npos);
    BOOST_TEST(md.find("- a NUL inside the given length is EINVAL: expected EINVAL, got 0 "
                       "(pfcheck rule)",
                       advice) != std::string::npos);
    BOOST_TEST(md.find("| stale_layout | pfcheck | 0 | - | - | advice |") != std::string::npos);

    auto strict = r.run(guest(), "strict");
    BOOST_TEST(strict.status == exit_code::failed);
    BOOST_TEST(strict.failed == 2);
    BOOST_TEST(strict.advice.empty());
    BOOST_TEST(r.report()["run"]["verdict"] == "fail");
    md = r.summary();
    BOOST_TEST(md.find("- verdict: **FAIL**") != std::string::npos);
    BOOST_TEST(md.find("## Advice") == std::string::npos);
    BOOST_TEST(md.find("## Your kernel: 1 bug found") != std::string::npos);
    BOOST_TEST(md.find("| stale_layout | pfcheck | 0 | - | - | FAIL |") != std::string::npos);
}

// The course's own rules count under the course profile.
BOOST_AUTO_TEST_CASE(a_failed_course_rule_fails_under_course) {
    run_dir r;
    auto c = r.run(guest(true), "course");
    BOOST_TEST(c.status == exit_code::failed);
    BOOST_TEST(c.failed == 1);
    BOOST_TEST(c.advice.size() == 2u);
    std::string md = r.summary();
    auto failing = md.find("## Errno and permission rows that fail");
    auto advice = md.find("## Advice: pfcheck's stricter rules");
    BOOST_REQUIRE(failing != std::string::npos);
    BOOST_TEST(advice > failing); // the advice comes after the failures
}

// A run that compared nothing is "not judged", in report.json and summary.md.
BOOST_AUTO_TEST_CASE(nothing_compared_is_not_judged) {
    run_dir r;
    auto c = r.run({{"run", {{"fatal", "the kernel does not implement pf_get_info (ENOSYS)"}}}},
                   "strict");
    BOOST_TEST(c.status == exit_code::not_judged);
    BOOST_TEST(r.report()["run"]["verdict"] == "not judged");
    BOOST_TEST(r.summary().find("- verdict: **NOT JUDGED** — pfcheck could not judge") !=
               std::string::npos);
    write_not_judged({.meta = {.arch = "i386", .mode = "check"}, .out_dir = r.dir},
                     "build: the kernel does not build");
    BOOST_TEST(r.report()["run"]["verdict"] == "not judged");
    BOOST_TEST(r.summary().find("- verdict: **NOT JUDGED** — build: the kernel does not build") !=
               std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
