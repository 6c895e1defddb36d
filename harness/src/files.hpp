// SPDX-License-Identifier: GPL-2.0-or-later
// Small file helpers the harness's steps share.
#pragma once

#include <filesystem>
#include <string>

namespace harness {

// The whole file, or "" when it cannot be read.
std::string read_text(const std::filesystem::path& p);

// The current time, UTC, ISO 8601: "2026-11-30T04:24:15Z".
std::string now_utc();

// SHA-1 of `data`, 40 hex digits: fingerprints of patch series and configs.
std::string sha1_hex(const std::string& data);
// SHA-1 of a file's content followed by `then`, read in chunks (an archive
// is never held in memory whole).
std::string sha1_hex(const std::filesystem::path& file, const std::string& then);

} // namespace harness
