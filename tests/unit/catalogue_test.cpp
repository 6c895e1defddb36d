// SPDX-License-Identifier: GPL-2.0-or-later
#include "oracle/oracle.hpp"
#include "oracle/models.hpp"
#include "synthetic.hpp"
#include "workloads/catalogue.hpp"

#include <boost/test/unit_test.hpp>
#include <set>

BOOST_AUTO_TEST_SUITE(catalogue)

// The names are the tracked comms: unique and at most 15 bytes, or the kernel
// would refuse them (EINVAL) and the scenario could never count.
BOOST_AUTO_TEST_CASE(names_are_usable_comms) {
    std::set<std::string> seen;
    for (const auto& s : workloads::catalogue()) {
        BOOST_TEST_CONTEXT(s.name) {
            BOOST_TEST(!s.name.empty());
            BOOST_TEST(s.name.size() <= 15u);
            BOOST_TEST(seen.insert(s.name).second);
            BOOST_TEST(!s.proves.empty());
        }
    }
    BOOST_TEST(seen.size() >= 30u);
}

// Every script is one the oracle accepts, under both kernel models.
BOOST_AUTO_TEST_CASE(every_scenario_is_predictable) {
    for (const auto& s : workloads::catalogue())
        for (const auto& m : {oracle::linux_4_15(), oracle::linux_6_1()}) {
            BOOST_TEST_CONTEXT(s.name << " on " << m.name) {
                auto p = oracle::predict(s, m);
                BOOST_TEST(p.errors.empty());
            }
        }
}

// After-exit scenarios must exit every process, or the query would not be
// "after exit" at all.
BOOST_AUTO_TEST_CASE(after_exit_scenarios_exit_everyone) {
    for (const auto& s : workloads::catalogue()) {
        if (s.query != oracle::query_time::after_exit)
            continue;
        std::set<int> alive = {0};
        for (const auto& st : s.steps) {
            if (st.what == oracle::action::fork)
                alive.insert(st.child);
            if (st.what == oracle::action::exit)
                alive.erase(st.actor);
        }
        BOOST_TEST_CONTEXT(s.name) {
            BOOST_TEST(alive.empty());
        }
    }
}

// The version difference is visible in the catalogue: a scenario predicts
// differently under the two models.
BOOST_AUTO_TEST_CASE(models_differ_on_mprotect_round_trip) {
    const auto* s = workloads::find("mprotect_ro_rw");
    BOOST_REQUIRE(s);
    BOOST_TEST(oracle::predict(*s, oracle::linux_4_15()).total == 8);
    BOOST_TEST(oracle::predict(*s, oracle::linux_6_1()).total == 0);
}

// Each row lists the bug models it exposes, and the list is right: exactly the
// models whose kernel would answer this scenario differently.
BOOST_AUTO_TEST_CASE(rows_list_the_bugs_they_expose) {
    for (const auto& s : workloads::catalogue()) {
        BOOST_TEST_CONTEXT(s.name) {
            auto computed = synthetic::exposed_by(s.name);
            std::set<std::string> declared(s.exposes.begin(), s.exposes.end());
            std::set<std::string> actual(computed.begin(), computed.end());
            BOOST_TEST(declared == actual);
            if (declared != actual) {
                std::string line;
                for (const auto& id : computed)
                    line += "\"" + id + "\", ";
                BOOST_TEST_MESSAGE("exposes: {" << line << "}");
            }
            for (const auto& id : s.exposes)
                BOOST_TEST(oracle::find_model(id), id << " is no bug model");
        }
    }
}

// Every bug model is exposed by some scenario: a model nothing exposes could
// never be diagnosed.
BOOST_AUTO_TEST_CASE(every_model_is_exposed) {
    std::set<std::string> exposed;
    for (const auto& s : workloads::catalogue())
        exposed.insert(s.exposes.begin(), s.exposes.end());
    for (const auto& m : oracle::bug_models())
        BOOST_TEST(exposed.count(m.id), m.id << " is exposed by no scenario");
}

BOOST_AUTO_TEST_SUITE_END()
