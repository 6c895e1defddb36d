// SPDX-License-Identifier: GPL-2.0-or-later
#include "lock.hpp"

#include "files.hpp"
#include "process.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/file.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace harness {

namespace {

std::string own_command_line() {
    std::ifstream in("/proc/self/cmdline");
    std::string all, arg;
    while (std::getline(in, arg, '\0'))
        all += (all.empty() ? "" : " ") + arg;
    return all;
}

} // namespace

std::string holder_text(const fs::path& path) {
    std::string text = read_text(path);
    while (!text.empty() && text.back() == '\n')
        text.pop_back();
    return text.empty() ? "another run" : text;
}

run_lock::run_lock(const fs::path& path, const std::string& what) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
        error_ = "cannot open the lock " + path.string() + ": " + std::strerror(errno);
        return;
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        say("lock", what + " is in use by " + holder_text(path) + "; waiting for it");
        while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
        }
    }
    std::string me = "pid " + std::to_string(::getpid()) + " (" + own_command_line() + "), since " +
                     now_utc() + "\n";
    if (::ftruncate(fd_, 0) == 0)
        (void)!::pwrite(fd_, me.data(), me.size(), 0);
}

run_lock::run_lock(run_lock&& other) noexcept : fd_(other.fd_), error_(std::move(other.error_)) {
    other.fd_ = -1;
}

run_lock::~run_lock() {
    if (fd_ >= 0)
        ::close(fd_); // releases the flock
}

} // namespace harness
