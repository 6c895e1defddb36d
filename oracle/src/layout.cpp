// SPDX-License-Identifier: GPL-2.0-or-later
#include "oracle/layout.hpp"

#include <algorithm>
#include <sstream>

namespace oracle {

layout parse_maps(const std::string& text, std::vector<std::string>* bad) {
    layout out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty())
            continue;
        // start-end perms offset dev inode [name]
        std::istringstream fields(line);
        std::string range, perms, offset, dev, inode, name;
        fields >> range >> perms >> offset >> dev >> inode;
        std::getline(fields, name);
        name.erase(0, name.find_first_not_of(' '));
        auto dash = range.find('-');
        if (!fields && !fields.eof())
            dash = std::string::npos;
        vma v;
        try {
            if (dash == std::string::npos || perms.size() != 4)
                throw std::invalid_argument("fields");
            v.start = std::stoull(range.substr(0, dash), nullptr, 16);
            v.end = std::stoull(range.substr(dash + 1), nullptr, 16);
        } catch (const std::exception&) {
            if (bad)
                bad->push_back(line);
            continue;
        }
        v.perms = perms;
        v.name = name;
        out.push_back(v);
    }
    return out;
}

std::optional<std::size_t> find_vma(const layout& l, std::uint64_t address) {
    auto it = std::upper_bound(l.begin(), l.end(), address,
                               [](std::uint64_t a, const vma& v) { return a < v.start; });
    if (it == l.begin())
        return std::nullopt;
    --it;
    if (!it->contains(address))
        return std::nullopt;
    return static_cast<std::size_t>(it - l.begin());
}

binned bin(const prediction& p, const slot_map& slots, const layout& l) {
    binned out;
    out.per_vma.assign(l.size(), 0);
    for (const auto& [site, n] : p.faults) {
        if (auto i = find_vma(l, slots.address(site)))
            out.per_vma[*i] += n;
        else
            out.outside += n;
    }
    return out;
}

bool controlled(const vma& v, const slot_map& slots, int nslots) {
    std::uint64_t end = slots.base + static_cast<std::uint64_t>(nslots) * slots.slot_bytes;
    return v.start >= slots.base && v.end <= end;
}

} // namespace oracle
