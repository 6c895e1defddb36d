// SPDX-License-Identifier: GPL-2.0-or-later
#include "mutants.hpp"

#include "process.hpp"
#include "report/table.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace harness {

namespace {

constexpr std::size_t checks_listed = 6;

// VALUE when `line` is the header line "KEY: VALUE".
std::optional<std::string> header_value(const std::string& line, const std::string& key) {
    if (line.rfind(key + ": ", 0) != 0)
        return std::nullopt;
    return line.substr(key.size() + 2);
}

// What a failure counts as in the failed-checks column: the scenario, or the
// kind of check (with the configuration, for a benchmark).
std::string check_name(const failure& f) {
    if (f.kind == check_kind::scenario)
        return f.name;
    if (f.kind == check_kind::bench)
        return "bench " + f.name;
    return to_string(f.kind);
}

// "3: fork_chain, parent_first, abi": how many checks failed, and which.
std::string failed_checks(const collected& c) {
    std::set<std::string> which;
    for (const auto& f : c.failures)
        which.insert(check_name(f));
    std::string out = std::to_string(c.failed);
    std::size_t listed = 0;
    for (auto it = which.begin(); it != which.end() && listed < checks_listed; ++it, ++listed)
        out += (it == which.begin() ? ": " : ", ") + *it;
    if (which.size() > checks_listed)
        out += " and " + std::to_string(which.size() - checks_listed) + " more";
    return out;
}

// The line that names the injected bug: a kernel report (a KASAN
// use-after-free, say), or a failed check, its name (a KUnit case's) or
// its message.
std::optional<std::string> naming_line(const mutant& m, const collected& c) {
    if (m.expect.empty())
        return std::nullopt;
    for (const auto& l : c.kernel_reports)
        if (l.find(m.expect) != std::string::npos)
            return "the kernel reported a bug: " + l;
    for (const auto& f : c.failures)
        if (describe(f).find(m.expect) != std::string::npos)
            return describe(f);
    return std::nullopt;
}

} // namespace

std::string outcome_text(const mutant_row& r) {
    switch (r.result) {
    case mutant_outcome::survived:
        return "SURVIVED";
    case mutant_outcome::killed:
        return "killed";
    case mutant_outcome::wrong_diagnosis:
        return "killed, wrong diagnosis";
    case mutant_outcome::error:
        break;
    }
    return "ERROR: " + r.error;
}

// Reads the commit message's header lines once. A long Subject continues on
// lines that start with a space.
mutant read_mutant(const fs::path& patch) {
    const std::string prefix = "[PATCH] mutant: ";
    bool series = fs::is_directory(patch);
    mutant m{.patch = patch, .series = series, .name = patch.stem().string()};
    std::ifstream in(series ? patch / "MUTANT" : patch);
    bool in_subject = false;
    for (std::string line; std::getline(in, line) && line != "---";) {
        if (in_subject && line.starts_with(' ')) {
            m.description += line;
            continue;
        }
        auto subject = header_value(line, "Subject");
        in_subject = subject && subject->starts_with(prefix);
        if (in_subject)
            m.description = subject->substr(prefix.size());
        else if (auto v = header_value(line, "Expect-Diagnosis"))
            m.expect = *v;
        else if (auto v = header_value(line, "Expect-Bugs")) {
            std::istringstream words(*v);
            for (std::string w; words >> w;)
                m.expect_bugs.push_back(w);
        } else if (auto v = header_value(line, "Run-Arch"))
            m.run_arch = *v;
        else if (auto v = header_value(line, "Run-Mode"))
            m.debug = *v == "debug";
    }
    if (m.description.empty())
        m.description = m.name;
    return m;
}

std::vector<mutant> select_mutants(const fs::path& dir, const std::vector<std::string>& only) {
    std::vector<mutant> all;
    for (const auto& e : fs::directory_iterator(dir)) {
        bool is_mutant = e.path().extension() == ".patch" ||
                         (e.is_directory() && fs::exists(e.path() / "MUTANT"));
        if (is_mutant &&
            (only.empty() || std::find(only.begin(), only.end(), e.path().stem()) != only.end()))
            all.push_back(read_mutant(e.path()));
    }
    std::sort(all.begin(), all.end(),
              [](const mutant& a, const mutant& b) { return a.name < b.name; });
    return all;
}

// The 6.1 series with the mutant on top; the debug kernel (fuzzer and race
// stress on 2 CPUs) for a bug only a race shows.
options options_for(const options& o, const mutant& m, const std::string& base_name) {
    options mo = o;
    mo.series = m.series ? fs::absolute(m.patch) : fs::absolute(o.project) / "patch" / "linux-6.1";
    mo.extra_patches = m.series ? std::vector<fs::path>{} : std::vector<fs::path>{m.patch};
    mo.out_name = base_name + "/" + m.name;
    if (!m.run_arch.empty())
        mo.arch = m.run_arch;
    if (!m.debug)
        return mo;
    mo.arch = "x86_64";
    mo.mode = run_mode::debug;
    mo.variant = "debug";
    mo.cpus = 2;
    mo.fragments.push_back(fs::absolute(mo.project) / "harness/kconfig/debug.config");
    mo.params = {"calls=20000", "seconds=30"};
    return mo;
}

std::string run_on(const options& mo) {
    return mo.arch + (mo.mode == run_mode::debug ? ", debug kernel" : "");
}

mutant_row judge_mutant(const mutant& m, const std::string& run_on, const run_result& res,
                        double seconds) {
    mutant_row r{.name = m.name,
                 .description = m.description,
                 .run_on = run_on,
                 .failed_checks = failed_checks(res.c),
                 .diagnosis =
                     res.c.failures.empty() ? res.reason : describe(res.c.failures.front()),
                 .seconds = seconds};
    auto named = naming_line(m, res.c);
    if (!m.expect_bugs.empty()) {
        std::string list;
        for (const auto& b : res.c.bugs)
            list += (list.empty() ? "" : ", ") + b.front();
        r.diagnosis =
            "bugs named: " + (list.empty() ? "none" : list) +
            (res.c.unexplained ? "; " + std::to_string(res.c.unexplained) + " scenarios unexplained"
                               : "");
        if (named_exactly(m.expect_bugs, res.c.bugs, res.c.unexplained))
            named = r.diagnosis;
        else
            named.reset();
    }
    if (res.code == exit_code::passed) {
        r.result = mutant_outcome::survived;
    } else if (res.code == exit_code::failed) {
        r.result = named ? mutant_outcome::killed : mutant_outcome::wrong_diagnosis;
        r.diagnosis = named.value_or(r.diagnosis);
    } else {
        r.result = mutant_outcome::error;
        r.error = res.reason;
    }
    return r;
}

bool named_exactly(const std::vector<std::string>& expected,
                   const std::vector<std::vector<std::string>>& named, int unexplained) {
    auto is_expected = [&](const std::string& id) {
        return std::find(expected.begin(), expected.end(), id) != expected.end();
    };
    // Each bug named stands for one expected model, itself or an equivalent.
    std::set<std::string> covered;
    for (const auto& ids : named) {
        auto hit = std::find_if(ids.begin(), ids.end(), is_expected);
        if (hit == ids.end())
            return false;
        covered.insert(*hit);
    }
    return unexplained == 0 && covered.size() == expected.size() && named.size() == expected.size();
}

// The rows of this run, and (when only some mutants ran) the others' rows
// from the last state, if their patch still exists. Saves the result.
std::vector<mutant_row> merge_state(const fs::path& state, std::vector<mutant_row> rows,
                                    const std::vector<std::string>& only, const fs::path& patches) {
    if (!only.empty()) {
        std::ifstream in(state);
        auto old = nlohmann::json::parse(in, nullptr, false);
        std::string why;
        auto kept = schema::parse_as<std::vector<mutant_row>>(
            old.is_array() ? old : nlohmann::json::array(), why);
        for (const auto& r : kept.value_or(std::vector<mutant_row>{}))
            if (std::find(only.begin(), only.end(), r.name) == only.end() &&
                (fs::exists(patches / (r.name + ".patch")) ||
                 fs::exists(patches / r.name / "MUTANT")))
                rows.push_back(r);
        std::sort(rows.begin(), rows.end(),
                  [](const mutant_row& a, const mutant_row& b) { return a.name < b.name; });
    }
    std::ofstream(state) << nlohmann::json(rows).dump(2) << "\n";
    return rows;
}

// summary.{md,csv,tex}: a row per mutant, and the kill rate. 0 when every
// mutant was killed with the right diagnosis.
int write_summary(const fs::path& out, const std::vector<mutant_row>& rows) {
    report::table t{.caption = "Mutants",
                    .header = {"mutant", "description", "run on", "outcome", "failed checks",
                               "diagnosis", "build and run, s"},
                    .latex_columns = "lp{4cm}llp{3cm}p{5cm}r"};
    int killed = 0;
    for (const auto& r : rows) {
        killed += r.result == mutant_outcome::killed;
        t.rows.push_back({r.name, r.description, r.run_on, outcome_text(r), r.failed_checks,
                          r.diagnosis, report::fixed(r.seconds, 0)});
    }
    std::string rate = "kill rate: " + std::to_string(killed) + "/" + std::to_string(rows.size()) +
                       " (" + report::fixed(100.0 * killed / rows.size(), 0) + "%)";
    t.note = rate + ", counting only kills whose diagnosis names the injected bug.";
    report::write_table(t, out.string(), "summary");
    say("mutants", rate + "; table: " + (out / "summary.md").string());
    std::printf("%d passed, %zu failed\n", killed, rows.size() - killed);
    return killed == static_cast<int>(rows.size()) ? exit_code::passed : exit_code::failed;
}

} // namespace harness
