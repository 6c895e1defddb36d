// SPDX-License-Identifier: GPL-2.0-or-later
#include "files.hpp"

#include <boost/uuid/detail/sha1.hpp>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

namespace harness {

std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string now_utc() {
    std::time_t t = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return buf;
}

namespace {

std::string hex_digest(boost::uuids::detail::sha1& h) {
    unsigned int digest[5];
    h.get_digest(digest);
    char out[41];
    for (int i = 0; i < 5; ++i)
        std::snprintf(out + 8 * i, 9, "%08x", digest[i]);
    return out;
}

} // namespace

std::string sha1_hex(const std::string& data) {
    boost::uuids::detail::sha1 h;
    h.process_bytes(data.data(), data.size());
    return hex_digest(h);
}

std::string sha1_hex(const std::filesystem::path& file, const std::string& then) {
    boost::uuids::detail::sha1 h;
    std::ifstream in(file, std::ios::binary);
    char buf[65536];
    while (in.read(buf, sizeof buf) || in.gcount() > 0)
        h.process_bytes(buf, static_cast<std::size_t>(in.gcount()));
    h.process_bytes(then.data(), then.size());
    return hex_digest(h);
}

} // namespace harness
