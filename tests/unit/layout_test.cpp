// SPDX-License-Identifier: GPL-2.0-or-later
#include "oracle/layout.hpp"

#include <boost/test/unit_test.hpp>

using namespace oracle;

BOOST_AUTO_TEST_SUITE(layouts)

// A recorded /proc/PID/maps of a scenario process in the i386 guest.
const char* recorded_maps = "08048000-08324000 r-xp 00000000 00:02 4     /init\n"
                            "08324000-0832b000 r--p 002db000 00:02 4     /init\n"
                            "0832b000-08336000 rw-p 002e2000 00:02 4     /init\n"
                            "08336000-0833d000 rw-p 00000000 00:00 0 \n"
                            "08f77000-08f99000 rw-p 00000000 00:00 0     [heap]\n"
                            "b7800000-b7808000 rw-p 00000000 00:00 0 \n"
                            "b7808000-b7c00000 ---p 00000000 00:00 0 \n"
                            "b7ff9000-b7ffd000 r--p 00000000 00:00 0     [vvar]\n"
                            "b7ffd000-b7fff000 r-xp 00000000 00:00 0     [vdso]\n"
                            "bfa8c000-bfaad000 rw-p 00000000 00:00 0     [stack]\n";

BOOST_AUTO_TEST_CASE(parses_a_recorded_maps_file) {
    std::vector<std::string> bad;
    auto l = parse_maps(recorded_maps, &bad);
    BOOST_TEST(bad.empty());
    BOOST_REQUIRE(l.size() == 10u);
    BOOST_TEST(l[0].start == 0x08048000u);
    BOOST_TEST(l[4].name == "[heap]");
    BOOST_TEST(l[5].writable());
    BOOST_TEST(!l[6].writable());
    BOOST_TEST(l[5].name.empty());
}

BOOST_AUTO_TEST_CASE(reports_lines_it_cannot_read) {
    std::vector<std::string> bad;
    auto l = parse_maps("garbage\nb7800000-b7808000 rw-p 0 00:00 0\n", &bad);
    BOOST_TEST(l.size() == 1u);
    BOOST_TEST(bad.size() == 1u);
}

BOOST_AUTO_TEST_CASE(bins_faults_by_address) {
    auto l = parse_maps(recorded_maps);
    prediction p;
    p.faults[{0, 0}] = 2;
    p.faults[{0, 7}] = 1;
    p.faults[{0, 9}] = 5; // in the PROT_NONE guard VMA
    slot_map slots{0xb7800000, 4u << 20, 4096};
    auto b = bin(p, slots, l);
    BOOST_TEST(b.per_vma[5] == 3);
    BOOST_TEST(b.per_vma[6] == 5);
    BOOST_TEST(b.outside == 0);
    BOOST_TEST(!find_vma(l, 0x1000).has_value());
    BOOST_TEST(controlled(l[5], slots, 1));
    BOOST_TEST(!controlled(l[4], slots, 1));
}

BOOST_AUTO_TEST_SUITE_END()
