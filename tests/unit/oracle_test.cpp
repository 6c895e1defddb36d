// SPDX-License-Identifier: GPL-2.0-or-later
// Hand-worked cases: each test states the page-table story that justifies it.
#include "oracle/oracle.hpp"
#include "oracle/script.hpp"

#include <boost/test/unit_test.hpp>

using namespace oracle;
using namespace oracle::script;

namespace {

scenario make(std::vector<region> regions, std::vector<step> steps) {
    scenario s;
    s.name = "t";
    s.regions = std::move(regions);
    s.steps = std::move(steps);
    return s;
}

region anon_region(int pages) {
    return {"a", pages, region_kind::anon_private};
}
region file_region(int pages) {
    return {"f", pages, region_kind::file_private};
}

step protect0(int who, int first, int count, protection p) {
    return {.what = action::mprotect,
            .actor = who,
            .region = 0,
            .first = first,
            .count = count,
            .prot = p};
}

} // namespace

BOOST_AUTO_TEST_SUITE(oracle_model)

// Both processes fault once per page after fork: 2 * 4.
BOOST_AUTO_TEST_CASE(parent_and_child_each_fault_once) {
    auto p = predict(make({anon_region(4)}, {writes(0, 0), forks(0, 1), writes(0, 0), writes(1, 0)}),
                     linux_6_1());
    BOOST_TEST(p.errors.empty());
    BOOST_TEST(p.total == 8);
    BOOST_TEST(p.faults.at({0, 3}) == 2);
}

// A first write to a page that is not present is not CoW.
BOOST_AUTO_TEST_CASE(first_touch_is_not_cow) {
    auto p = predict(make({anon_region(4)}, {writes(0, 0), writes(0, 0)}), linux_6_1());
    BOOST_TEST(p.total == 0);
}

// Reading maps the zero page read-only; the write that follows is CoW.
BOOST_AUTO_TEST_CASE(zero_page_then_write_is_cow) {
    auto p = predict(make({anon_region(3)}, {reads(0, 0), writes(0, 0)}), linux_6_1());
    BOOST_TEST(p.total == 3);
}

// fork copies no page tables of a VMA without an anon_vma: the child's
// zero-page mappings are gone, its writes are first touches.
BOOST_AUTO_TEST_CASE(fork_skips_vma_without_anon_vma) {
    auto p = predict(make({anon_region(3)}, {reads(0, 0), forks(0, 1), writes(1, 0)}), linux_6_1());
    BOOST_TEST(p.total == 0);
}

// Fault-around maps 16 cached pages on a read: writes to them are CoW, the
// rest are first touches (do_cow_fault).
BOOST_AUTO_TEST_CASE(fault_around_maps_sixteen_pages) {
    auto p = predict(make({file_region(32)}, {reads(0, 0, 0, 1), writes(0, 0)}), linux_6_1());
    BOOST_TEST(p.total == 16);
    BOOST_TEST(p.faults.count({0, 15}) == 1);
    BOOST_TEST(p.faults.count({0, 16}) == 0);
}

// The window starts at the VMA start when that is past the aligned address.
BOOST_AUTO_TEST_CASE(fault_around_window_starts_at_vma_start) {
    auto s = make({file_region(32)}, {protect0(0, 0, 4, protection::read_only), reads(0, 0, 4, 1),
                               writes(0, 0, 4, 28)});
    auto p = predict(s, linux_6_1());
    BOOST_TEST(p.errors.empty());
    BOOST_TEST(p.total == 16); // pages 4..19
    BOOST_TEST(p.faults.count({0, 19}) == 1);
    BOOST_TEST(p.faults.count({0, 20}) == 0);
}

// mprotect RO then RW: 6.x maps exclusive anonymous pages writable again,
// 4.15 leaves them write-protected, so each page faults (a reuse fault).
BOOST_AUTO_TEST_CASE(mprotect_round_trip_differs_between_models) {
    auto s = make({anon_region(5)}, {writes(0, 0), protect0(0, 0, 0, protection::read_only),
                              protect0(0, 0, 0, protection::read_write), writes(0, 0)});
    BOOST_TEST(predict(s, linux_6_1()).total == 0);
    BOOST_TEST(predict(s, linux_4_15()).total == 5);
}

// After fork the pages are no longer exclusive: both models fault.
BOOST_AUTO_TEST_CASE(mprotect_after_fork_faults_in_both_models) {
    auto s = make({anon_region(5)},
                  {writes(0, 0), forks(0, 1), exits(1), protect0(0, 0, 0, protection::read_only),
                   protect0(0, 0, 0, protection::read_write), writes(0, 0)});
    BOOST_TEST(predict(s, linux_6_1()).total == 5);
    BOOST_TEST(predict(s, linux_4_15()).total == 5);
}

// An exec restarts the record and makes the executing process the reported one.
BOOST_AUTO_TEST_CASE(exec_restarts_the_record) {
    auto s = make({anon_region(4)}, {writes(0, 0),
                              forks(0, 1),
                              writes(1, 0),
                              {.what = action::exec, .actor = 1},
                              writes(0, 0)});
    auto p = predict(s, linux_6_1());
    BOOST_TEST(p.reported == 1);
    BOOST_TEST(p.total == 4); // P0's faults after the exec
}

// A renamed process no longer counts; MAP_SHARED never counts.
BOOST_AUTO_TEST_CASE(renamed_and_shared_do_not_count) {
    auto renamed = make({anon_region(2)}, {writes(0, 0),
                                    forks(0, 1),
                                    {.what = action::rename, .actor = 1, .name = "other"},
                                    writes(1, 0)});
    BOOST_TEST(predict(renamed, linux_6_1()).total == 0);
    auto shared = make({{"s", 2, region_kind::shared}}, {writes(0, 0), forks(0, 1), writes(1, 0)});
    BOOST_TEST(predict(shared, linux_6_1()).total == 0);
}

// A kernel-mode write breaks CoW without counting; the user write after it
// finds the page writable.
BOOST_AUTO_TEST_CASE(kernel_write_breaks_cow_silently) {
    auto s = make({anon_region(3)}, {writes(0, 0),
                              forks(0, 1),
                              {.what = action::kernel_write, .actor = 1, .region = 0},
                              writes(1, 0)});
    BOOST_TEST(predict(s, linux_6_1()).total == 0);
}

// Userfaultfd write-protect makes present pages read-only: each write is one
// CoW fault in private memory (the kernel's retry is not another), none in
// shared memory; pages never touched cannot be protected.
BOOST_AUTO_TEST_CASE(uffd_write_protect_faults_once) {
    step wp{.what = action::uffd_wp_write, .actor = 0, .region = 0};
    BOOST_TEST(predict(make({anon_region(8)}, {writes(0, 0), wp}), linux_6_1()).total == 8);
    BOOST_TEST(
        predict(make({{"s", 8, region_kind::shared}}, {writes(0, 0), wp}), linux_6_1()).total == 0);
    BOOST_TEST(!predict(make({anon_region(8)}, {wp}), linux_6_1()).errors.empty());
}

// Faults stay at the address where they happened: after mremap the new
// faults are at the new slot.
BOOST_AUTO_TEST_CASE(mremap_moves_pages_not_history) {
    auto s = make({anon_region(2)}, {writes(0, 0),
                              forks(0, 1),
                              {.what = action::mremap, .actor = 0, .region = 0, .to_slot = 1},
                              writes(0, 0),
                              writes(1, 0)});
    s.spare_slots = 1;
    auto p = predict(s, linux_6_1());
    BOOST_TEST(p.errors.empty());
    BOOST_TEST(p.faults.at({1, 0}) == 1);
    BOOST_TEST(p.faults.at({0, 0}) == 1);
}

// Scripts that cannot run are rejected, not silently predicted.
BOOST_AUTO_TEST_CASE(bad_scripts_are_rejected) {
    BOOST_TEST(!predict(make({anon_region(2)}, {writes(1, 0)}), linux_6_1()).errors.empty());
    BOOST_TEST(!predict(make({anon_region(2)}, {writes(0, 0, 1, 5)}), linux_6_1()).errors.empty());
    region ro{"r", 1, region_kind::anon_private, protection::read_only};
    BOOST_TEST(!predict(make({ro}, {writes(0, 0)}), linux_6_1()).errors.empty());
}

BOOST_AUTO_TEST_CASE(models_follow_the_release) {
    BOOST_TEST(model_for_release("4.15.0")->name == "linux-4.15");
    BOOST_TEST(model_for_release("6.1.192+")->name == "linux-6.1");
    BOOST_TEST(!model_for_release("3.10.0"));
    BOOST_TEST(!model_named("foo"));
    BOOST_TEST(model_named("4.15")->name == "linux-4.15");
}

BOOST_AUTO_TEST_SUITE_END()
