// SPDX-License-Identifier: GPL-2.0-or-later
// The verdicts as people read them, rendered from recorded report.json files
// and held to the bytes the code before the results schema wrote for them
// (tests/unit/fixtures: NAME.report.json in, NAME.summary.md and
// NAME.verdicts.{md,csv,tex} out). real-i386 is a real run of `make` (its
// summary.md as the harness wrote it); the synthetic ones cover skipped
// scenarios, absent answers, kernel reports and runs that judged nothing.
#include "report/results.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace {

std::string text(const std::string& name) {
    std::ifstream in(std::string(PFCHECK_FIXTURES) + "/" + name);
    BOOST_REQUIRE_MESSAGE(in, "missing fixture " + name);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

schema::report_file recorded(const std::string& name) {
    std::string why;
    auto f =
        schema::read_report_file(std::string(PFCHECK_FIXTURES) + "/" + name + ".report.json", why);
    BOOST_REQUIRE_MESSAGE(f.has_value(), name + ".report.json " + why);
    return *f;
}

} // namespace

BOOST_AUTO_TEST_SUITE(rendering)

// PFCHECK_UPDATE_FIXTURES=1 rewrites the expected summaries after a change
// to the renderer that is meant (review the diff before committing it).
BOOST_AUTO_TEST_CASE(summary_md_is_unchanged) {
    for (const char* name : {"real-i386", "synthetic-fail", "synthetic-pass", "synthetic-hang"}) {
        BOOST_TEST_CONTEXT(name) {
            auto rendered = report::summary_markdown(recorded(name));
            if (std::getenv("PFCHECK_UPDATE_FIXTURES"))
                std::ofstream(std::string(PFCHECK_FIXTURES) + "/" + name + ".summary.md")
                    << rendered;
            BOOST_TEST(rendered == text(std::string(name) + ".summary.md"));
        }
    }
}

BOOST_AUTO_TEST_CASE(verdict_table_is_unchanged) {
    for (std::string name : {"real-i386", "synthetic-fail"}) {
        BOOST_TEST_CONTEXT(name) {
            auto f = recorded(name);
            auto t = report::verdict_table(f.run, *f.guest->run);
            if (std::getenv("PFCHECK_UPDATE_FIXTURES"))
                for (auto [ext, out] : {std::pair{".verdicts.md", report::to_markdown(t)},
                                        {".verdicts.csv", report::to_csv(t)},
                                        {".verdicts.tex", report::to_latex(t)}})
                    std::ofstream(std::string(PFCHECK_FIXTURES) + "/" + name + ext) << out;
            BOOST_TEST(report::to_markdown(t) == text(name + ".verdicts.md"));
            BOOST_TEST(report::to_csv(t) == text(name + ".verdicts.csv"));
            BOOST_TEST(report::to_latex(t) == text(name + ".verdicts.tex"));
        }
    }
}

BOOST_AUTO_TEST_CASE(per_vma_data_is_unchanged) {
    for (std::string name : {"real-i386", "synthetic-fail"}) {
        BOOST_TEST_CONTEXT(name) {
            auto f = recorded(name);
            const auto& all = f.guest->run->scenarios;
            auto s = std::find_if(all.begin(), all.end(),
                                  [](const auto& x) { return x.scenario == "parent_first"; });
            BOOST_REQUIRE(s != all.end());
            int shown = 0;
            BOOST_TEST(report::per_vma_data(*s, shown) == text(name + ".per-vma-parent_first.dat"));
            BOOST_TEST(shown > 0);
        }
    }
}

// A cell that would break the table is escaped (the old summary was not).
BOOST_AUTO_TEST_CASE(summary_escapes_pipes) {
    auto f = recorded("synthetic-fail");
    f.guest->run->scenarios.at(1).diagnoses = {"a | b"};
    BOOST_TEST(report::summary_markdown(f).find("| a \\| b |") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
