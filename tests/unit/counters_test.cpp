// SPDX-License-Identifier: GPL-2.0-or-later
// Linux's own fault counters: what each should add for a scenario, from
// perf's hardware faults and the oracle's classification, under each era's
// rule; and a measurement that fits another era's rule is a finding.
#include "counters.hpp"
#include "schema/results.hpp"
#include "synthetic.hpp"
#include "workloads/catalogue.hpp"

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace pfcheck;
namespace pc = pfcheck::counters;

namespace {

constexpr const char* release_4_15 = "4.15.0";
constexpr const char* release_6_1 = "6.1.0-pfcheck";
constexpr const char* release_6_4 = "6.4.0";

// The tally of a scenario on a correct kernel, as the guest makes it.
pc::fault_tally tally_of(const std::string& name) {
    auto e = synthetic::make(name);
    return pc::tally(perf_events(*e.perf, e.query), e.perf->kernel_faults, e.prediction, *e.s);
}

long predicted(const std::string& counter, pc::era era, const pc::fault_tally& t) {
    const auto* c = pc::find_counter(counter);
    BOOST_TEST_REQUIRE(c);
    return *pc::predict(*pc::find_rule(c->rule_by_era[static_cast<int>(era)]), t);
}

// A kernel of `release` whose counters follow their era's rules exactly.
pc::measurement exact(const std::string& release, const pc::fault_tally& t) {
    pc::measurement m{.release = release};
    for (const auto& c : pc::table())
        m.counters[c.id] = {.value = predicted(c.id, pc::era_of(release), t)};
    return m;
}

const pc::row& row_of(const pc::scenario_table& t, const std::string& counter) {
    for (const auto& r : t.rows)
        if (r.counter == counter)
            return r;
    BOOST_FAIL("no row " + counter);
    return t.rows.front();
}

} // namespace

BOOST_AUTO_TEST_SUITE(counters)

BOOST_AUTO_TEST_CASE(eras_come_from_the_release) {
    BOOST_TEST((pc::era_of(release_4_15) == pc::era::before_5_9));
    BOOST_TEST((pc::era_of("5.8.18") == pc::era::before_5_9));
    BOOST_TEST((pc::era_of("5.9.0") == pc::era::from_5_9));
    BOOST_TEST((pc::era_of(release_6_1) == pc::era::from_5_9));
    BOOST_TEST((pc::era_of("6.3.13") == pc::era::from_5_9));
    BOOST_TEST((pc::era_of(release_6_4) == pc::era::from_6_4));
    BOOST_TEST((pc::era_of("6.12.1") == pc::era::from_6_4));
    // Per-VMA locks: 64-bit x86 from 6.6 (i386 has none).
    BOOST_TEST((pc::era_of("6.5.13", "x86_64") == pc::era::from_6_4));
    BOOST_TEST((pc::era_of("6.6.0", "x86_64") == pc::era::from_6_6_vma_lock));
    BOOST_TEST((pc::era_of("6.18.44", "i686") == pc::era::from_6_4));
    BOOST_TEST((pc::era_of(release_6_1, "x86_64") == pc::era::from_5_9));
}

BOOST_AUTO_TEST_CASE(every_counter_names_a_rule_for_every_era) {
    for (const auto& c : pc::table())
        for (const char* id : c.rule_by_era)
            BOOST_TEST(pc::find_rule(id), c.id << ": no rule " << id);
}

// perf's stream, classified: user and kernel mode, refused, retried, GUP.
BOOST_AUTO_TEST_CASE(the_tally_classifies_perfs_stream) {
    auto e = synthetic::make("parent_first");
    auto stream = perf_events(*e.perf, e.query);
    auto t = pc::tally(stream, true, e.prediction, *e.s);
    long kernel = std::count_if(stream.begin(), stream.end(), [](auto& f) { return !f.user; });
    BOOST_TEST(t.kernel == kernel);
    BOOST_TEST(t.kernel == 1); // the ELF loader's padzero, in the synthetic stream
    BOOST_TEST(t.user == static_cast<long>(stream.size()) - kernel);
    BOOST_TEST(t.refused == 0);
    BOOST_TEST(t.retried == 0);
    BOOST_TEST(t.gup == 1); // the root's exec
    BOOST_TEST(t.io == 0);
}

BOOST_AUTO_TEST_CASE(hardware_faults_count_in_page_faults_once_each) {
    auto t = tally_of("parent_first");
    for (auto era :
         {pc::era::before_5_9, pc::era::from_5_9, pc::era::from_6_4, pc::era::from_6_6_vma_lock}) {
        BOOST_TEST(predicted("page-faults", era, t) == t.user + t.kernel);
        BOOST_TEST(predicted("page-faults:u", era, t) == t.user);
        // No retry, no refusal, no I/O: every fault is minor, GUP aside.
        BOOST_TEST(predicted("minor-faults", era, t) == t.user + t.kernel);
        BOOST_TEST(predicted("min_flt", era, t) == t.user + t.kernel + t.gup);
        BOOST_TEST(predicted("pgfault", era, t) == t.user + t.kernel + t.gup);
        BOOST_TEST(predicted("maj_flt", era, t) == 0);
        BOOST_TEST(predicted("pgmajfault", era, t) == 0);
    }
}

// A write to a read-only page raises a hardware fault that the handler
// refuses before handle_mm_fault(): page-faults counts it, nothing else does.
BOOST_AUTO_TEST_CASE(refused_faults_count_only_in_page_faults) {
    auto t = tally_of("readonly_segv");
    BOOST_TEST_REQUIRE(t.refused > 0);
    auto e = pc::era::from_5_9;
    BOOST_TEST(predicted("page-faults", e, t) == t.user + t.kernel);
    BOOST_TEST(predicted("minor-faults", e, t) == t.user - t.refused + t.kernel);
    BOOST_TEST(predicted("min_flt", e, t) == t.user - t.refused + t.kernel + t.gup);
    BOOST_TEST(predicted("pgfault", e, t) == t.user - t.refused + t.kernel + t.gup);
}

// The kernel's own faults (read() into a CoW page) count in every counter
// but the user-mode perf events; without the kernel tracepoint perf cannot
// see them, and the rows that need them say so.
BOOST_AUTO_TEST_CASE(kernel_mode_faults_count_except_in_user_only_events) {
    auto t = tally_of("kernel_write");
    BOOST_TEST_REQUIRE(t.kernel > 1);
    auto e = pc::era::before_5_9;
    BOOST_TEST(predicted("minor-faults", e, t) - predicted("minor-faults:u", e, t) == t.kernel);
    BOOST_TEST(predicted("page-faults", e, t) - predicted("page-faults:u", e, t) == t.kernel);
    t.kernel_seen = false;
    auto table = pc::judge("kernel_write", t, exact(release_4_15, tally_of("kernel_write")));
    BOOST_TEST((row_of(table, "minor-faults").verdict == pc::outcome::unavailable));
    BOOST_TEST(row_of(table, "minor-faults").note.find("page_fault_kernel") != std::string::npos);
    BOOST_TEST((row_of(table, "minor-faults:u").verdict == pc::outcome::ok));
}

// exec copies its arguments through get_user_pages: min_flt and pgfault
// count it, perf's events never do (no registers, no hardware fault).
BOOST_AUTO_TEST_CASE(exec_argument_copies_count_in_min_flt_not_in_perf) {
    auto t = tally_of("reexec");
    BOOST_TEST(t.gup == 2);
    auto e = pc::era::from_5_9;
    BOOST_TEST(predicted("min_flt", e, t) - predicted("minor-faults", e, t) == t.gup);
    BOOST_TEST(predicted("pgfault", e, t) - predicted("page-faults", e, t) == t.gup - t.refused);
}

// The userfaultfd write-protect fault: one hardware fault, handled twice.
// Before 5.9 (no such fault there, but the rule stands) it is minor; from
// 5.9 it is major (FAULT_FLAG_TRIED); pgfault counts it twice before 6.4,
// once from 6.4.
BOOST_AUTO_TEST_CASE(a_retried_fault_counts_twice_before_6_4_once_after) {
    auto t = tally_of("uffd_wp_anon");
    BOOST_TEST_REQUIRE(t.retried == 8);
    long base = t.user - t.refused - t.retried + t.kernel + t.gup;
    BOOST_TEST(predicted("pgfault", pc::era::from_5_9, t) == base + 2 * t.retried);
    BOOST_TEST(predicted("pgfault", pc::era::from_6_4, t) == base + t.retried);
    BOOST_TEST(predicted("min_flt", pc::era::before_5_9, t) == base + t.retried);
    BOOST_TEST(predicted("min_flt", pc::era::from_5_9, t) == base);
    BOOST_TEST(predicted("maj_flt", pc::era::from_5_9, t) == t.retried);
    BOOST_TEST(predicted("major-faults", pc::era::from_5_9, t) == t.retried);
    BOOST_TEST(predicted("major-faults", pc::era::before_5_9, t) == 0);
    BOOST_TEST(predicted("page-faults", pc::era::from_6_4, t) == t.user + t.kernel);
}

// From 6.6 on x86_64 a userfaultfd fault is handled under the per-VMA lock;
// the retry under mmap_lock starts without FAULT_FLAG_TRIED: minor again
// (measured on 6.18 x86_64: min_flt 8 over the 5.9 rule, maj_flt 0).
BOOST_AUTO_TEST_CASE(a_retry_from_the_per_vma_lock_path_is_minor) {
    auto t = tally_of("uffd_wp_anon");
    auto e = pc::era::from_6_6_vma_lock;
    long base = t.user - t.refused - t.retried + t.kernel + t.gup;
    BOOST_TEST(predicted("min_flt", e, t) == base + t.retried);
    BOOST_TEST(predicted("maj_flt", e, t) == 0);
    BOOST_TEST(predicted("minor-faults", e, t) == base - t.gup + t.retried);
    BOOST_TEST(predicted("major-faults", e, t) == 0);
    BOOST_TEST(predicted("pgfault", e, t) == predicted("pgfault", pc::era::from_6_4, t));
    pc::measurement m = exact("6.18.44", t); // no machine: the 6.4 rules
    m.machine = "x86_64";
    auto table = pc::judge("uffd_wp_anon", t, m);
    BOOST_TEST((row_of(table, "maj_flt").verdict == pc::outcome::finding));
    BOOST_TEST(row_of(table, "maj_flt").note.find(">= 6.4") != std::string::npos,
               row_of(table, "maj_flt").note);
}

BOOST_AUTO_TEST_CASE(a_kernel_that_follows_its_eras_rules_has_no_finding) {
    for (const char* name : {"parent_first", "uffd_wp_anon", "readonly_segv", "kernel_write",
                             "reexec", "file_fault_arnd", "zero_page", "dontneed"})
        for (const char* release : {release_4_15, release_6_1, release_6_4}) {
            auto t = tally_of(name);
            auto table = pc::judge(name, t, exact(release, t));
            BOOST_TEST(table.findings() == 0, name << " on " << release);
            for (const auto& r : table.rows)
                BOOST_TEST((r.verdict == pc::outcome::ok), name << " " << r.counter);
        }
}

// A 6.1 kernel whose pgfault counts a retried fault once behaves as 6.4:
// a finding, which names the rule it fits and its era.
BOOST_AUTO_TEST_CASE(a_6_1_kernel_counting_retries_once_is_a_finding) {
    auto t = tally_of("uffd_wp_anon");
    auto m = exact(release_6_1, t);
    m.counters["pgfault"].value = predicted("pgfault", pc::era::from_6_4, t);
    auto table = pc::judge("uffd_wp_anon", t, m);
    const auto& r = row_of(table, "pgfault");
    BOOST_TEST((r.verdict == pc::outcome::finding));
    BOOST_TEST(r.note.find("8 fewer") != std::string::npos, r.note);
    BOOST_TEST(r.note.find("completed (this counter's rule in >= 6.4") != std::string::npos,
               r.note);
    BOOST_TEST(table.findings() == 1);
}

BOOST_AUTO_TEST_CASE(an_unexplained_difference_says_so) {
    auto t = tally_of("parent_first");
    auto m = exact(release_6_1, t);
    m.counters["page-faults"].value = *m.counters["page-faults"].value + 100;
    const auto& r = row_of(pc::judge("parent_first", t, m), "page-faults");
    BOOST_TEST((r.verdict == pc::outcome::finding));
    BOOST_TEST(r.note.find("no documented rule explains it") != std::string::npos, r.note);
}

BOOST_AUTO_TEST_CASE(slack_and_missing_measurements_are_said) {
    auto t = tally_of("parent_first");
    auto m = exact(release_6_1, t);
    m.counters["min_flt"].value = *m.counters["min_flt"].value + 1; // exec's strings straddle
    m.counters["pgmajfault"] = {.unavailable = "no pgmajfault in /proc/vmstat"};
    m.counters.erase("major-faults");
    auto table = pc::judge("parent_first", t, m);
    BOOST_TEST((row_of(table, "min_flt").verdict == pc::outcome::within_slack));
    BOOST_TEST((row_of(table, "pgmajfault").verdict == pc::outcome::unavailable));
    BOOST_TEST(row_of(table, "pgmajfault").note.find("no pgmajfault") != std::string::npos);
    BOOST_TEST((row_of(table, "major-faults").verdict == pc::outcome::unavailable));
    auto j = pc::to_json(table);
    BOOST_TEST(j["rows"].size() == pc::table().size());
    BOOST_TEST(pc::to_text(table).find("UNAVAILABLE") != std::string::npos);
}

// What the guest sends is what the harness reads (schema/results.hpp).
BOOST_AUTO_TEST_CASE(the_guests_json_fits_the_results_schema) {
    auto t = tally_of("uffd_wp_anon");
    t.kernel_seen = false;
    auto m = exact(release_6_1, tally_of("uffd_wp_anon"));
    m.counters["pgfault"].value = predicted("pgfault", pc::era::from_6_4, t);
    auto table = pc::judge("uffd_wp_anon", t, m);
    std::string why;
    auto back = schema::parse_as<schema::counters_table>(pc::to_json(table), why);
    BOOST_TEST_REQUIRE(back.has_value(), why);
    BOOST_TEST(back->findings == table.findings());
    BOOST_TEST(!back->faults.kernel.has_value());
    BOOST_TEST(back->faults.retried == 8);
    BOOST_TEST_REQUIRE(back->rows.size() == table.rows.size());
    for (std::size_t i = 0; i < table.rows.size(); ++i) {
        BOOST_TEST(back->rows[i].counter == table.rows[i].counter);
        BOOST_TEST((back->rows[i].predicted == table.rows[i].predicted));
        BOOST_TEST(back->rows[i].verdict == pc::to_string(table.rows[i].verdict));
    }
}

// docs/counters.md carries the counter table as the code has it.
BOOST_AUTO_TEST_CASE(the_docs_carry_the_table) {
    auto path =
        std::filesystem::path(PFCHECK_FIXTURES) / ".." / ".." / ".." / "docs" / "counters.md";
    std::ifstream in(path);
    std::stringstream doc;
    doc << in.rdbuf();
    BOOST_TEST(doc.str().find(pc::table_markdown()) != std::string::npos,
               "docs/counters.md lacks the table; it should hold:\n"
                   << pc::table_markdown());
}

BOOST_AUTO_TEST_SUITE_END()
