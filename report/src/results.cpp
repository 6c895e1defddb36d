// SPDX-License-Identifier: GPL-2.0-or-later
#include "report/results.hpp"

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

void write_header(std::ostream& md, const schema::run_meta& m) {
    md << "# pfcheck " << m.mode << " on " << m.kernel << " (" << m.arch << ")\n\n";
    md << "- verdict: **" << (m.verdict == "pass" ? "PASS" : "FAIL") << "**"
       << (m.reason.empty() ? "" : " — " + m.reason) << "\n";
    md << "- kernel tree: " << m.tree << ", series: " << m.series << "\n";
    md << "- accelerator: " << m.accel << ", guest time: " << m.guest_time
       << ", guest run time: " << m.guest_seconds << " s\n- pfcheck commit: " << m.commit
       << ", written " << m.written << "\n\n";
}

// "Your kernel: N bugs found", each with its evidence and where it usually
// lives; then what no known bug explains.
void write_bugs(std::ostream& md, const schema::run_report& run) {
    std::size_t n = run.bugs.size();
    int judged = 0;
    for (const auto& s : run.scenarios)
        judged += s.skipped.empty();
    if (n == 0 && run.unexplained.empty()) {
        md << "## Your kernel: no bug found\n\nEvery one of the " << judged
           << " scenarios that ran matches a correct kernel.\n\n";
        return;
    }
    md << "## Your kernel: " << n << (n == 1 ? " bug" : " bugs") << " found";
    if (!run.unexplained.empty())
        md << ", and " << run.unexplained.size() << " scenarios no known bug explains";
    md << "\n\n";
    int i = 0;
    for (const auto& b : run.bugs) {
        md << ++i << ". **" << b.bug << "** (`" << b.id << "`)\n"
           << "   - where it usually lives: " << b.mechanism << "\n"
           << "   - seen in " << b.scenarios.size()
           << (b.scenarios.size() == 1 ? " scenario:" : " scenarios:");
        for (std::size_t j = 0; j < b.scenarios.size(); ++j)
            md << (j ? ", " : " ") << b.scenarios[j];
        md << "\n";
        for (const auto& e : b.evidence)
            md << "   - " << e << "\n";
        if (!b.alternatives.empty()) {
            md << "   - the scenarios cannot tell it from:";
            for (const auto& a : b.alternatives)
                md << " `" << a << "`";
            md << "\n";
        }
    }
    if (!run.unexplained.empty()) {
        md << "\nNot explained by any known bug (the closest combination, and what differs):\n\n";
        for (const auto& u : run.unexplained)
            md << "- " << u << "\n";
    }
    md << "\n";
}

// The errno rows that fail, before the whole table.
void write_failed_rows(std::ostream& md, const std::vector<schema::abi_row>& rows) {
    std::vector<const schema::abi_row*> failed;
    for (const auto& r : rows)
        if (!r.pass && !r.skipped)
            failed.push_back(&r);
    if (failed.empty())
        return;
    md << "## Errno and permission rows that fail\n\n";
    for (const auto* r : failed)
        md << "- " << r->proves << ": expected " << r->expected << ", got " << r->got << " ("
           << r->rule << " rule)\n";
    md << "\n";
}

} // namespace

table scenario_table(const schema::run_report& run) {
    table t;
    t.header = {"scenario", "oracle", "perf", "kernel", "verdict", "diagnosis"};
    for (const auto& s : run.scenarios)
        t.rows.push_back({s.scenario, std::to_string(s.oracle_total), count(s.perf_total),
                          count(s.kernel_total), verdict_word(s), diagnosis_cell(s)});
    return t;
}

table abi_table(const std::vector<schema::abi_row>& rows) {
    table t;
    t.header = {"check", "rule", "expected", "got", "result"};
    for (const auto& r : rows)
        t.rows.push_back({r.proves, r.rule, r.expected, r.got,
                          r.skipped ? "skip" : (r.pass ? "pass" : "FAIL")});
    return t;
}

std::string summary_markdown(const schema::report_file& f) {
    std::ostringstream md;
    write_header(md, f.run);
    if (f.guest && f.guest->run && f.guest->run->fatal.empty())
        write_bugs(md, *f.guest->run);
    if (f.guest && f.guest->abi)
        write_failed_rows(md, *f.guest->abi);
    if (f.guest && f.guest->abi)
        md << "## Errno and permission table\n\n" << to_markdown(abi_table(*f.guest->abi)) << "\n";
    if (f.guest && f.guest->run) {
        md << "## Scenarios (kernel model: " << f.guest->run->kernel_model << ")\n\n"
           << to_markdown(scenario_table(*f.guest->run))
           << "\nThe oracle column counts the scenario's own regions only; perf and the "
              "kernel count every VMA.\n";
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
    t.note = "The oracle counts the scenario's own regions; perf and the kernel count every VMA "
             "of the process. " +
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
