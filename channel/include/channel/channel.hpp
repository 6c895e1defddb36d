// SPDX-License-Identifier: GPL-2.0-or-later
// The results channel between the guest and the host: a frame around the
// JSON report, so that a truncated or garbled stream is detected, not parsed.
#pragma once

#include <optional>
#include <string>

namespace channel {

// BEGIN line, payload, END line with the payload's length and CRC-32.
std::string frame(const std::string& payload);

struct unframed {
    std::optional<std::string> payload;
    std::string error; // why there is no payload
};

// Finds the last complete frame in `stream` (console noise around it is fine).
unframed unframe(const std::string& stream);

} // namespace channel
