// SPDX-License-Identifier: GPL-2.0-or-later
// The bug models on hand-made histories: which record a buggy kernel answers
// from, and which faults it may count, where the answer is not the contract's.
#include "oracle/models.hpp"

#include <boost/test/unit_test.hpp>

using namespace oracle;

namespace {

kernel_rules with(const char* id) {
    return rules_of({find_model(id)});
}

record_mark tracked_at(const std::string& name, int step) {
    return {record_mark::tracked, name, 0, step, 0};
}

record_mark exec_of(const std::string& name, process_id pid, int serial) {
    return {record_mark::exec, name, pid, serial - 1, serial};
}

// A user CoW write at `address` by `pid`, named `comm`, executed as `exec_comm`.
fault_event write_by(process_id pid, const std::string& comm, const std::string& exec_comm,
                     int step, int serial, std::uint64_t address) {
    return {.step = step,
            .exec_serial = serial,
            .pid = pid,
            .address = address,
            .comm = comm,
            .exec_comm = exec_comm};
}

const slot_map no_slots{0x10000000, 0x100000, page_size};

} // namespace

BOOST_AUTO_TEST_SUITE(bug_models)

// "a" tracked first: a prefix lookup finds it for "a.b", whose pf_set_param made nothing.
BOOST_AUTO_TEST_CASE(a_prefix_lookup_answers_for_the_longer_name) {
    std::vector<record_mark> marks = {tracked_at("a", -2), tracked_at("a.b", -2)};
    BOOST_TEST(record_of(marks, "a.b", {}).value() == "a.b");
    BOOST_TEST(record_of(marks, "a.b", with("prefix_match")).value() == "a");
    // After a cleanup and "a" alone tracked again, get_info("a.b") still answers.
    marks.push_back({record_mark::cleaned, "", 0, 3, 0});
    marks.push_back(tracked_at("a", 4));
    BOOST_TEST(!record_of(marks, "a.b", {}).has_value());
    BOOST_TEST(record_of(marks, "a.b", with("prefix_match")).value() == "a");
}

// An exec under "a.b" restarts the record of "a", which then counts "a.b"'s faults.
BOOST_AUTO_TEST_CASE(an_exec_under_the_longer_name_restarts_the_shorter) {
    std::vector<record_mark> marks = {tracked_at("a", -2), tracked_at("a.b", -2),
                                      exec_of("a", 0, 1), exec_of("a.b", 0, 2)};
    std::vector<fault_event> events = {write_by(1, "a", "a", 1, 1, 0x10000000),
                                       write_by(2, "a.b", "a.b", 3, 2, 0x10001000)};
    auto right = count_record(events, marks, "a", {}, no_slots);
    BOOST_TEST(right->total == 1);
    BOOST_TEST(right->sure.count(0x10000000) == 1);
    auto a = count_record(events, marks, "a", with("prefix_match"), no_slots);
    auto ab = count_record(events, marks, "a.b", with("prefix_match"), no_slots);
    BOOST_TEST(a->total == 1);
    BOOST_TEST(a->sure.count(0x10001000) == 1);
    BOOST_TEST(ab->sure == a->sure);
}

// "a.b" tracked before "a": both records live, a comm "a.b" may go to either.
BOOST_AUTO_TEST_CASE(two_live_prefixes_make_a_fault_uncertain) {
    std::vector<record_mark> marks = {tracked_at("a.b", -2), tracked_at("a", -2),
                                      exec_of("a", 0, 1)};
    std::vector<fault_event> events = {write_by(1, "a.b", "a", 1, 1, 0x10000000)};
    auto a = count_record(events, marks, "a", with("prefix_match"), no_slots);
    BOOST_TEST(a->total == 0);
    BOOST_TEST(a->total_maybe == 1);
}

// A renamed task: by its exec name for certain, unless the names changed
// while it ran (a per-task cache looks it up again): then either name, maybe.
BOOST_AUTO_TEST_CASE(a_renamed_task_is_uncertain_after_the_names_change) {
    std::vector<record_mark> marks = {tracked_at("x", -2), exec_of("x", 0, 1)};
    std::vector<fault_event> events = {write_by(1, "x.b", "x", 2, 1, 0x10000000)};
    auto r = with("rename_ignored");
    BOOST_TEST(count_record(events, marks, "x", r, no_slots)->total == 1);
    marks.push_back(tracked_at("x.b", 1));
    BOOST_TEST(count_record(events, marks, "x", r, no_slots)->total == 0);
    BOOST_TEST(count_record(events, marks, "x", r, no_slots)->total_maybe == 1);
}

BOOST_AUTO_TEST_SUITE_END()
