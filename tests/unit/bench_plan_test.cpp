// SPDX-License-Identifier: GPL-2.0-or-later
// Which kernels `make bench` compares, and why it refuses: from facts about
// the trees, no tree needed.
#include "bench_plan.hpp"

#include <boost/test/unit_test.hpp>

using namespace harness;

namespace {

tree_facts tree(const char* path, int major, int minor, const char* wires = "") {
    return {path, kernel_version{major, minor, 0, ""}, wires};
}

const char* wired = "syscall_32.tbl: 385 pf_set_param";

bench_request request(std::optional<tree_facts> ksrc, std::optional<tree_facts> base,
                      const char* series) {
    return {std::move(ksrc), std::move(base), series, "/pfcheck"};
}

std::vector<std::string> roles(const bench_plan& p) {
    std::vector<std::string> out;
    for (const auto& k : p.kernels)
        out.push_back(k.role);
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(bench_plans)

// `make bench`: Debian's pristine 6.1 against its reference series, as before.
BOOST_AUTO_TEST_CASE(debian_alone_is_pristine_against_the_reference) {
    auto p = plan_bench(request(std::nullopt, std::nullopt, ""));
    BOOST_TEST(p.refused == "");
    BOOST_TEST((roles(p) == std::vector<std::string>{"vanilla", "patched"}));
    BOOST_TEST(p.kernels[0].pristine);
    BOOST_TEST(p.kernels[1].series == "/pfcheck/patch/linux-6.1");
    BOOST_TEST(!plan_bench(request(std::nullopt, tree("/v", 4, 15), "")).refused.empty());
}

// KSRC=<vanilla 4.15> SERIES=patch/linux-4.15: the tree is its own base, and
// the series under test is the reference: two kernels.
BOOST_AUTO_TEST_CASE(a_vanilla_tree_with_the_reference_series_is_its_own_base) {
    auto p = plan_bench(request(tree("/v415", 4, 15), std::nullopt, "reference"));
    BOOST_TEST(p.refused == "");
    BOOST_TEST((roles(p) == std::vector<std::string>{"vanilla", "patched"}));
    BOOST_TEST(p.kernels[0].ksrc == "/v415");
    BOOST_TEST(p.kernels[0].series.empty());
    BOOST_TEST(p.kernels[1].series == "/pfcheck/patch/linux-4.15");
    BOOST_TEST(!p.note.empty());
}

// The reference series named by its path, spelt otherwise than the project
// (`make bench` passes the project as "."): still the reference, two kernels.
BOOST_AUTO_TEST_CASE(the_reference_named_by_its_path_is_still_the_reference) {
    bench_request r = request(tree("/v415", 4, 15), std::nullopt, "/pfcheck/patch/linux-4.15/");
    r.project = "/pfcheck/.";
    auto p = plan_bench(r);
    BOOST_TEST((roles(p) == std::vector<std::string>{"vanilla", "patched"}));
    BOOST_TEST(p.kernels[1].series == "/pfcheck/patch/linux-4.15");
}

// A student's tree as they left it, with its vanilla base: three kernels.
BOOST_AUTO_TEST_CASE(a_students_tree_is_measured_against_its_base_and_the_reference) {
    auto p = plan_bench(request(tree("/student", 4, 15, wired), tree("/v415", 4, 15), "none"));
    BOOST_TEST(p.refused == "");
    BOOST_TEST((roles(p) == std::vector<std::string>{"vanilla", "patched", "reference"}));
    BOOST_TEST(p.kernels[0].ksrc == "/v415");
    BOOST_TEST(p.kernels[1].ksrc == "/student");
    BOOST_TEST(p.kernels[1].series.empty());
    BOOST_TEST(p.kernels[2].ksrc == "/v415");
    BOOST_TEST(p.kernels[2].series == "/pfcheck/patch/linux-4.15");
    // SERIES not given: a tree that wires up the syscalls is taken as it is.
    BOOST_TEST(plan_bench(request(tree("/student", 4, 15, wired), tree("/v415", 4, 15), ""))
                   .kernels.size() == 3u);
}

BOOST_AUTO_TEST_CASE(refusals_say_why) {
    struct {
        bench_request r;
        const char* says;
    } cases[] = {
        // A student's tree without its base: nothing vanilla to compare with.
        {request(tree("/student", 4, 15, wired), std::nullopt, "none"), "BASE=<vanilla"},
        // A vanilla tree as it is: nothing to measure.
        {request(tree("/v415", 4, 15), std::nullopt, "none"), "it is vanilla"},
        // A patched tree with a series on top and no base.
        {request(tree("/student", 4, 15, wired), std::nullopt, "reference"),
         "cannot be its own vanilla base"},
        // A base that is not vanilla.
        {request(tree("/student", 4, 15, wired), tree("/other", 4, 15, wired), "none"),
         "BASE is not vanilla"},
        // Two versions.
        {request(tree("/student", 4, 15, wired), tree("/v", 6, 1), "none"), "but BASE is 6.1.0"},
        // A version with no reference series.
        {request(tree("/v", 5, 10), std::nullopt, ""), "4.15 and 6.1 only"},
        // An unreadable tree.
        {request(tree_facts{"/nothing", std::nullopt, ""}, std::nullopt, ""), "no readable"},
        // Debian's vanilla against itself.
        {request(std::nullopt, std::nullopt, "none"), "with itself"},
    };
    for (const auto& c : cases) {
        auto p = plan_bench(c.r);
        BOOST_TEST(p.kernels.empty());
        BOOST_TEST(p.refused.find(c.says) != std::string::npos, p.refused);
    }
}

BOOST_AUTO_TEST_SUITE_END()
