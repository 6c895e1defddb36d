// SPDX-License-Identifier: GPL-2.0-or-later
#include "oracle/scenario.hpp"

#include <array>

namespace oracle {

namespace {

struct action_names {
    const char* id;
    const char* doc;
};

constexpr std::array names = {
#define PFCHECK_ACTION(id, doc) action_names{#id, doc},
#include "oracle/actions.inc"
#undef PFCHECK_ACTION
};

} // namespace

const char* to_string(action a) {
    auto i = static_cast<std::size_t>(a);
    return i < names.size() ? names[i].id : "?";
}

const char* describe(action a) {
    auto i = static_cast<std::size_t>(a);
    return i < names.size() ? names[i].doc : "?";
}

const char* to_string(rule_source r) {
    return r == rule_source::course ? "course" : "pfcheck";
}

const char* to_string(region_kind k) {
    switch (k) {
    case region_kind::anon_private:
        return "anonymous private";
    case region_kind::file_private:
        return "file private";
    case region_kind::shared:
        return "shared";
    }
    return "?";
}

} // namespace oracle
