// SPDX-License-Identifier: GPL-2.0-or-later
#include "protocol.hpp"

#include "oracle/oracle.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <poll.h>
#include <sstream>
#include <unistd.h>

namespace workloads::protocol {

std::string startup_payload(std::uint64_t base, const std::string& maps) {
    char text[32];
    std::snprintf(text, sizeof text, "%llx\n", static_cast<unsigned long long>(base));
    return text + maps;
}

bool parse_startup_payload(const std::string& text, std::uint64_t& base, std::string& maps) {
    auto nl = text.find('\n');
    if (nl == std::string::npos)
        return false;
    base = std::strtoull(text.substr(0, nl).c_str(), nullptr, 16);
    maps = text.substr(nl + 1);
    return base != 0;
}

bool write_all(int fd, const void* data, std::size_t n) {
    auto p = static_cast<const char*>(data);
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

bool read_all(int fd, void* data, std::size_t n, int timeout_ms) {
    auto p = static_cast<char*>(data);
    while (n > 0) {
        if (timeout_ms >= 0) {
            pollfd pfd{fd, POLLIN, 0};
            int r = ::poll(&pfd, 1, timeout_ms);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return false;
        }
        ssize_t got = ::read(fd, p, n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        p += got;
        n -= static_cast<std::size_t>(got);
    }
    return true;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string errno_text(const char* what) {
    return std::string(what) + ": " + std::strerror(errno);
}

std::uint64_t slot_stride_bytes(const oracle::scenario& s) {
    return static_cast<std::uint64_t>(oracle::slot_stride_pages(s)) * oracle::page_size;
}

} // namespace workloads::protocol
