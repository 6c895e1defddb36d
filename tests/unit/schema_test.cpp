// SPDX-License-Identifier: GPL-2.0-or-later
// The results schema: recorded reports parse, and serialise back to the same
// JSON the guest wrote (same keys, nulls where a source said nothing).
#include "schema/results.hpp"

#include <boost/test/unit_test.hpp>
#include <fstream>

using nlohmann::json;

namespace {

// Whether `written` holds everything `original` does (newer keys aside:
// older reports lack them, and their defaults are written).
bool holds(const json& written, const json& original) {
    if (original.is_object()) {
        if (!written.is_object())
            return false;
        for (const auto& [key, value] : original.items())
            if (!written.contains(key) || !holds(written[key], value))
                return false;
        return true;
    }
    if (original.is_array()) {
        if (!written.is_array() || written.size() != original.size())
            return false;
        for (std::size_t i = 0; i < original.size(); ++i)
            if (!holds(written[i], original[i]))
                return false;
        return true;
    }
    return written == original;
}

json fixture(const std::string& name) {
    std::ifstream in(std::string(PFCHECK_FIXTURES) + "/" + name);
    return json::parse(in);
}

} // namespace

BOOST_AUTO_TEST_SUITE(results_schema)

BOOST_AUTO_TEST_CASE(recorded_report_round_trips) {
    json j = fixture("synthetic-fail.report.json");
    auto f = j.get<schema::report_file>();
    BOOST_REQUIRE(f.guest.has_value());
    BOOST_REQUIRE(f.guest->run.has_value());
    BOOST_TEST(holds(json(*f.guest->run), j["guest"]["run"]));
    BOOST_TEST(holds(json(*f.guest->abi), j["guest"]["abi"]));
    BOOST_TEST(holds(json(f.run), j["run"]));
    BOOST_TEST(f.run.profile == "strict"); // recorded before profiles: every rule counted
    const auto& first = f.guest->run->scenarios.at(2);
    BOOST_TEST(!first.perf_total.has_value()); // null in the file
    BOOST_TEST(f.guest->run->scenarios.at(3).skipped.size() > 0);
}

// A real run of `make`: every key the schema writes holds what the guest
// sent, for every scenario, VMA and errno row. (The guest that made it
// sent more keys than this schema reads yet: they are ignored.)
BOOST_AUTO_TEST_CASE(real_report_round_trips) {
    json j = fixture("real-i386.report.json");
    auto f = j.get<schema::report_file>();
    BOOST_REQUIRE(f.guest.has_value());
    const json written = *f.guest->run;
    for (const auto& [key, value] : written.items())
        if (j["guest"]["run"].contains(key))
            BOOST_TEST(holds(value, j["guest"]["run"][key]), key);
    BOOST_TEST(holds(json(*f.guest->abi), j["guest"]["abi"]));
    BOOST_TEST(holds(json(f.run), j["run"]));
}

BOOST_AUTO_TEST_CASE(no_guest_report_is_null) {
    auto f = fixture("synthetic-hang.report.json").get<schema::report_file>();
    BOOST_TEST(!f.guest.has_value());
    BOOST_TEST(f.run.reason == "the guest did not finish in time (hang?)");
}

// Older reports lack newer keys: they take the defaults.
BOOST_AUTO_TEST_CASE(missing_keys_take_defaults) {
    std::string why;
    auto g = schema::parse_guest_report(R"({"run": {"scenarios": [{"scenario": "a"}]}})", why);
    BOOST_REQUIRE(g.has_value());
    BOOST_TEST(g->run->kernel_model == "?");
    BOOST_TEST(g->run->scenarios.at(0).skipped == "");
    BOOST_TEST(!g->abi.has_value());
}

BOOST_AUTO_TEST_CASE(a_report_that_does_not_fit_says_why) {
    std::string why;
    BOOST_TEST(!schema::parse_guest_report("{\"run\": 3}", why).has_value());
    BOOST_TEST(why.find("does not fit") != std::string::npos);
    BOOST_TEST(!schema::parse_guest_report("{\"run\": ", why).has_value());
    BOOST_TEST(why == "is not valid JSON");
}

BOOST_AUTO_TEST_SUITE_END()
