// SPDX-License-Identifier: GPL-2.0-or-later
#include "report/counters.hpp"

#include <algorithm>
#include <map>
#include <sstream>

namespace report {

using nlohmann::json;

namespace {

struct counter_sum {
    std::string rule;
    int ok = 0, slack = 0, findings = 0, unavailable = 0;
    long predicted = 0, measured = 0;
    std::vector<std::string> notes;
};

// The counters in the order the guest lists them, summed over the scenarios.
std::vector<std::pair<std::string, counter_sum>> sums(const json& counters) {
    std::vector<std::pair<std::string, counter_sum>> out;
    std::map<std::string, std::size_t> index;
    for (const auto& s : counters.value("scenarios", json::array())) {
        if (!s.value("skipped", std::string()).empty())
            continue;
        for (const auto& r : s.value("rows", json::array())) {
            std::string id = r.value("counter", "?");
            if (!index.count(id)) {
                index[id] = out.size();
                out.push_back({id, {}});
            }
            auto& c = out[index[id]].second;
            c.rule = r.value("rule", "?");
            std::string v = r.value("verdict", "");
            bool both = r["predicted"].is_number() && r["measured"].is_number();
            if (both) {
                c.predicted += r["predicted"].get<long>();
                c.measured += r["measured"].get<long>();
            }
            if (v == "ok")
                ++c.ok;
            else if (v == "ok (within slack)")
                ++c.slack;
            else if (v == "FINDING") {
                ++c.findings;
                if (c.notes.size() < 2)
                    c.notes.push_back(s.value("scenario", "?") + ": " + r.value("note", ""));
            } else
                ++c.unavailable;
        }
    }
    return out;
}

} // namespace

table counters_table(const counters_run& run) {
    table t;
    t.caption = "Linux's fault counters against the prediction, " + run.label + " (era " +
                run.counters.value("era", std::string("?")) + ")";
    t.header = {"counter",     "rule",      "ok",       "within slack",  "findings",
                "unavailable", "predicted", "measured", "first findings"};
    t.latex_columns = "llrrrrrrp{6cm}";
    for (const auto& [id, c] : sums(run.counters)) {
        std::string notes;
        for (const auto& n : c.notes)
            notes += (notes.empty() ? "" : "; ") + n;
        t.rows.push_back({id, c.rule, std::to_string(c.ok), std::to_string(c.slack),
                          std::to_string(c.findings), std::to_string(c.unavailable),
                          std::to_string(c.predicted), std::to_string(c.measured), notes});
    }
    int scenarios = static_cast<int>(run.counters.value("scenarios", json::array()).size());
    t.note = std::to_string(scenarios) + " scenarios, " +
             std::to_string(run.counters.value("skipped", 0)) +
             " skipped. Predicted and measured are sums over the scenarios where both exist. "
             "The rules are in docs/counters.md.";
    return t;
}

std::string counters_plot_data(const std::vector<counters_run>& runs) {
    std::vector<std::string> order;
    std::vector<std::map<std::string, long>> measured(runs.size());
    std::vector<int> findings(runs.size(), 0);
    for (std::size_t i = 0; i < runs.size(); ++i)
        for (const auto& [id, c] : sums(runs[i].counters)) {
            if (std::find(order.begin(), order.end(), id) == order.end())
                order.push_back(id);
            measured[i][id] = c.measured;
            findings[i] += c.findings;
        }
    std::ostringstream out;
    out << "counter";
    for (std::size_t i = 0; i < runs.size(); ++i)
        out << "\t\"" << runs[i].label << ": " << findings[i]
            << (findings[i] == 1 ? " finding" : " findings") << "\"";
    out << "\n";
    for (const auto& id : order) {
        out << id;
        for (std::size_t i = 0; i < runs.size(); ++i) {
            auto it = measured[i].find(id);
            out << "\t"
                << (it == measured[i].end() ? std::string("?") : std::to_string(it->second));
        }
        out << "\n";
    }
    return out.str();
}

} // namespace report
