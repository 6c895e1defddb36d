// SPDX-License-Identifier: GPL-2.0-or-later
#include "schema/results.hpp"

#include <fstream>
#include <sstream>

namespace schema {

namespace {

template <typename T>
std::optional<T> parse_text(const std::string& text, std::string& why,
                            nlohmann::json* raw = nullptr) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (raw)
        *raw = j;
    if (j.is_discarded()) {
        why = "is not valid JSON";
        return std::nullopt;
    }
    return parse_as<T>(j, why);
}

} // namespace

std::optional<guest_report> parse_guest_report(const std::string& text, std::string& why,
                                               nlohmann::json* raw) {
    return parse_text<guest_report>(text, why, raw);
}

std::optional<report_file> read_report_file(const std::filesystem::path& p, std::string& why) {
    std::ifstream in(p);
    if (!in) {
        why = "cannot be read";
        return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return parse_text<report_file>(text.str(), why);
}

} // namespace schema
