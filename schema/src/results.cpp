#include "schema/results.hpp"

#include <fstream>
#include <sstream>

namespace schema {

namespace {

// T from JSON text; nullopt and why when it is not JSON or not a T.
template <typename T> std::optional<T> parse(const std::string& text, std::string& why) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) {
        why = "not valid JSON";
        return std::nullopt;
    }
    try {
        return j.get<T>();
    } catch (const nlohmann::json::exception& e) {
        why = std::string("valid JSON that does not fit the results schema: ") + e.what();
        return std::nullopt;
    }
}

} // namespace

std::optional<guest_report> parse_guest_report(const std::string& text, std::string& why) {
    return parse<guest_report>(text, why);
}

std::optional<report_file> read_report_file(const std::filesystem::path& p, std::string& why) {
    std::ifstream in(p);
    if (!in) {
        why = "cannot be read";
        return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return parse<report_file>(text.str(), why);
}

} // namespace schema
