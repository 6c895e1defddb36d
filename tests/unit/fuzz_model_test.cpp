// SPDX-License-Identifier: GPL-2.0-or-later
// The fuzzer's oracle: each row is one line of the errno table of
// docs/semantics.md section 7, in its order of precedence.
#include "fuzz_model.hpp"

#include <boost/test/unit_test.hpp>
#include <cerrno>

using namespace pfcheck::fuzz;

namespace {

name_arg readable(const std::string& bytes, std::size_t len) {
    return {false, 1 << 20, bytes, len};
}

call set(name_arg n) {
    return {op::set_param, n, true};
}

call get(name_arg n, bool pf_writable = true) {
    return {op::get_info, n, pf_writable};
}

state tracking(std::initializer_list<std::string> names) {
    state s;
    s.initialised = true;
    s.tracked = names;
    return s;
}

} // namespace

BOOST_AUTO_TEST_SUITE(fuzz_model)

// Nothing initialised: get_info and cleanup are EACCES before any argument check.
BOOST_AUTO_TEST_CASE(eacces_comes_first) {
    state none;
    BOOST_TEST(expected_errno(get({true, 0, "", 0}), none) == EACCES);
    BOOST_TEST(expected_errno({op::cleanup, {}, true}, none) == EACCES);
    BOOST_TEST(expected_errno(set(readable("fz01", 4)), none) == 0);
}

// NULL, length 0 and length over 15 are EINVAL before the name is read.
BOOST_AUTO_TEST_CASE(lengths_are_checked_before_reading) {
    auto s = tracking({"fz01"});
    BOOST_TEST(expected_errno(set({true, 0, "", 4}), s) == EINVAL);
    BOOST_TEST(expected_errno(set({false, 0, "", 0}), s) == EINVAL);
    BOOST_TEST(expected_errno(set({false, 0, "", 16}), s) == EINVAL);
    BOOST_TEST(expected_errno(set({false, 0, "", static_cast<std::size_t>(-1)}), s) == EINVAL);
    BOOST_TEST(expected_errno(get({false, 0, "", 15}), s) == EFAULT);
}

// A name that runs into an unmapped page is EFAULT; one that ends just before it is fine.
BOOST_AUTO_TEST_CASE(page_end_names) {
    auto s = tracking({"fz01"});
    BOOST_TEST(expected_errno(get({false, 4, "fz01", 4}), s) == 0);
    BOOST_TEST(expected_errno(get({false, 4, "fz01", 5}), s) == EFAULT);
}

// A NUL inside the length is EINVAL; bytes after the length do not matter.
BOOST_AUTO_TEST_CASE(nul_inside_and_no_terminator) {
    auto s = tracking({"fz01"});
    BOOST_TEST(expected_errno(set(readable(std::string("fz\0x", 4), 4)), s) == EINVAL);
    BOOST_TEST(expected_errno(get(readable("fz01XXXX", 4)), s) == 0);
}

// An untracked name is EINVAL; then pf must be writable.
BOOST_AUTO_TEST_CASE(get_info_order) {
    auto s = tracking({"fz01"});
    BOOST_TEST(expected_errno(get(readable("fz02", 4)), s) == EINVAL);
    BOOST_TEST(expected_errno(get(readable("fz02", 4), false), s) == EINVAL);
    BOOST_TEST(expected_errno(get(readable("fz01", 4), false), s) == EFAULT);
}

// The 65th name is ENOSPC, a tracked one is still 0 when the table is full.
BOOST_AUTO_TEST_CASE(name_limit) {
    state s;
    for (int i = 0; i < 64; ++i) {
        std::string name = "n" + std::to_string(i);
        call c = set(readable(name, name.size()));
        BOOST_TEST(expected_errno(c, s) == 0);
        apply(c, 0, s);
    }
    BOOST_TEST(expected_errno(set(readable("other", 5)), s) == ENOSPC);
    BOOST_TEST(expected_errno(set(readable("n7", 2)), s) == 0);
}

// cleanup forgets everything: get_info is EACCES again, set_param starts over.
BOOST_AUTO_TEST_CASE(cleanup_resets) {
    auto s = tracking({"fz01"});
    apply({op::cleanup, {}, true}, 0, s);
    BOOST_TEST(!s.initialised);
    BOOST_TEST(expected_errno(get(readable("fz01", 4)), s) == EACCES);
    BOOST_TEST(expected_errno({op::cleanup, {}, true}, s) == EACCES);
}

BOOST_AUTO_TEST_SUITE_END()
