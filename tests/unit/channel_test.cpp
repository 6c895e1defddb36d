// SPDX-License-Identifier: GPL-2.0-or-later
#include "channel/channel.hpp"

#include <boost/test/unit_test.hpp>

using namespace channel;

BOOST_AUTO_TEST_SUITE(results_channel)

BOOST_AUTO_TEST_CASE(round_trip_with_noise_around) {
    std::string s = "boot noise\n" + frame("{\"a\":1}") + "trailing\n";
    auto u = unframe(s);
    BOOST_REQUIRE(u.payload.has_value());
    BOOST_TEST(*u.payload == "{\"a\":1}");
}

BOOST_AUTO_TEST_CASE(truncated_stream_is_refused) {
    std::string s = frame("{\"a\":1}");
    auto u = unframe(s.substr(0, s.size() - 20));
    BOOST_TEST(!u.payload.has_value());
    BOOST_TEST(u.error.find("truncated") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(corrupted_byte_is_refused) {
    std::string s = frame("{\"abc\":123}");
    s[s.find("123")] = '7';
    auto u = unframe(s);
    BOOST_TEST(!u.payload.has_value());
    BOOST_TEST(u.error.find("CRC") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(empty_stream_says_nothing_was_written) {
    auto u = unframe("");
    BOOST_TEST(!u.payload.has_value());
    BOOST_TEST(u.error.find("wrote nothing") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
