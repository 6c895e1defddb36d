// SPDX-License-Identifier: GPL-2.0-or-later
#include "abi.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace pfcheck {

syscall_numbers numbers_for(const std::string& release, bool binary_is_64bit) {
    if (binary_is_64bit)
        return {385, 386, 387, "x86_64 table"};
    int major = std::atoi(release.c_str());
    if (major < 5)
        return {385, 386, 387, "i386 table of " + release + " (the course's numbers)"};
    return {387, 388, 389, "i386 table of " + release + " (385 and 386 are taken)"};
}

syscall_numbers default_numbers() {
    return numbers_for(kernel_release(), sizeof(long) == 8);
}

bool parse_numbers(const std::string& text, syscall_numbers& out) {
    std::stringstream in(text);
    long v[3];
    char comma1 = 0, comma2 = 0;
    if (!(in >> v[0] >> comma1 >> v[1] >> comma2 >> v[2]) || comma1 != ',' || comma2 != ',')
        return false;
    std::string rest;
    if (in >> rest)
        return false;
    out = {v[0], v[1], v[2], "given on the command line"};
    return true;
}

static int result_of(long r) {
    return r < 0 ? errno : 0;
}

int pf_syscalls::set_param(const char* name, std::size_t len) const {
    return result_of(syscall(n_.set_param, name, len));
}

int pf_syscalls::get_info(const char* name, std::size_t len, pf_stat* out) const {
    return result_of(syscall(n_.get_info, name, len, out));
}

int pf_syscalls::cleanup() const {
    return result_of(syscall(n_.cleanup));
}

std::string errno_name(int err) {
    if (err == 0)
        return "0";
    // glibc's own table of names (2.32 and later): EEXIST, EOVERFLOW, ...
    if (const char* name = strerrorname_np(err))
        return name;
    return "errno " + std::to_string(err);
}

std::string tester_message(int err) {
    switch (err) {
    case ENOSYS:
        return "Syscall not implemented";
    case EINVAL:
        return "Bad argument value";
    case ENOMEM:
        return "Failed to allocate kernel memory";
    case EACCES:
        return "Kernel data structure not initialized";
    // The course's tester knows only the four above; these are pfcheck's
    // rules (docs/semantics.md), said as such.
    case EPERM:
        return "Not allowed to read this record or layout (pfcheck's rule)";
    case ENOSPC:
        return "Too many names tracked (pfcheck's limit)";
    case EFAULT:
        return "Bad address: a name or pf_stat pointer is not accessible (pfcheck's rule)";
    case EEXIST:
        return "The name is tracked by another user (pfcheck's rule)";
    case EOVERFLOW:
        return "The layout does not fit a 32-bit pf_stat (pfcheck's rule)";
    default:
        return "Unexpected error " + errno_name(err);
    }
}

std::string kernel_machine() {
    utsname u{};
    if (uname(&u) != 0)
        return "unknown";
    return u.machine;
}

std::string kernel_release() {
    utsname u{};
    if (uname(&u) != 0)
        return "unknown";
    return u.release;
}

} // namespace pfcheck
