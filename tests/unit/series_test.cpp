// SPDX-License-Identifier: GPL-2.0-or-later
// Which series a run applies when SERIES is not given: a tree that already
// wires up the course's syscalls is judged as it is, a vanilla one gets
// pfcheck's reference series; an explicit SERIES wins.
#include "fake_kernel.hpp"
#include "kernel_tree.hpp"

#include <boost/test/unit_test.hpp>

namespace fs = std::filesystem;
using namespace harness;
using namespace fake;

BOOST_AUTO_TEST_SUITE(series_resolution)

BOOST_AUTO_TEST_CASE(kernel_versions_are_read_from_the_makefile) {
    auto v = parse_kernel_version(makefile("4.15.0"));
    BOOST_REQUIRE(v.has_value());
    BOOST_TEST(v->is(4, 15, 0));
    BOOST_TEST(v->text() == "4.15.0");
    v = parse_kernel_version(makefile("4.15.0", "-rc8"));
    BOOST_REQUIRE(v.has_value());
    BOOST_TEST(v->text() == "4.15.0-rc8");
    BOOST_TEST(!parse_kernel_version("all:\n\techo\n").has_value());
}

BOOST_AUTO_TEST_CASE(syscall_tables_say_whether_the_course_syscalls_are_wired) {
    BOOST_TEST(course_syscalls_in(vanilla_32, vanilla_64, 4) == "");
    BOOST_TEST(course_syscalls_in(wired_32, vanilla_64, 4) == "syscall_32.tbl: 385 pf_set_param");
    // 4.x: the course's numbers, whatever the names.
    BOOST_TEST(course_syscalls_in(vanilla_32 + "386\ti386\tmy_info\tsys_my_info\n", vanilla_64,
                                  4) == "syscall_32.tbl: 386 my_info");
    // 6.1's 385 and 386 are io_pgetevents and rseq: only names count there.
    std::string six = vanilla_32 + "385\ti386\tio_pgetevents\tsys_io_pgetevents_time32\n"
                                   "386\ti386\trseq\t\tsys_rseq\n";
    BOOST_TEST(course_syscalls_in(six, vanilla_64, 6) == "");
    BOOST_TEST(course_syscalls_in(six, vanilla_64 + "451\tcommon\tpf_cleanup\tsys_pf_cleanup\n",
                                  6) == "syscall_64.tbl: 451 pf_cleanup");
    // Comments are not entries.
    BOOST_TEST(course_syscalls_in(vanilla_32 + "# 385 i386 pf_set_param sys_pf\n", "", 4) == "");
}

BOOST_AUTO_TEST_CASE(a_tree_that_wires_up_the_syscalls_is_judged_as_it_is) {
    temp_dir s("series");
    fake_tree(s.dir / "mine", "4.15.0", wired_32);
    auto c = resolve_series("", s.dir / "mine", 4, project);
    BOOST_TEST(c.dir.empty());
    BOOST_TEST(c.name == "none (the tree as given)");
    BOOST_TEST(c.note.find("judged as it is") != std::string::npos);
    BOOST_TEST(c.note.find("385 pf_set_param") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_vanilla_tree_gets_the_reference_series_of_its_version) {
    temp_dir s("series");
    fake_tree(s.dir / "vanilla", "4.15.0", vanilla_32);
    auto c = resolve_series("", s.dir / "vanilla", 4, project);
    BOOST_TEST(c.dir == project / "patch/linux-4.15");
    BOOST_TEST(c.name == "patch/linux-4.15");
    BOOST_TEST(c.note.find("reference series patch/linux-4.15") != std::string::npos);
    // Debian's 6.1 (nothing to inspect): the 6.1 series, silently.
    c = resolve_series("", {}, 6, project);
    BOOST_TEST(c.dir == project / "patch/linux-6.1");
    BOOST_TEST(c.note.empty());
}

BOOST_AUTO_TEST_CASE(an_explicit_series_wins) {
    temp_dir s("series");
    fake_tree(s.dir / "mine", "4.15.0", wired_32);
    fs::create_directories(s.dir / "my-patches");
    auto c = resolve_series((s.dir / "my-patches").string(), s.dir / "mine", 4, project);
    BOOST_TEST(c.dir == s.dir / "my-patches");
    BOOST_TEST(c.note.empty());
    c = resolve_series("reference", s.dir / "mine", 4, project);
    BOOST_TEST(c.dir == project / "patch/linux-4.15");
    BOOST_TEST(c.note.empty());
    fake_tree(s.dir / "vanilla", "4.15.0", vanilla_32);
    c = resolve_series("none", s.dir / "vanilla", 4, project);
    BOOST_TEST(c.dir.empty());
    BOOST_TEST(c.note.empty());
}

BOOST_AUTO_TEST_SUITE_END()
