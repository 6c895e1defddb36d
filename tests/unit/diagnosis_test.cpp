// SPDX-License-Identifier: GPL-2.0-or-later
// The diagnosis on synthetic kernels: a kernel built from a set of bug models
// must be diagnosed with exactly that set (or models the catalogue cannot tell
// apart from it, which the diagnosis lists). A model no scenario exposes, or
// two that no scenario separates, fail here first.
#include "diagnosis.hpp"
#include "synthetic.hpp"
#include "workloads/catalogue.hpp"

#include <boost/test/unit_test.hpp>
#include <set>

using namespace pfcheck;

namespace {

diagnosis diagnose_kernel(const std::vector<std::string>& ids, bool loader_counted = true) {
    std::vector<const oracle::bug_model*> models;
    for (const auto& id : ids)
        models.push_back(oracle::find_model(id));
    auto rules = oracle::rules_of(models);
    std::vector<diagnosis_case> cases;
    for (const auto& s : workloads::catalogue()) {
        auto e = synthetic::make(s.name, rules, 2, true, loader_counted);
        auto v = judge(e);
        if (auto c = make_case(e, v))
            cases.push_back(*c);
    }
    return diagnose(cases);
}

// The diagnosis names each injected model (or a listed equivalent), and nothing else.
void expect_found(const std::vector<std::string>& injected, bool loader_counted = true) {
    auto d = diagnose_kernel(injected, loader_counted);
    BOOST_TEST(d.explained());
    for (const auto& u : d.unexplained)
        BOOST_TEST_MESSAGE("unexplained: " << u);
    std::set<std::string> named;
    for (const auto& b : d.bugs) {
        bool injected_or_equivalent =
            std::find(injected.begin(), injected.end(), b.id) != injected.end();
        for (const auto& a : b.alternatives)
            injected_or_equivalent = injected_or_equivalent ||
                                     std::find(injected.begin(), injected.end(), a) != injected.end();
        BOOST_TEST(injected_or_equivalent, b.id << " named, not injected");
        named.insert(b.id);
        named.insert(b.alternatives.begin(), b.alternatives.end());
    }
    for (const auto& id : injected)
        BOOST_TEST(named.count(id), id << " injected, not named");
    BOOST_TEST(d.bugs.size() == injected.size());
}

} // namespace

BOOST_AUTO_TEST_SUITE(diagnoses)

BOOST_AUTO_TEST_CASE(a_correct_kernel_has_no_bug) {
    auto d = diagnose_kernel({});
    BOOST_TEST(d.explained());
    BOOST_TEST(d.bugs.empty());
    BOOST_TEST(to_text(d).find("no bug found") != std::string::npos);
}

// Each model alone.
BOOST_AUTO_TEST_CASE(each_model_alone_is_found) {
    for (const auto& m : oracle::bug_models()) {
        BOOST_TEST_CONTEXT(m.id) {
            expect_found({m.id});
        }
    }
}

// Student-like kernels: several bugs at once.
BOOST_AUTO_TEST_CASE(compound_kernels_are_found) {
    for (const auto& set : std::vector<std::vector<std::string>>{
             {"first_touch", "no_exec_reset"},
             {"kernel_mode", "no_children", "layout_forgotten"},
             {"any_fault", "prefix_match", "no_clamp"},
             {"copy_only", "shifted", "stale_entries"},
             {"first_touch", "kernel_mode", "no_exec_reset", "layout_at_exec"},
             {"rename_ignored", "stale_pages", "second_name_lost"},
         })
        BOOST_TEST_CONTEXT(set.size() << " models, first " << set.front()) {
            expect_found(set);
        }
}

// A kernel that counts kernel-mode writes may count the ELF loader's at exec
// or not, depending on where its exec hook sits (student_e did not): either
// way the same bugs are named, nothing is left unexplained.
BOOST_AUTO_TEST_CASE(the_loaders_faults_may_count_or_not) {
    for (bool counted : {true, false})
        BOOST_TEST_CONTEXT("loader's fault counted: " << counted) {
            expect_found({"first_touch", "kernel_mode", "no_exec_reset"}, counted);
            expect_found({"kernel_mode"}, counted);
        }
}

// The search is quick enough for the guest (TCG runs it about 10x slower).
BOOST_AUTO_TEST_CASE(the_search_is_quick) {
    auto d = diagnose_kernel({"first_touch", "kernel_mode", "no_children"});
    BOOST_TEST_MESSAGE("diagnosis: " << d.seconds << " s");
    BOOST_TEST(d.seconds < 1.0);
}

BOOST_AUTO_TEST_SUITE_END()
