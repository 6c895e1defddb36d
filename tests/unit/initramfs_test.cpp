// SPDX-License-Identifier: GPL-2.0-or-later
// The guest's initramfs gets a dynamic program with its loader and every
// library it needs, found without running the program's loader (the host may
// not execute the guest architecture's binaries).
#include "guest_build.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>

namespace fs = std::filesystem;
using namespace harness;

BOOST_AUTO_TEST_SUITE(initramfs)

BOOST_AUTO_TEST_CASE(a_dynamic_program_brings_its_loader_and_libraries) {
    fs::path program = "/bin/ls"; // dynamic, on every Debian
    std::vector<initramfs_file> files;
    std::string why;
    BOOST_TEST_REQUIRE(add_with_libraries(program, "bin/ls", files, why), why);
    auto has = [&](const std::string& suffix) {
        return std::any_of(files.begin(), files.end(), [&](const initramfs_file& f) {
            return f.guest_path.size() >= suffix.size() &&
                   f.guest_path.compare(f.guest_path.size() - suffix.size(), suffix.size(),
                                        suffix) == 0;
        });
    };
    BOOST_TEST(files.front().guest_path == "bin/ls");
    BOOST_TEST(has("ld-linux-x86-64.so.2"));
    BOOST_TEST(has("x86_64-linux-gnu/libc.so.6"));
    for (const auto& f : files)
        BOOST_TEST(f.guest_path.front() != '/', f.guest_path << " is not relative");
}

BOOST_AUTO_TEST_CASE(a_missing_program_is_refused_with_the_reason) {
    std::vector<initramfs_file> files;
    std::string why;
    BOOST_TEST(!add_with_libraries("/nonexistent/pfbench", "pfbench", files, why));
    BOOST_TEST(why.find("readelf") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
