// SPDX-License-Identifier: GPL-2.0-or-later
#include "channel/channel.hpp"

#include <boost/crc.hpp>
#include <cstdio>
#include <cstdlib>

namespace channel {

namespace {
const std::string begin_mark = "PFCHECK-RESULTS-BEGIN\n";
const std::string end_mark = "\nPFCHECK-RESULTS-END ";

unsigned crc32(const std::string& s) {
    boost::crc_32_type crc;
    crc.process_bytes(s.data(), s.size());
    return crc.checksum();
}
} // namespace

std::string frame(const std::string& payload) {
    char tail[64];
    std::snprintf(tail, sizeof tail, "%zu %08x\n", payload.size(), crc32(payload));
    return begin_mark + payload + end_mark + tail;
}

unframed unframe(const std::string& stream) {
    auto b = stream.rfind(begin_mark);
    if (b == std::string::npos)
        return {std::nullopt, "no results frame in the stream (the guest wrote nothing)"};
    auto start = b + begin_mark.size();
    auto e = stream.find(end_mark, start);
    if (e == std::string::npos)
        return {std::nullopt, "the results frame is truncated (no END line)"};
    std::size_t size = 0;
    unsigned crc = 0;
    if (std::sscanf(stream.c_str() + e + end_mark.size(), "%zu %x", &size, &crc) != 2)
        return {std::nullopt, "the END line of the results frame is garbled"};
    std::string payload = stream.substr(start, e - start);
    if (payload.size() != size)
        return {std::nullopt, "the results frame holds " + std::to_string(payload.size()) +
                                  " bytes, its END line says " + std::to_string(size)};
    if (crc32(payload) != crc)
        return {std::nullopt, "the results frame fails its CRC-32 check (corrupted)"};
    return {payload, {}};
}

} // namespace channel
