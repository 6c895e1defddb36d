// SPDX-License-Identifier: GPL-2.0-or-later
#include "marks.hpp"

#include "files.hpp"
#include "insn_marks.h"

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace harness {

std::optional<mark_line> parse_mark_line(const std::string& line) {
    // Fields after insns (the plugin's range= diagnostic) are allowed and not read.
    static const std::regex re(
        R"(^mark vcpu=(\d+) id=(0x[0-9a-fA-F]+|\d+) insns=(\d+)(?: [a-z_]+=\d+)*\s*$)");
    std::smatch m;
    if (!std::regex_match(line, m, re))
        return std::nullopt;
    try {
        return mark_line{static_cast<unsigned>(std::stoul(m[1].str())),
                         static_cast<unsigned>(std::stoul(m[2].str(), nullptr, 0)),
                         std::stoull(m[3].str())};
    } catch (const std::exception&) {
        return std::nullopt; // out of range
    }
}

namespace {

// What one vCPU is doing as the log goes: its current run, an open window.
struct vcpu_state {
    std::optional<std::size_t> run; // index into marks_log::runs
    std::optional<unsigned long long> window_begin;
    unsigned window_log2 = 0;
};

std::string where(const mark_line& m) {
    std::ostringstream o;
    o << "vCPU " << m.vcpu << ", id 0x" << std::hex << m.id << std::dec << " at " << m.insns;
    return o.str();
}

} // namespace

marks_log read_marks_log(std::istream& in) {
    marks_log out;
    std::map<unsigned, vcpu_state> vcpus;
    static const std::regex loaded(R"(^insn_marks: loaded.*counting per (.*)$)");
    std::string line;
    while (std::getline(in, line)) {
        std::smatch lm;
        if (std::regex_match(line, lm, loaded)) {
            out.loaded = true;
            out.counting = lm[1].str();
            continue;
        }
        auto m = parse_mark_line(line);
        if (!m)
            continue;
        ++out.marks;
        vcpu_state& v = vcpus[m->vcpu];
        const unsigned event = PF_MARK_EVENT(m->id), arg = PF_MARK_ARG(m->id);
        if (event == PF_MARK_RUN) {
            const char* config = pf_mark_config_name(arg);
            if (!config) {
                out.problems.push_back("a run of an unknown configuration (" + where(*m) + ")");
                v.run.reset();
                continue;
            }
            if (v.window_begin)
                out.problems.push_back("a run began inside a window (" + where(*m) + ")");
            v.window_begin.reset();
            out.runs.push_back({.vcpu = m->vcpu, .config = config});
            v.run = out.runs.size() - 1;
        } else if (event == PF_MARK_BEGIN) {
            if (!v.run) {
                out.problems.push_back("a window outside any run (" + where(*m) + ")");
                continue;
            }
            if (v.window_begin)
                out.problems.push_back("a window began inside another (" + where(*m) + ")");
            v.window_begin = m->insns;
            v.window_log2 = arg;
        } else if (event == PF_MARK_END) {
            if (!v.run || !v.window_begin || v.window_log2 != arg || m->insns < *v.window_begin) {
                out.problems.push_back("a window's end without its beginning (" + where(*m) + ")");
                v.window_begin.reset();
                continue;
            }
            marked_run& r = out.runs[*v.run];
            if (r.windows > 0 && r.log2_faults != arg)
                out.problems.push_back("windows of two sizes in one run (" + where(*m) + ")");
            r.log2_faults = arg;
            r.insns += m->insns - *v.window_begin;
            ++r.windows;
            v.window_begin.reset();
        } else {
            out.problems.push_back("an unknown mark (" + where(*m) + ")");
        }
    }
    for (const auto& [vcpu, v] : vcpus)
        if (v.window_begin)
            out.problems.push_back("the log ends inside a window on vCPU " + std::to_string(vcpu));
    return out;
}

std::vector<pair_figure>
pair_figures(const marks_log& log,
             const std::map<std::string, std::map<long, long>>& expected_windows,
             std::vector<std::string>& problems) {
    // (configuration, log2 N) -> vCPU -> its runs in order.
    std::map<std::pair<std::string, unsigned>, std::map<unsigned, std::vector<const marked_run*>>>
        groups;
    for (const auto& r : log.runs) {
        if (r.windows == 0) {
            if (expected_windows.count(r.config))
                problems.push_back(r.config + ": a run without windows on vCPU " +
                                   std::to_string(r.vcpu));
            continue;
        }
        groups[{r.config, r.log2_faults}][r.vcpu].push_back(&r);
    }
    std::vector<pair_figure> out;
    for (const auto& [key, by_vcpu] : groups) {
        const auto& [config, log2n] = key;
        const long n = 1L << log2n;
        const std::string what = config + " cow_fault_pair/" + std::to_string(n);
        auto cfg = expected_windows.find(config);
        if (cfg == expected_windows.end() || !cfg->second.count(n)) {
            problems.push_back(what + ": pfbench reported no such benchmark (or an error): its "
                                      "marks are not used");
            continue;
        }
        const long expected = cfg->second.at(n);
        if (by_vcpu.size() != 2) {
            problems.push_back(what + ": runs on " + std::to_string(by_vcpu.size()) +
                               " vCPUs, not 2: no figure");
            continue;
        }
        const auto& a = by_vcpu.begin()->second;
        const auto& b = std::next(by_vcpu.begin())->second;
        if (a.size() != b.size())
            problems.push_back(what + ": " + std::to_string(a.size()) + " runs on one vCPU, " +
                               std::to_string(b.size()) + " on the other: the extra ones unused");
        for (std::size_t k = 0; k < std::min(a.size(), b.size()); ++k) {
            if (a[k]->windows != expected || b[k]->windows != expected) {
                problems.push_back(what + ", repetition " + std::to_string(k) + ": " +
                                   std::to_string(a[k]->windows) + " and " +
                                   std::to_string(b[k]->windows) + " windows, pfbench made " +
                                   std::to_string(expected) + " each: no figure");
                continue;
            }
            const double faults = static_cast<double>(2 * expected) * static_cast<double>(n);
            out.push_back(
                {.config = config,
                 .faults_per_window = n,
                 .repetition = static_cast<int>(k),
                 .windows = expected,
                 .insns_per_fault = static_cast<double>(a[k]->insns + b[k]->insns) / faults});
        }
    }
    return out;
}

std::map<std::string, std::map<long, long>> pfbench_iterations(const json& guest) {
    std::map<std::string, std::map<long, long>> out;
    if (!guest.is_object() || !guest.contains("bench") || !guest["bench"].is_object())
        return out;
    static const std::regex name(R"(^cow_fault_pair_marks/(\d+)(/.*)?$)");
    for (const auto& [config, b] : guest["bench"].items()) {
        if (!b.is_object() || !b.value("error", std::string()).empty())
            continue;
        std::set<long> failed;
        for (const auto& row : b.value("benchmarks", json::array())) {
            std::smatch m;
            const std::string run = row.value("run_name", "");
            if (!std::regex_match(run, m, name))
                continue;
            const long n = std::stol(m[1].str());
            if (row.value("error_occurred", false) || !row.contains("iterations"))
                failed.insert(n);
            else
                out[config][n] = row["iterations"].get<long>();
        }
        for (long n : failed)
            out[config].erase(n);
        if (out.count(config) && out[config].empty())
            out.erase(config);
    }
    return out;
}

json amend_report(json report, const marks_log& log, const std::string& unavailable,
                  const std::string& log_path) {
    json marks = {{"log", log_path},
                  {"plugin_loaded", log.loaded},
                  {"counting", log.counting},
                  {"marks", log.marks}};
    std::vector<std::string> problems = log.problems;
    std::string reason = unavailable;
    json& guest = report["guest"];
    if (reason.empty() && !log.loaded)
        reason = "the insn_marks plugin wrote nothing to its log (not loaded by QEMU, or no "
                 "-d plugin)";
    if (reason.empty() && log.counting.rfind("instruction", 0) != 0)
        reason = "the plugin counted per " + log.counting + ", not per instruction";
    if (reason.empty() && (!guest.is_object() || !guest.contains("bench") ||
                           !guest["bench"].is_object() || guest["bench"].empty()))
        reason = "the guest sent no benchmark figures";
    std::vector<pair_figure> figures;
    const auto expected = pfbench_iterations(guest);
    if (reason.empty())
        figures = pair_figures(log, expected, problems);
    // Every benchmark pfbench ran must have its figures, or none stands.
    std::vector<std::string> missing;
    for (const auto& [config, by_n] : expected)
        for (const auto& [n, iterations] : by_n)
            if (std::none_of(figures.begin(), figures.end(), [&](const pair_figure& f) {
                    return f.config == config && f.faults_per_window == n;
                }))
                missing.push_back(config + " cow_fault_pair/" + std::to_string(n));
    if (guest.is_object() && guest.contains("bench") && guest["bench"].is_object()) {
        for (auto& [config, b] : guest["bench"].items()) {
            if (!b.is_object())
                continue;
            json rows = json::array();
            for (const auto& f : figures) {
                if (f.config != config)
                    continue;
                rows.push_back(
                    {{"run_name", "cow_fault_pair/" + std::to_string(f.faults_per_window)},
                     {"repetition_index", f.repetition},
                     {"iterations", f.windows},
                     {"real_time", f.insns_per_fault},
                     {"time_unit", "ns"},
                     {"items_per_second", 1e9 / f.insns_per_fault},
                     {"label", "guest instructions per CoW fault, two processes at "
                               "once on two vCPUs (insn_marks)"}});
            }
            if (b.contains("benchmarks"))
                b["pfbench_rows"] = b["benchmarks"];
            b["benchmarks"] = rows;
            if (!expected.count(config))
                missing.push_back(config + " (pfbench failed)");
        }
    }
    if (reason.empty() && !missing.empty()) {
        reason = "no instruction counts for";
        for (const auto& m : missing)
            reason += " " + m;
        reason += problems.empty() ? "" : " (" + problems.front() + ")";
    }
    marks["problems"] = problems;
    marks["status"] = reason.empty() ? "ok" : "unavailable";
    marks["reason"] = reason;
    marks["figures"] = static_cast<long>(figures.size());
    report["marks"] = marks;
    return report;
}

std::string plugin_load_error(const std::string& console) {
    std::istringstream in(console);
    std::string line;
    while (std::getline(in, line))
        if (line.find("Could not load plugin") != std::string::npos)
            return line;
    return "";
}

std::string amend_report_file(const fs::path& report_file, const fs::path& log_file,
                              const std::string& unavailable) {
    json report = json::object();
    {
        std::ifstream in(report_file);
        if (in) {
            report = json::parse(in, nullptr, false);
            if (report.is_discarded())
                report = json::object();
        }
    }
    marks_log log;
    std::string why = unavailable;
    if (std::ifstream in(log_file); in)
        log = read_marks_log(in);
    else if (why.empty())
        why = "no plugin log at " + log_file.string();
    report = amend_report(std::move(report), log, why, log_file.string());
    std::ofstream(report_file) << report.dump(1) << "\n";
    return report["marks"]["reason"].get<std::string>();
}

} // namespace harness
