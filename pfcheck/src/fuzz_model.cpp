// SPDX-License-Identifier: GPL-2.0-or-later
#include "fuzz_model.hpp"

#include <cerrno>

namespace pfcheck::fuzz {

namespace {

// The name checks set_param and get_info share: EINVAL, EFAULT, EINVAL.
int name_errno(const name_arg& n) {
    if (n.null || n.len == 0 || n.len > max_name_len)
        return EINVAL;
    if (n.readable < n.len)
        return EFAULT;
    if (n.bytes.find('\0') < n.len)
        return EINVAL;
    return 0;
}

std::string name_of(const name_arg& n) {
    return n.bytes.substr(0, n.len);
}

} // namespace

int expected_errno(const call& c, const state& s) {
    switch (c.what) {
    case op::cleanup:
        return s.initialised ? 0 : EACCES;
    case op::set_param:
        if (int e = name_errno(c.name))
            return e;
        if (s.tracked.count(name_of(c.name)))
            return 0;
        return s.tracked.size() >= max_names ? ENOSPC : 0;
    case op::get_info:
        if (!s.initialised)
            return EACCES;
        if (int e = name_errno(c.name))
            return e;
        if (!s.tracked.count(name_of(c.name)))
            return EINVAL;
        return c.pf_writable ? 0 : EFAULT;
    }
    return -1;
}

void apply(const call& c, int result, state& s) {
    if (result != 0)
        return;
    if (c.what == op::cleanup) {
        s = state{};
    } else if (c.what == op::set_param) {
        s.initialised = true;
        s.tracked.insert(name_of(c.name));
    }
}

std::string describe(const call& c) {
    std::string out = c.what == op::cleanup     ? "pf_cleanup()"
                      : c.what == op::set_param ? "pf_set_param("
                                                : "pf_get_info(";
    if (c.what == op::cleanup)
        return out;
    if (c.name.null) {
        out += "NULL";
    } else {
        out += "\"";
        for (char ch : c.name.bytes.substr(0, std::min(c.name.len, c.name.readable)))
            out += ch == '\0' ? std::string("\\0") : std::string(1, ch);
        out += "\"";
        if (c.name.readable < c.name.len)
            out += " then unreadable from byte " + std::to_string(c.name.readable);
    }
    out += ", " + std::to_string(c.name.len);
    if (c.what == op::get_info)
        out += c.pf_writable ? ", pf" : ", unwritable pf";
    return out + ")";
}

} // namespace pfcheck::fuzz
