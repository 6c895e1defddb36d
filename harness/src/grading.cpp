// SPDX-License-Identifier: GPL-2.0-or-later
#include "grading.hpp"

#include "files.hpp"
#include "oracle/models.hpp"
#include "process.hpp"
#include "report/plot.hpp"
#include "report/table.hpp"
#include "submission.hpp"

#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
using nlohmann::json;

namespace harness {

namespace {

using archive_ptr = std::unique_ptr<archive, int (*)(archive*)>;

std::string size_text(std::uintmax_t bytes) {
    return std::to_string(bytes >> 20) + " MiB";
}

// One member: where it goes, or why it may not.
std::string member_path(const char* name, fs::path& rel) {
    if (!name || !*name)
        return "a member without a name";
    rel = fs::path(name).lexically_normal();
    if (rel.is_absolute() || rel.empty() || *rel.begin() == "..")
        return std::string("a path outside the submission: ") + name;
    return {};
}

// Copies the member's data to `to`, stopping past `budget` bytes.
std::string copy_data(archive* a, const fs::path& to, std::uintmax_t budget,
                      std::uintmax_t& written) {
    std::ofstream out(to, std::ios::binary);
    if (!out)
        return "cannot write " + to.filename().string();
    char buf[65536];
    la_ssize_t n;
    written = 0;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) {
        written += static_cast<std::uintmax_t>(n);
        if (written > budget)
            return to.filename().string() + " is larger than allowed";
        out.write(buf, n);
    }
    if (n < 0)
        return std::string("the archive is damaged: ") + archive_error_string(a);
    return {};
}

std::string unpack_members(archive* a, const fs::path& dest, const unpack_limits& limits) {
    archive_entry* e = nullptr;
    int members = 0;
    std::uintmax_t total = 0;
    int r;
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        if (++members > limits.members)
            return "more than " + std::to_string(limits.members) + " members";
        fs::path rel;
        if (auto why = member_path(archive_entry_pathname(e), rel); !why.empty())
            return why;
        auto type = archive_entry_filetype(e);
        if (archive_entry_hardlink(e) || archive_entry_symlink(e) ||
            (type != AE_IFREG && type != AE_IFDIR))
            return "a link or a device, not a file: " + rel.string();
        if (type == AE_IFDIR) {
            fs::create_directories(dest / rel);
            continue;
        }
        if (archive_entry_size_is_set(e) &&
            static_cast<std::uintmax_t>(archive_entry_size(e)) > limits.file_bytes)
            return rel.string() + " is over " + size_text(limits.file_bytes);
        fs::create_directories((dest / rel).parent_path());
        std::uintmax_t written = 0;
        auto budget = std::min(limits.file_bytes, limits.total_bytes - total);
        if (auto why = copy_data(a, dest / rel, budget, written); !why.empty())
            return why + " (at most " + size_text(limits.file_bytes) + " a file, " +
                   size_text(limits.total_bytes) + " in all)";
        total += written;
    }
    if (r != ARCHIVE_EOF)
        return std::string("not a readable tar archive: ") + archive_error_string(a);
    if (members == 0)
        return "an empty archive";
    return {};
}

} // namespace

std::string safe_unpack(const fs::path& tarball, const fs::path& dest,
                        const unpack_limits& limits) {
    std::error_code ec;
    fs::remove_all(dest, ec);
    fs::create_directories(dest);
    archive_ptr a(archive_read_new(), archive_read_free);
    archive_read_support_filter_gzip(a.get());
    archive_read_support_filter_none(a.get());
    archive_read_support_format_tar(a.get());
    archive_read_support_format_gnutar(a.get());
    std::string why;
    if (archive_read_open_filename(a.get(), tarball.c_str(), 65536) != ARCHIVE_OK)
        why = std::string("cannot read it: ") + archive_error_string(a.get());
    else
        why = unpack_members(a.get(), dest, limits);
    if (!why.empty()) {
        fs::remove_all(dest, ec);
        fs::create_directories(dest);
    }
    return why;
}

submission_layout check_layout(const fs::path& unpacked) {
    submission_layout l;
    l.series = unpacked / "patch";
    if (!fs::is_directory(l.series)) {
        l.problems.push_back("no patch/ directory (the statement asks for patch/*.patch)");
        return l;
    }
    static const std::regex format_patch("^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001$");
    for (const auto& e : fs::directory_iterator(l.series)) {
        auto ext = e.path().extension();
        if (ext == ".patch")
            l.patches.push_back(e.path());
        else if ((ext == ".pdf" || ext == ".txt") && l.report.empty())
            l.report = e.path();
    }
    std::sort(l.patches.begin(), l.patches.end());
    if (l.patches.empty())
        l.problems.push_back("patch/ holds no .patch file");
    for (const auto& p : l.patches) {
        std::ifstream in(p);
        std::string first;
        std::getline(in, first);
        if (!std::regex_match(first, format_patch))
            l.problems.push_back(p.filename().string() +
                                 " is not a git format-patch file (its first line is not "
                                 "\"From <commit> Mon Sep 17 00:00:00 2001\")");
    }
    if (l.report.empty())
        for (const auto& e : fs::directory_iterator(unpacked))
            if (e.path().extension() == ".pdf" || e.path().extension() == ".txt")
                l.report = e.path();
    return l;
}

double rubric::total() const {
    double t = 0;
    for (const auto& [family, w] : weights)
        t += w;
    return t;
}

std::optional<rubric> load_rubric(const fs::path& file, std::string& why) {
    json j = json::parse(read_text(file), nullptr, false);
    if (j.is_discarded() || !j.contains("families") || !j["families"].is_object()) {
        why = file.string() + " is not a rubric (a JSON object with \"families\")";
        return std::nullopt;
    }
    rubric r;
    for (const auto& [family, v] : j["families"].items()) {
        if (family != "errno" && family != "scenarios") {
            why = file.string() + ": unknown family \"" + family + "\" (errno, scenarios)";
            return std::nullopt;
        }
        r.weights[family] = v.value("weight", 0.0);
    }
    if (r.total() <= 0) {
        why = file.string() + ": the weights add up to nothing";
        return std::nullopt;
    }
    return r;
}

std::map<std::string, family_tally> tally_families(const collected& c) {
    auto get = [](const std::map<check_kind, int>& m, check_kind k) {
        auto it = m.find(k);
        return it == m.end() ? 0 : it->second;
    };
    return {{"errno", {get(c.passed_by, check_kind::abi), get(c.failed_by, check_kind::abi)}},
            {"scenarios",
             {get(c.passed_by, check_kind::scenario), get(c.failed_by, check_kind::scenario)}}};
}

double score_of(const std::map<std::string, family_tally>& t, const rubric& r) {
    double score = 0;
    for (const auto& [family, weight] : r.weights) {
        auto it = t.find(family);
        if (it == t.end() || it->second.passed + it->second.failed == 0)
            continue; // nothing to judge: no points
        score += weight * it->second.passed / (it->second.passed + it->second.failed);
    }
    return score;
}

namespace {

json to_json(const grade_result& g) {
    return {{"submission", g.submission}, {"key", g.key},       {"outcome", g.outcome},
            {"score", g.score},           {"reason", g.reason}, {"bugs", g.bugs},
            {"passed", g.passed},         {"failed", g.failed}, {"seconds", g.seconds}};
}

grade_result from_json(const json& j) {
    grade_result g;
    g.submission = j.value("submission", "");
    g.key = j.value("key", "");
    g.outcome = j.value("outcome", "");
    g.score = j.value("score", 0.0);
    g.reason = j.value("reason", "");
    g.bugs = j.value("bugs", std::vector<std::string>{});
    g.passed = j.value("passed", 0);
    g.failed = j.value("failed", 0);
    g.seconds = j.value("seconds", 0.0);
    return g;
}

// A reason as the student reads it, the same whichever engine, slot or
// directory graded it: paths inside the grading directory relative to it
// ("does_not_build/run/kernel-build.log"), paths inside a cached kernel tree
// relative to its source ("arch/x86/mm/fault.c:1332: error"), and the
// tree's git log of a series that did not apply copied beside the run.
std::string relative_reason(std::string reason, const fs::path& out, const std::string& name) {
    static const std::regex git_log(R"(\(log: (\S+/trees/[^/\s]+/git\.log)\))");
    std::smatch m;
    if (std::regex_search(reason, m, git_log)) {
        std::error_code ec;
        fs::create_directories(out / name / "run", ec);
        fs::copy_file(m[1].str(), out / name / "run" / "git.log",
                      fs::copy_options::overwrite_existing, ec);
        reason.replace(m.position(1), m.length(1), (out / name / "run" / "git.log").string());
    }
    static const std::regex tree_source(R"(\S*/trees/[^/\s]+/src/)");
    reason = std::regex_replace(reason, tree_source, "");
    const std::string prefix = fs::absolute(out).lexically_normal().string() + "/";
    for (auto at = reason.find(prefix); at != std::string::npos; at = reason.find(prefix, at))
        reason.erase(at, prefix.size());
    return reason;
}

std::string stem_of(const fs::path& tarball) {
    std::string name = tarball.filename().string();
    return name.substr(0, name.find(".tar"));
}

// The same archive, base and pfcheck commit grade the same: the resume key.
std::string key_of(const fs::path& tarball, const grade_request& req) {
    return sha1_hex(tarball, "\n" + req.base.string() + "\n" + req.commit);
}

std::optional<grade_result> already_graded(const fs::path& dir, const std::string& key) {
    json j = json::parse(read_text(dir / "result.json"), nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return std::nullopt;
    auto g = from_json(j);
    if (g.key != key || g.outcome == "not judged")
        return std::nullopt;
    return g;
}

// A submission without a result after its task: "not judged", and where to look.
grade_result no_result(const fs::path& tarball, const std::string& key, const std::string& why) {
    return {.submission = stem_of(tarball), .key = key, .outcome = "not judged", .reason = why};
}

// "3/8 carol: graded, 65.0 points (slot 1); about 4 min left": what a
// submission came to, and the time the rest take at the mean cost so far.
std::string progress_line(std::size_t done, std::size_t total, const grade_result& g,
                          const std::string& where, double seconds_each, std::size_t left) {
    return std::to_string(done) + "/" + std::to_string(total) + " " + g.submission + ": " +
           g.outcome + ", " + report::fixed(g.score, 1) + " points" + where + "; about " +
           std::to_string(static_cast<int>(seconds_each * static_cast<double>(left) / 60)) +
           " min left";
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string outcome_of(const run_result& r) {
    if (r.c.judged)
        return "graded";
    if (r.reason.rfind("patch:", 0) == 0)
        return "does not apply";
    if (r.reason.rfind("build:", 0) == 0)
        return "does not build";
    return "not judged";
}

// The last lines of a log, for the feedback.
std::string tail(const fs::path& log, std::size_t lines) {
    std::istringstream in(read_text(log));
    std::vector<std::string> all;
    for (std::string l; std::getline(in, l);)
        all.push_back(l);
    std::string out;
    for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i)
        out += all[i] + "\n";
    return out;
}

void write_feedback(const fs::path& dir, const grade_result& g, const submission_layout& l,
                    const run_result& r, const rubric& rb) {
    std::ostringstream md;
    md << "# Feedback: " << g.submission << "\n\n- outcome: **" << g.outcome
       << "**\n- score: " << report::fixed(g.score, 1) << " / " << report::fixed(rb.total(), 0)
       << "\n";
    if (!g.reason.empty())
        md << "- why: " << g.reason << "\n";
    if (l.report.empty())
        md << "- no report (.pdf or .txt) was found: the statement asks for one\n";
    for (const auto& p : l.problems)
        md << "- " << p << "\n";
    if (g.outcome == "does not build" || g.outcome == "does not apply") {
        fs::path log = dir / "run" / (g.outcome == "does not build" ? "kernel-build.log" : "");
        md << "\nThe statement scores a series that does not apply or build 0.\n";
        if (g.outcome == "does not build" && fs::exists(log))
            md << "\nThe end of the build log:\n\n```\n" << tail(log, 30) << "```\n";
    }
    if (r.c.judged) {
        md << "\n## Bugs found (" << g.bugs.size() << ")\n\n";
        if (g.bugs.empty())
            md << (r.c.unexplained ? "None that pfcheck knows.\n" : "None.\n");
        for (const auto& id : g.bugs) {
            const auto* m = oracle::find_model(id);
            md << "- **" << (m ? m->bug : id) << "** (`" << id << "`)";
            if (m)
                md << ": " << m->mechanism;
            md << "\n";
        }
        if (r.c.unexplained)
            md << "\n"
               << r.c.unexplained
               << " failing scenarios match no known bug: read their rows in run/summary.md.\n";
        md << "\n## What failed\n\n";
        for (const auto& f : r.c.failures)
            md << "- " << describe(f) << "\n";
        if (r.c.failures.empty())
            md << "Nothing.\n";
        if (!r.c.advice.empty()) {
            md << "\n## Advice (pfcheck's stricter rules, not graded)\n\n";
            for (const auto& f : r.c.advice)
                md << "- " << describe(f) << "\n";
        }
        md << "\nEvery check, with expected and measured values: run/summary.md.\n";
    }
    std::ofstream(dir / "feedback.md") << md.str();
}

grade_result grade_one(const fs::path& tarball, const std::string& key, const grade_request& req,
                       const options& o, const std::function<run_result(options)>& runner,
                       const rubric& rb) {
    auto start = std::chrono::steady_clock::now();
    std::string name = stem_of(tarball);
    fs::path dir = req.out / name;
    grade_result g{.submission = name, .key = key};
    fs::create_directories(dir);
    submission_layout l;
    run_result r;
    if (auto why = safe_unpack(tarball, dir / "unpacked"); !why.empty()) {
        g.outcome = "malformed";
        g.reason = "the archive was refused: " + why;
    } else if (l = check_layout(dir / "unpacked"); !l.problems.empty()) {
        g.outcome = "malformed";
        g.reason = l.problems.front();
    } else {
        options ro = o;
        ro.mode = run_mode::check;
        ro.ksrc = req.base;
        ro.series = l.series;
        ro.profile = "course";
        ro.results = dir;
        ro.out_name = "run";
        r = runner(ro);
        g.outcome = outcome_of(r);
        g.reason = relative_reason(r.c.judged ? r.c.reason : r.reason, req.out, name);
        g.passed = r.c.passed;
        g.failed = r.c.failed;
        for (const auto& ids : r.c.bugs)
            if (!ids.empty())
                g.bugs.push_back(ids.front());
        if (r.c.judged)
            g.score = score_of(tally_families(r.c), rb);
    }
    g.seconds = seconds_since(start);
    write_feedback(dir, g, l, r, rb);
    std::ofstream(dir / "result.json") << to_json(g).dump(2) << "\n";
    return g;
}

// class-bugs and class-scores (.svg, .png): how many students have each bug,
// and how the scores spread. Returns class.md's lines for them.
std::string class_plots(const fs::path& out, const std::map<std::string, int>& bugs,
                        const std::vector<int>& hist, double total) {
    if (!report::have_gnuplot())
        return "Plots: UNAVAILABLE, gnuplot is not installed (apt-get install gnuplot-nox).\n";
    std::ofstream(out / "class-bugs.dat") << [&] {
        std::ostringstream d;
        for (const auto& [id, n] : bugs)
            d << id << " " << n << "\n";
        return d.str();
    }();
    std::ofstream(out / "class-scores.dat") << [&] {
        std::ostringstream d;
        for (std::size_t i = 0; i < hist.size(); ++i)
            d << (i + 0.5) * total / hist.size() << " " << hist[i] << "\n";
        return d.str();
    }();
    // Whole students on the y axis: a tick per student in a small class.
    int most = *std::max_element(hist.begin(), hist.end());
    for (const auto& [id, n] : bugs)
        most = std::max(most, n);
    const std::string common = "set style fill solid 0.8 border -1\nset grid ytics\n"
                               "set yrange [0:*]\nset format y '%.0f'\nunset key\n" +
                               std::string(most <= 10 ? "set ytics 1\n" : "");
    std::string why =
        bugs.empty()
            ? ""
            : report::render_plot(out, "class-bugs",
                                  common +
                                      "set title 'How many students have each bug'\nset ylabel "
                                      "'students'\nset boxwidth 0.6\nset xtics rotate by -30\n"
                                      "plot '" +
                                      (out / "class-bugs.dat").string() +
                                      "' using 0:2:xtic(1) with boxes");
    if (why.empty())
        why = report::render_plot(
            out, "class-scores",
            common + "set title 'Scores'\nset xlabel 'score (of " + report::fixed(total, 0) +
                ")'\nset ylabel 'students'\nset xrange [0:" + report::fixed(total, 0) +
                "]\nset boxwidth " + report::fixed(total / hist.size() * 0.9, 2) + "\nplot '" +
                (out / "class-scores.dat").string() + "' using 1:2 with boxes");
    if (!why.empty())
        return "Plots: UNAVAILABLE, " + why + ".\n";
    return std::string(bugs.empty() ? ""
                                    : "![How many students have each bug](class-bugs.png)\n\n") +
           "![Scores](class-scores.png)\n";
}

// class.md's cost section: each outcome's wall time per submission, as
// measured where it was graded (a node of the cluster, or this machine).
std::string class_cost(const std::vector<grade_result>& all) {
    std::map<std::string, std::vector<double>> by_outcome;
    for (const auto& g : all)
        if (g.seconds > 0)
            by_outcome[g.outcome].push_back(g.seconds);
    if (by_outcome.empty())
        return "";
    std::ostringstream md;
    md << "## What grading cost\n\nWall time per submission where it was graded (a "
          "submission graded by an older pfcheck has none).\n\n| outcome | submissions | "
          "median s | total s |\n|---|---|---|---|\n";
    for (auto& [outcome, v] : by_outcome) {
        std::sort(v.begin(), v.end());
        double total = 0;
        for (double x : v)
            total += x;
        md << "| " << outcome << " | " << v.size() << " | " << report::fixed(v[v.size() / 2], 0)
           << " | " << report::fixed(total, 0) << " |\n";
    }
    return md.str();
}

// grades.{md,csv,tex} and class.md: the scores, how many students have each bug.
void write_class(const fs::path& out, const std::vector<grade_result>& all, const rubric& rb) {
    report::table t;
    t.caption = "Grades (rubric: " + report::fixed(rb.total(), 0) + " points)";
    t.header = {"submission", "outcome", "score", "bugs", "passed", "failed", "why"};
    t.latex_columns = "llrlrrp{5cm}";
    std::map<std::string, int> bugs;
    std::map<std::string, int> outcomes;
    for (const auto& g : all) {
        std::string list;
        for (const auto& b : g.bugs) {
            list += (list.empty() ? "" : " ") + b;
            ++bugs[b];
        }
        ++outcomes[g.outcome];
        t.rows.push_back({g.submission, g.outcome, report::fixed(g.score, 1), list,
                          std::to_string(g.passed), std::to_string(g.failed), g.reason});
    }
    report::write_table(t, out.string(), "grades");
    std::ofstream md(out / "class.md");
    md << "# The class\n\n"
       << all.size() << " submissions.\n\n| outcome | submissions |\n|---|---|\n";
    for (const auto& [o, n] : outcomes)
        md << "| " << o << " | " << n << " |\n";
    md << "\n## How many students have each bug\n\n| bug | students | what |\n|---|---|---|\n";
    for (const auto& [id, n] : bugs) {
        const auto* m = oracle::find_model(id);
        md << "| `" << id << "` | " << n << " | " << (m ? m->bug : "") << " |\n";
    }
    md << "\n## Scores\n\n| score | students |\n|---|---|\n";
    constexpr int bins = 10;
    std::vector<int> hist(bins, 0);
    for (const auto& g : all)
        ++hist[std::clamp(static_cast<int>(g.score / rb.total() * bins), 0, bins - 1)];
    for (int i = 0; i < bins; ++i)
        md << "| " << report::fixed(rb.total() * i / bins, 0) << " to "
           << report::fixed(rb.total() * (i + 1) / bins, 0) << " | " << hist[i] << " |\n";
    md << "\n" << class_plots(out, bugs, hist, rb.total()) << "\n" << class_cost(all);
}

} // namespace

namespace {

std::vector<fs::path> archives_in(const fs::path& dir) {
    std::vector<fs::path> out;
    if (fs::is_directory(dir))
        for (const auto& e : fs::directory_iterator(dir))
            if (e.path().string().ends_with(".tar.gz") || e.path().extension() == ".tgz")
                out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

// One sbatch --wait --array over `todo`; false when sbatch itself failed.
bool slurm_array(const grade_request& req, const std::vector<fs::path>& todo, int round,
                 std::string& why) {
    fs::path dir = req.out / "slurm";
    fs::create_directories(dir);
    fs::path manifest = dir / ("round-" + std::to_string(round) + ".txt");
    {
        std::ofstream m(manifest);
        for (const auto& t : todo)
            m << t.string() << "\n";
    }
    std::ostringstream script;
    script << "#!/bin/bash\n# One grading task: the archive on line SLURM_ARRAY_TASK_ID of the "
              "manifest.\nmapfile -t archives < '"
           << manifest.string() << "'\nexec";
    for (const auto& a : req.task_command)
        script << " '" << a << "'";
    script << " --one \"${archives[$SLURM_ARRAY_TASK_ID]}\"\n";
    fs::path task = dir / "task.sh";
    std::ofstream(task) << script.str();
    fs::permissions(task, fs::perms::owner_all, fs::perm_options::add);
    auto r = capture("sbatch",
                     {"--wait", "--parsable", "--job-name=pfcheck-grade",
                      "--array=0-" + std::to_string(todo.size() - 1),
                      "--output=" + (dir / ("round-" + std::to_string(round) + "-%a.log")).string(),
                      task.string()});
    if (!r.ok || r.out.empty()) {
        why = "sbatch failed (is SLURM_CONF set? grading/slurm-local.sh start prints it)";
        return false;
    }
    say("grade", "Slurm job " + r.out.substr(0, r.out.find('\n')) + " ended (" +
                     std::to_string(todo.size()) + " tasks, round " + std::to_string(round) + ")");
    return true;
}

// The Slurm engine: every archive without a result, as array tasks; those
// still without one are submitted once more, then reported.
std::vector<grade_result> grade_on_slurm(const grade_request& req,
                                         const std::vector<fs::path>& tarballs, int& failed) {
    std::vector<grade_result> all(tarballs.size());
    for (int round = 1; round <= 2; ++round) {
        std::vector<fs::path> todo;
        for (std::size_t i = 0; i < tarballs.size(); ++i)
            if (auto g = already_graded(req.out / stem_of(tarballs[i]), key_of(tarballs[i], req)))
                all[i] = *g;
            else
                todo.push_back(tarballs[i]);
        if (todo.empty())
            break;
        say("grade", std::to_string(todo.size()) + " of " + std::to_string(tarballs.size()) +
                         " submissions to grade on Slurm" + (round > 1 ? " (requeued once)" : ""));
        std::string why;
        if (!slurm_array(req, todo, round, why)) {
            say("grade", why);
            break;
        }
    }
    for (std::size_t i = 0; i < tarballs.size(); ++i)
        if (all[i].outcome.empty()) {
            all[i] = no_result(tarballs[i], key_of(tarballs[i], req),
                               "its Slurm task left no result twice: see " +
                                   (req.out / "slurm").string());
            ++failed;
        }
    return all;
}

// The local engine with JOBS > 1: up to `jobs` submissions at once, each
// graded by the harness in a job slot of its own (its own copy of the tree
// and build directories, the ccache shared), as a Slurm task would be.
std::vector<grade_result> grade_in_parallel(const grade_request& req,
                                            const std::vector<fs::path>& tarballs, int& failed) {
    std::vector<grade_result> all(tarballs.size());
    std::atomic<std::size_t> next{0};
    std::mutex progress;
    std::size_t done = 0;
    auto start = std::chrono::steady_clock::now();
    auto slot_loop = [&](int slot) {
        for (std::size_t i; (i = next++) < tarballs.size();) {
            fs::path dir = req.out / stem_of(tarballs[i]);
            std::string key = key_of(tarballs[i], req);
            auto g = already_graded(dir, key);
            if (!g) {
                fs::create_directories(dir);
                command c{req.task_command.front(),
                          {req.task_command.begin() + 1, req.task_command.end()}};
                c.args.insert(c.args.end(),
                              {"--slot=" + std::to_string(slot), "--one", tarballs[i].string()});
                c.log = dir / "job.log";
                run(c);
                g = already_graded(dir, key);
            }
            std::lock_guard lock(progress);
            all[i] = g ? *g
                       : no_result(tarballs[i], key,
                                   "its job left no result: see " + (dir / "job.log").string());
            ++done;
            say("grade",
                progress_line(done, tarballs.size(), all[i], " (slot " + std::to_string(slot) + ")",
                              seconds_since(start) / done, tarballs.size() - done));
        }
    };
    std::vector<std::thread> slots;
    for (int k = 0; k < req.jobs; ++k)
        slots.emplace_back(slot_loop, k);
    for (auto& t : slots)
        t.join();
    for (const auto& g : all)
        failed += g.outcome == "not judged";
    return all;
}

} // namespace

int run_grade(const grade_request& req, const options& o,
              const std::function<run_result(options)>& runner) {
    std::string why;
    auto rb = load_rubric(req.rubric_file, why);
    if (!rb) {
        std::fprintf(stderr, "pfcheck-harness: grade: %s\n", why.c_str());
        return exit_code::usage;
    }
    std::vector<fs::path> tarballs =
        req.one.empty() ? archives_in(req.submissions) : std::vector<fs::path>{req.one};
    if (tarballs.empty()) {
        std::fprintf(stderr, "pfcheck-harness: grade: no *.tar.gz in %s\n",
                     req.submissions.c_str());
        return exit_code::usage;
    }
    fs::create_directories(req.out);
    if (req.engine == "slurm" || (req.jobs > 1 && req.one.empty())) {
        int failed = 0;
        auto all = req.engine == "slurm" ? grade_on_slurm(req, tarballs, failed)
                                         : grade_in_parallel(req, tarballs, failed);
        write_class(req.out, all, *rb);
        say("grade", "grades in " + (req.out / "grades.md").string());
        return failed ? exit_code::failed : exit_code::passed;
    }
    std::vector<grade_result> all;
    auto start = std::chrono::steady_clock::now();
    int graded_now = 0, not_judged = 0;
    for (std::size_t i = 0; i < tarballs.size(); ++i) {
        fs::path dir = req.out / stem_of(tarballs[i]);
        std::string progress = std::to_string(i + 1) + "/" + std::to_string(tarballs.size());
        std::string key = key_of(tarballs[i], req);
        if (auto g = already_graded(dir, key)) {
            say("grade", progress + " " + g->submission + ": already graded (" + g->outcome + ")");
            all.push_back(*g);
            continue;
        }
        auto g = grade_one(tarballs[i], key, req, o, runner, *rb);
        ++graded_now;
        not_judged += g.outcome == "not judged";
        say("grade", progress_line(i + 1, tarballs.size(), g, "", seconds_since(start) / graded_now,
                                   tarballs.size() - i - 1));
        all.push_back(std::move(g));
    }
    if (!req.one.empty())
        return not_judged ? exit_code::failed : exit_code::passed; // a task: no class table
    write_class(req.out, all, *rb);
    say("grade", "grades in " + (req.out / "grades.md").string() + ", the class in " +
                     (req.out / "class.md").string());
    return not_judged ? exit_code::failed : exit_code::passed;
}

} // namespace harness
