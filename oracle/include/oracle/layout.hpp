// SPDX-License-Identifier: GPL-2.0-or-later
// VMA layouts and binning: the same rule the kernel applies in pf_get_info.
#pragma once

#include "oracle/oracle.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace oracle {

struct vma {
    std::uint64_t start = 0;
    std::uint64_t end = 0; // exclusive
    std::string perms;     // "rw-p" as in /proc/PID/maps; empty when unknown
    std::string name;      // path or [heap], [stack], ...

    bool writable() const { return perms.size() > 1 && perms[1] == 'w'; }
    bool shared() const { return perms.size() > 3 && perms[3] == 's'; }
    bool contains(std::uint64_t a) const { return a >= start && a < end; }
    auto operator<=>(const vma&) const = default;
};

using layout = std::vector<vma>;

// Parses the text of /proc/PID/maps. Lines it cannot read are reported in `bad`.
layout parse_maps(const std::string& text, std::vector<std::string>* bad = nullptr);

// Where the scenario's slots are in memory.
struct slot_map {
    std::uint64_t base = 0;       // address of slot 0
    std::uint64_t slot_bytes = 0; // distance between slots
    std::uint64_t page_size = 4096;

    std::uint64_t address(page_site s) const {
        return base + static_cast<std::uint64_t>(s.slot) * slot_bytes +
               static_cast<std::uint64_t>(s.page) * page_size;
    }
};

// Index of the VMA holding the address, if any.
std::optional<std::size_t> find_vma(const layout& l, std::uint64_t address);

// Predicted faults per VMA of `l`, and how many fell in no VMA at all.
struct binned {
    std::vector<long> per_vma;
    long outside = 0;
};
binned bin(const prediction& p, const slot_map& slots, const layout& l);

// Whether the VMA lies within the scenario's slots (the part the oracle predicts).
bool controlled(const vma& v, const slot_map& slots, int nslots);

} // namespace oracle
