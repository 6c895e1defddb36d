// SPDX-License-Identifier: GPL-2.0-or-later
#include "report/results.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace report {

namespace {

std::string count(const std::optional<long>& v) {
    return v ? std::to_string(*v) : "-";
}

std::string verdict_word(const schema::scenario_result& s) {
    return !s.skipped.empty() ? "SKIP" : (s.pass ? "pass" : "FAIL");
}

// The diagnoses; for a skipped scenario, why it was skipped.
std::string diagnosis_cell(const schema::scenario_result& s) {
    if (!s.skipped.empty())
        return s.skipped;
    std::string all;
    for (const auto& d : s.diagnoses)
        all += (all.empty() ? "" : "; ") + d;
    return all;
}

// Which failed checks count (the run's profile): every one under strict;
// under course, those of the course's rules only, pfcheck's being advice.
struct profile {
    bool course = false;
    bool advice(const std::string& rule) const { return course && rule == "pfcheck"; }
    // A bug is advice when every scenario that shows it checks a pfcheck rule.
    bool advice(const schema::bug& b, const schema::run_report& run) const {
        if (!course || b.scenarios.empty())
            return false;
        return std::all_of(b.scenarios.begin(), b.scenarios.end(), [&](const std::string& name) {
            auto s = std::find_if(run.scenarios.begin(), run.scenarios.end(),
                                  [&](const auto& x) { return x.scenario == name; });
            return s != run.scenarios.end() && advice(s->rule);
        });
    }
};

std::string verdict_heading(const std::string& verdict) {
    if (verdict == "pass")
        return "PASS";
    return verdict == "not judged" ? "NOT JUDGED" : "FAIL";
}

void write_header(std::ostream& md, const schema::run_meta& m) {
    md << "# pfcheck " << m.mode << " on " << m.kernel << " (" << m.arch << ")\n\n";
    md << "- verdict: **" << verdict_heading(m.verdict) << "**"
       << (m.reason.empty() ? "" : " — " + m.reason) << "\n";
    if (m.profile == "course")
        md << "- profile: course — only the course's rules count; pfcheck's stricter rules are "
              "advice\n";
    else
        md << "- profile: " << m.profile
           << " — every rule counts, the course's and pfcheck's stricter ones\n";
    md << "- kernel tree: " << m.tree << ", series: " << m.series << "\n";
    md << "- accelerator: " << m.accel << ", guest time: " << m.guest_time
       << ", guest run time: " << m.guest_seconds << " s\n- pfcheck commit: " << m.commit
       << ", written " << m.written << "\n\n";
}

// The bugs, each with its evidence and where it usually lives.
void write_bug_list(std::ostream& md, const std::vector<const schema::bug*>& bugs) {
    int i = 0;
    for (const auto* b : bugs) {
        md << ++i << ". **" << b->bug << "** (`" << b->id << "`)\n"
           << "   - where it usually lives: " << b->mechanism << "\n"
           << "   - seen in " << b->scenarios.size()
           << (b->scenarios.size() == 1 ? " scenario:" : " scenarios:");
        for (std::size_t j = 0; j < b->scenarios.size(); ++j)
            md << (j ? ", " : " ") << b->scenarios[j];
        md << "\n";
        for (const auto& e : b->evidence)
            md << "   - " << e << "\n";
        if (!b->alternatives.empty()) {
            md << "   - the scenarios cannot tell it from:";
            for (const auto& a : b->alternatives)
                md << " `" << a << "`";
            md << "\n";
        }
    }
}

// "Your kernel: N bugs found" (those the profile counts), each with its
// evidence and where it usually lives; then what no known bug explains.
void write_bugs(std::ostream& md, const schema::run_report& run, const profile& p) {
    std::vector<const schema::bug*> counted;
    for (const auto& b : run.bugs)
        if (!p.advice(b, run))
            counted.push_back(&b);
    std::size_t n = counted.size();
    int judged = 0;
    for (const auto& s : run.scenarios)
        judged += s.skipped.empty() && !p.advice(s.rule);
    if (n == 0 && run.unexplained.empty()) {
        md << "## Your kernel: no bug found\n\nEvery one of the " << judged << " scenarios"
           << (p.course ? " of the course's rules" : "")
           << " that ran matches a correct kernel.\n\n";
        return;
    }
    md << "## Your kernel: " << n << (n == 1 ? " bug" : " bugs") << " found";
    if (!run.unexplained.empty())
        md << ", and " << run.unexplained.size() << " scenarios no known bug explains";
    md << "\n\n";
    write_bug_list(md, counted);
    if (!run.unexplained.empty()) {
        md << "\nNot explained by any known bug (the closest combination, and what differs):\n\n";
        for (const auto& u : run.unexplained)
            md << "- " << u << "\n";
    }
    md << "\n";
}

std::string row_line(const schema::abi_row& r) {
    return "- " + r.proves + ": expected " + r.expected + ", got " + r.got + " (" + r.rule +
           " rule)\n";
}

// The errno rows that fail (and count), before the whole table.
void write_failed_rows(std::ostream& md, const std::vector<schema::abi_row>& rows,
                       const profile& p) {
    std::vector<const schema::abi_row*> failed;
    for (const auto& r : rows)
        if (!r.pass && !r.skipped && !p.advice(r.rule))
            failed.push_back(&r);
    if (failed.empty())
        return;
    md << "## Errno and permission rows that fail\n\n";
    for (const auto* r : failed)
        md << row_line(*r);
    md << "\n";
}

// Under the course profile: what fails of pfcheck's stricter rules, counted
// nowhere, after the failures.
void write_advice(std::ostream& md, const schema::report_file& f, const profile& p) {
    if (!p.course || !f.guest)
        return;
    std::vector<const schema::bug*> bugs;
    std::vector<const schema::scenario_result*> scenarios;
    std::vector<const schema::abi_row*> rows;
    if (f.guest->run && f.guest->run->fatal.empty()) {
        for (const auto& b : f.guest->run->bugs)
            if (p.advice(b, *f.guest->run))
                bugs.push_back(&b);
        for (const auto& s : f.guest->run->scenarios)
            if (!s.pass && s.skipped.empty() && p.advice(s.rule))
                scenarios.push_back(&s);
    }
    if (f.guest->abi)
        for (const auto& r : *f.guest->abi)
            if (!r.pass && !r.skipped && p.advice(r.rule))
                rows.push_back(&r);
    if (bugs.empty() && scenarios.empty() && rows.empty())
        return;
    md << "## Advice: pfcheck's stricter rules\n\n"
       << "The course's statement is silent on these; pfcheck checks them as a kernel reviewer "
          "would (docs/semantics.md tags every rule). They do not count under the course "
          "profile; `PROFILE=strict` counts them.\n\n";
    write_bug_list(md, bugs);
    if (!bugs.empty())
        md << "\n";
    for (const auto* s : scenarios) {
        std::string why;
        for (const auto& d : s->diagnoses)
            why += (why.empty() ? "" : "; ") + d;
        if (why.empty() && !s->problems.empty())
            why = s->problems.front();
        md << "- scenario " << s->scenario << ": " << (why.empty() ? s->proves : why) << "\n";
    }
    for (const auto* r : rows)
        md << row_line(*r);
    md << "\n";
}

// summary.md's scenario table: the scenario table with each scenario's rule,
// each count's column saying what it counts, and under the course profile
// "advice" for a failed pfcheck rule.
table summary_scenarios(const schema::run_report& run, const profile& p) {
    table t = scenario_table(run);
    t.header = {"scenario",
                "rule",
                "oracle (own regions)",
                "perf (own regions)",
                "kernel (own regions)",
                "verdict",
                "diagnosis"};
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
        const auto& s = run.scenarios[i];
        auto& row = t.rows[i];
        row.insert(row.begin() + 1, s.rule);
        if (row[5] == "FAIL" && p.advice(s.rule))
            row[5] = "advice";
    }
    return t;
}

} // namespace

// What perf or the kernel counted in the scenario's own regions (null: it
// said nothing of them). The rest of each process (libc, heap, stack) moves
// with address-space randomisation from run to run: it is in the VMA tables.
std::optional<long> own_regions(const schema::scenario_result& s,
                                std::optional<long> schema::vma_row::*source) {
    std::optional<long> sum;
    for (const auto& v : s.vmas)
        if (v.controlled && (v.*source))
            sum = sum.value_or(0) + *(v.*source);
    return sum;
}

table scenario_table(const schema::run_report& run) {
    table t;
    t.header = {"scenario", "oracle", "perf", "kernel", "verdict", "diagnosis"};
    for (const auto& s : run.scenarios)
        t.rows.push_back({s.scenario, std::to_string(s.oracle_total),
                          count(own_regions(s, &schema::vma_row::perf)),
                          count(own_regions(s, &schema::vma_row::kernel)), verdict_word(s),
                          diagnosis_cell(s)});
    return t;
}

table abi_table(const std::vector<schema::abi_row>& rows) {
    table t;
    t.header = {"check", "rule", "expected", "got", "result"};
    for (const auto& r : rows)
        t.rows.push_back(
            {r.proves, r.rule, r.expected, r.got, r.skipped ? "skip" : (r.pass ? "pass" : "FAIL")});
    return t;
}

std::string summary_markdown(const schema::report_file& f) {
    std::ostringstream md;
    profile p{.course = f.run.profile == "course"};
    write_header(md, f.run);
    if (f.guest && f.guest->run && f.guest->run->fatal.empty())
        write_bugs(md, *f.guest->run, p);
    if (f.guest && f.guest->abi)
        write_failed_rows(md, *f.guest->abi, p);
    write_advice(md, f, p);
    if (f.guest && f.guest->abi) {
        table abi = abi_table(*f.guest->abi);
        for (std::size_t i = 0; i < abi.rows.size(); ++i)
            if (abi.rows[i].back() == "FAIL" && p.advice((*f.guest->abi)[i].rule))
                abi.rows[i].back() = "advice";
        md << "## Errno and permission table\n\n" << to_markdown(abi) << "\n";
    }
    if (f.guest && f.guest->run) {
        md << "## Scenarios (kernel model: " << f.guest->run->kernel_model << ")\n\n"
           << to_markdown(summary_scenarios(*f.guest->run, p));
    }
    if (!f.run.kernel_reports.empty()) {
        md << "\n## Kernel reports on the console\n\n";
        for (const auto& l : f.run.kernel_reports)
            md << "    " << l << "\n";
    }
    return md.str();
}

table verdict_table(const schema::run_meta& meta, const schema::run_report& run) {
    table t = scenario_table(run);
    t.caption = "pfcheck verdicts: " + meta.kernel + " " + meta.arch + " (series " + meta.series +
                ", kernel model " + run.kernel_model + ")";
    t.latex_columns = "lrrrlp{5.5cm}";
    t.note = "Counts in the scenario's own regions (the rest of each process is in the "
             "per-VMA tables). " +
             std::to_string(run.passed) + " passed, " + std::to_string(run.failed) + " failed.";
    return t;
}

std::string per_vma_data(const schema::scenario_result& s, int& shown) {
    std::ostringstream data;
    data << "# vma oracle perf kernel\n";
    shown = 0;
    auto num = [](const std::optional<long>& x) { return x ? std::to_string(*x) : "NaN"; };
    for (const auto& v : s.vmas) {
        bool any = v.kernel.value_or(0) > 0 || v.perf.value_or(0) > 0 || v.controlled;
        if (!any || v.perms == "---p")
            continue;
        std::string label = !v.name.empty() ? v.name : (v.controlled ? "scenario" : "anon");
        char addr[32];
        std::snprintf(addr, sizeof addr, "%llx", static_cast<unsigned long long>(v.start));
        data << "\"" << label << "\\n"
             << addr << "\" " << num(v.oracle) << " " << num(v.perf) << " " << num(v.kernel)
             << "\n";
        ++shown;
    }
    return data.str();
}

} // namespace report
