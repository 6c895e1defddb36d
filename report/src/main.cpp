// SPDX-License-Identifier: GPL-2.0-or-later
// pfcheck-report: turns the latest runs under results/ into what a report
// needs: verdict, overhead and oracle tables (Markdown, CSV, LaTeX booktabs),
// plots (SVG and PNG, by gnuplot), and results/report/README.md saying what
// each file is and which kernel, architecture, accelerator and commit made it.
// Exit status: exit_code below.
#include "files.hpp"
#include "report/counters.hpp"
#include "report/overhead.hpp"
#include "report/plot.hpp"
#include "report/results.hpp"
#include "report/table.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;
using namespace report;

namespace {

namespace exit_code {
constexpr int written = 0;           // everything asked for was made
constexpr int incomplete = 1;        // something could not be made (no gnuplot, a broken input)
constexpr int usage = 2;             // the command line is wrong
constexpr int nothing_to_report = 3; // no run under results/ to report on
} // namespace exit_code

struct provenance {
    std::string file, what, kernel, arch, accel, guest_time, commit, written;
};

struct context {
    fs::path results, out;
    std::vector<provenance> inputs;
    std::vector<std::pair<std::string, std::string>> outputs; // file, what it is
    std::vector<std::string> problems;
    bool gnuplot = true;
};

std::string rel(const context& c, const fs::path& p) {
    return fs::relative(p, c.results).string();
}

std::optional<json> load(context& c, const fs::path& p) {
    std::ifstream in(p);
    if (!in)
        return std::nullopt;
    json j = json::parse(in, nullptr, false);
    if (j.is_discarded()) {
        c.problems.push_back(p.string() + " is not valid JSON: skipped");
        return std::nullopt;
    }
    return j;
}

void note_input(context& c, const fs::path& p, const schema::run_meta& m, const std::string& what) {
    c.inputs.push_back({rel(c, p), what, m.kernel + " (" + m.series + ")", m.arch, m.accel,
                        m.guest_time + ", " + std::to_string(m.cpus) + " vCPU", m.commit,
                        m.written});
}

void wrote_table(context& c, const table& t, const std::string& name, const std::string& what) {
    write_table(t, c.out.string(), name);
    c.outputs.push_back({"report/" + name + ".{md,csv,tex}", what});
}

// Renders a gnuplot script body to NAME.svg and NAME.png.
void plot(context& c, const std::string& name, const std::string& body, const std::string& what) {
    if (!c.gnuplot)
        return;
    if (auto why = report::render_plot(c.out, name, body); !why.empty()) {
        c.problems.push_back(why);
        return;
    }
    c.outputs.push_back({"report/" + name + ".{svg,png}", what});
}

// The per-VMA plot of one scenario: oracle, perf and kernel side by side.
void plot_per_vma(context& c, const std::string& name, const schema::run_meta& meta,
                  const schema::scenario_result& s) {
    int shown = 0;
    std::string id = name + "-" + s.scenario;
    fs::path dat = c.out / ("per-vma-" + id + ".dat");
    std::ofstream(dat) << per_vma_data(s, shown);
    std::string body =
        "set title \"" + s.scenario + " on " + meta.kernel + " " + meta.arch +
        ": CoW faults per VMA\"\nset style data histograms\nset style histogram "
        "clustered gap 1\nset style fill solid 0.8 border -1\nset ylabel 'CoW faults'\nset "
        "yrange [0:*]\nset offsets 0, 0, graph 0.1, 0\nset key top left\nset xtics rotate by -30 "
        "font ',9'\nset grid ytics\n"
        "plot '" +
        dat.string() +
        "' using 2:xtic(1) title 'oracle (scenario regions only)', '' using 3 title 'perf', '' "
        "using 4 title 'kernel (pf_get_info)'\n";
    plot(c, "per-vma-" + id, body,
         "per-VMA CoW faults of " + s.scenario + " (" + std::to_string(shown) +
             " VMAs with counts), oracle vs perf vs kernel");
    c.outputs.push_back({"report/" + dat.filename().string(), "the plot's data"});
}

// Per-scenario verdicts of one run, and the per-VMA plot of one scenario.
void verdicts(context& c, const fs::path& dir, const std::string& plot_scenario) {
    std::string why, name = dir.filename().string();
    auto f = schema::read_report_file(dir / "report.json", why);
    if (!f) {
        c.problems.push_back(rel(c, dir / "report.json") + " " + why + ": skipped");
        return;
    }
    if (!f->guest || !f->guest->run)
        return;
    const auto& run = *f->guest->run;
    note_input(c, dir / "report.json", f->run, "verdicts");
    wrote_table(c, verdict_table(f->run, run), "verdicts-" + name,
                "per-scenario verdicts of results/" + name);
    auto chosen = std::find_if(run.scenarios.begin(), run.scenarios.end(),
                               [&](const auto& s) { return s.scenario == plot_scenario; });
    if (chosen == run.scenarios.end()) {
        c.problems.push_back("results/" + name + " has no scenario '" + plot_scenario +
                             "' to plot per VMA");
        return;
    }
    plot_per_vma(c, name, f->run, *chosen);
}

// True when gnuplot data has a line besides its header.
bool has_rows(const std::string& data) {
    auto eol = data.find('\n');
    return eol != std::string::npos && eol + 1 < data.size();
}

// Your kernel, its vanilla base and pfcheck's reference on that base: a
// table and a plot, the kernels' identities and the guest-time mode in captions.
void three_kernels(context& c, const std::string& id, const std::string& mode, const samples& s,
                   const samples& ref, const std::map<std::string, std::string>& who,
                   std::ostringstream& console) {
    std::string kernels = "(a) vanilla: " + who.at("vanilla") +
                          "; your kernel: " + who.at("patched") +
                          "; reference: " + who.at("reference");
    auto t = kernels_table(s, ref, "Your kernel against vanilla and the reference, " + mode);
    t.note += " Kernels: " + kernels + ".";
    wrote_table(c, t, "kernels-" + id, "your kernel vs vanilla vs the reference, " + mode);
    console << to_markdown(t) << "\n";
    if (!has_rows(kernels_plot_data(s, ref)))
        return;
    fs::path dat = c.out / ("kernels-" + id + ".dat");
    std::ofstream(dat) << kernels_plot_data(s, ref);
    std::ostringstream body;
    body << "set title \"ns per CoW fault, own name tracked (c), " << mode << "\\n"
         << who.at("patched") << "\" noenhanced\nset logscale x 2\nset xlabel 'pages written "
         << "after fork (N)'\nset ylabel 'ns per CoW fault (median, IQR bars)'\nset key "
         << "top right\nset grid\nset yrange [0:*]\nplot '" << dat.string()
         << "' using 1:2:3:4 with yerrorlines title '(a) vanilla', '' using 1:5:6:7 with "
            "yerrorlines title '(c) your kernel', '' using 1:8:9:10 with yerrorlines title "
            "'(c) reference'\n";
    plot(c, "kernels-" + id, body.str(),
         "ns per CoW fault: vanilla, your kernel, the reference, " + mode + "; " + kernels);
    c.outputs.push_back({"report/" + dat.filename().string(), "the plot's data"});
}

// What the verdicts of one set need: 5 repetitions on wall clock; under
// icount 2, and a second boot of (a) (TIMING-vanilla-again) that agrees;
// counted by the insn_marks plugin (two vCPUs, not deterministic) 5, and a
// second boot of (a).
evidence_rule evidence_of(context& c, const std::string& arch, const std::string& timing,
                          const samples& s) {
    constexpr std::size_t wall_needed = 5, icount_needed = 2, marks_needed = 5;
    if (timing != "icount" && timing != "marks")
        return {.repetitions = wall_needed};
    evidence_rule rule{.repetitions = timing == "icount" ? icount_needed : marks_needed,
                       .two_boots = true};
    fs::path p = c.results / "bench" / arch / (timing + "-vanilla-again") / "report.json";
    samples again;
    auto j = load(c, p);
    if (!j || !add_samples(*j, again).empty())
        return rule;
    // `again` holds the vanilla kernel's configurations only, (a) and (a').
    auto d = boot_spread(s, again);
    std::string why;
    auto meta = schema::parse_as<schema::run_meta>(j->value("run", json::object()), why);
    if (!d || !meta)
        return rule;
    rule.boot_spread = d->spread;
    rule.by_benchmark = boot_spread_by_benchmark(s, again);
    note_input(c, p, *meta,
               "benchmarks, vanilla kernel booted again: at most " + fixed(100 * d->spread, 3) +
                   "% from the first boot (" + d->config + " " + d->benchmark + ")");
    return rule;
}

// The overhead tables, targets and plot of one architecture and guest-time mode.
bool overhead(context& c, const std::string& arch, const std::string& timing,
              std::ostringstream& console) {
    samples s, ref;
    bool any = false;
    std::map<std::string, std::string> who; // kernel role -> "6.1.192, debian-6.1 + patch/..."
    // Counted by the insn_marks plugin: why a kernel's counts are missing.
    std::string unavailable;
    for (const char* kernel : {"vanilla", "patched", "reference"}) {
        fs::path p = c.results / "bench" / arch / (timing + "-" + kernel) / "report.json";
        auto j = load(c, p);
        if (!j)
            continue;
        std::string why;
        auto meta = schema::parse_as<schema::run_meta>(j->value("run", json::object()), why);
        if (!meta) {
            c.problems.push_back(rel(c, p) + " " + why);
            continue;
        }
        std::string k = kernel;
        const std::string no_counts = marks_unavailable(*j);
        if (!no_counts.empty()) {
            if (unavailable.empty())
                unavailable = k + " kernel: " + no_counts;
            note_input(c, p, *meta,
                       "benchmarks, " + k + " kernel: UNAVAILABLE (" + no_counts + ")");
        }
        // The vanilla figures go with both kernels; the reference's apart.
        bool ok = true;
        for (auto* into : k == "vanilla"   ? std::vector<samples*>{&s, &ref}
                          : k == "patched" ? std::vector<samples*>{&s}
                                           : std::vector<samples*>{&ref})
            if (why = add_samples(*j, *into); !why.empty())
                ok = false;
        if (!ok) {
            if (no_counts.empty())
                c.problems.push_back(rel(c, p) + ": " + why);
            continue;
        }
        if (no_counts.empty())
            note_input(c, p, *meta, "benchmarks, " + k + " kernel");
        who[k] = meta->kernel + ", " + meta->tree + " + " + meta->series + " (pfcheck " +
                 meta->commit + ")";
        any = k != "reference" || any;
    }
    if (!any && unavailable.empty())
        return false;
    std::string mode = timing == "icount" ? "QEMU -icount shift=0 (guest ns = guest instructions, "
                                            "read from the TSC, not the kernel's clock)"
                       : timing == "marks"
                           ? "guest instructions per vCPU between pfbench's marks, counted by "
                             "the insn_marks plugin on multi-threaded TCG (1 ns = 1 instruction)"
                           : "QEMU TCG, wall clock";
    std::string id = arch + "-" + timing;
    auto rule = evidence_of(c, arch, timing, s);
    std::string boots = !rule.two_boots ? ""
                        : rule.boot_spread
                            ? "; two boots of (a) within " + fixed(100 * *rule.boot_spread, 2) +
                                  "% (each benchmark's ranges widened by its own difference)"
                            : "; one boot of (a): determinism not checked";
    auto t = overhead_table(s, "Fault-path overhead, " + arch + ", " + mode + boots);
    wrote_table(c, t, "overhead-" + id, "overhead ratios against vanilla, " + arch + ", " + mode);
    auto checks = check_targets(s, rule);
    if (!unavailable.empty()) {
        // Loudly: no verdict of the two-vCPU target stands, and the report is incomplete.
        mark_unavailable(checks, unavailable);
        c.problems.push_back("two-vCPU target (" + arch + ", " + timing +
                             "): UNAVAILABLE: " + unavailable);
    }
    auto tt = targets_table(checks, "Overhead targets, " + arch + ", " + mode + boots);
    wrote_table(c, tt, "targets-" + id, "the issue's overhead targets, met or missed, " + mode);
    console << to_markdown(t) << "\n" << to_markdown(tt) << "\n";

    // No cow_fault figures (the two-vCPU counts have cow_fault_pair only): no plot.
    const std::string cow_data = cow_plot_data(s);
    if (!has_rows(cow_data)) {
        if (who.count("reference") && who.count("patched"))
            three_kernels(c, id, mode, s, ref, who, console);
        return true;
    }
    fs::path dat = c.out / ("cow-ns-" + id + ".dat");
    std::ofstream(dat) << cow_data;
    std::ostringstream body;
    body << "set title 'ns per CoW fault, " << arch << ", "
         << (timing == "icount"  ? "icount (guest instructions)"
             : timing == "marks" ? "guest instructions (insn_marks plugin)"
                                 : "TCG wall clock")
         << "'\nset logscale x 2\nset xlabel 'pages written after fork (N)'\nset ylabel 'ns per "
            "CoW fault (median, IQR bars)'\nset key outside right\nset grid\nset yrange [0:*]\n"
            "plot ";
    int col = 2;
    for (const auto& conf : configurations()) {
        body << (col > 2 ? ", " : "") << "'" << dat.string() << "' using 1:" << col << ":"
             << col + 1 << ":" << col + 2 << " with yerrorlines title \"(" << conf.letter << ") "
             << conf.id << "\"";
        col += 3;
    }
    body << "\n";
    plot(c, "cow-ns-" + id, body.str(), "ns per CoW fault against pages written, (a)-(e), " + mode);
    c.outputs.push_back({"report/" + dat.filename().string(), "the plot's data"});
    if (who.count("reference") && who.count("patched"))
        three_kernels(c, id, mode, s, ref, who, console);
    return true;
}

// Every counters run (results/counters/NAME/ and results/counters-ARCH/): a
// table each, and one plot of each counter's measured total across them.
int counters_section(context& c, std::ostringstream& console) {
    std::vector<fs::path> dirs;
    if (fs::is_directory(c.results / "counters"))
        for (const auto& e : fs::directory_iterator(c.results / "counters"))
            dirs.push_back(e.path());
    for (const auto& e : fs::directory_iterator(c.results))
        if (e.path().filename().string().rfind("counters-", 0) == 0)
            dirs.push_back(e.path());
    std::sort(dirs.begin(), dirs.end());
    std::vector<counters_run> runs;
    for (const auto& dir : dirs) {
        auto j = load(c, dir / "report.json");
        if (!j || !j->contains("guest") || !(*j)["guest"].is_object() ||
            !(*j)["guest"].contains("counters"))
            continue;
        std::string why;
        auto meta = schema::parse_as<schema::run_meta>(j->value("run", json::object()), why);
        if (!meta) {
            c.problems.push_back(rel(c, dir / "report.json") + " " + why);
            continue;
        }
        std::string series =
            meta->series == "none" || meta->series.rfind("none", 0) == 0 ? "vanilla" : meta->series;
        runs.push_back({meta->kernel + " " + meta->arch + " " + series, (*j)["guest"]["counters"]});
        note_input(c, dir / "report.json", *meta, "Linux's fault counters");
        auto t = counters_table(runs.back());
        std::string leaf = dir.filename().string();
        std::string name = leaf.rfind("counters-", 0) == 0 ? leaf : "counters-" + leaf;
        wrote_table(c, t, name, "fault counters against the prediction, " + runs.back().label);
        console << to_markdown(t) << "\n";
    }
    if (runs.empty())
        return 0;
    fs::path dat = c.out / "counters.dat";
    std::ofstream(dat) << counters_plot_data(runs);
    std::ostringstream body;
    body << "set title 'Fault counters, summed over the scenarios (each kernel: its findings)'\n"
            "set style data histograms\nset style histogram clustered gap 1\n"
            "set style fill solid 0.8 border -1\nset ylabel 'faults counted'\nset yrange "
            "[0:*]\n"
            "set key top left\nset xtics rotate by -30 font ',9'\nset grid ytics\n"
            "set offsets 0, 0, graph 0.1, 0\nplot ";
    for (std::size_t i = 0; i < runs.size(); ++i)
        body << (i ? ", " : "") << "'" << dat.string() << "' using " << i + 2
             << (i ? "" : ":xtic(1)") << " title columnheader";
    body << "\n";
    plot(c, "counters", body.str(),
         "fault counters summed over the scenarios, per counter and kernel, with each kernel's "
         "findings (" +
             std::to_string(runs.size()) + " runs)");
    c.outputs.push_back({"report/counters.dat", "the plot's data"});
    return static_cast<int>(runs.size());
}

void oracle_throughput(context& c, std::ostringstream& console) {
    fs::path p = c.results / "bench" / "oracle.json";
    auto j = load(c, p);
    if (!j)
        return;
    table t;
    t.caption = "Oracle throughput on the host";
    t.header = {"pages in the layout", "page events", "ms per prediction", "page events / s"};
    for (const auto& b : j->value("benchmarks", json::array())) {
        std::string name = b.value("name", "");
        long pages = std::atol(name.substr(name.find('/') + 1).c_str());
        double ips = b.value("items_per_second", 0.0);
        t.rows.push_back({std::to_string(pages), std::to_string(3 * pages),
                          fixed(b.value("real_time", 0.0), 3), fixed(ips / 1e6, 2) + " M"});
    }
    const json ctx = j->value("context", json::object());
    t.note = "Populate, fork, child writes every page, parent writes every page: three page "
             "events per page. Host: " +
             std::to_string(ctx.value("num_cpus", 0)) + " CPUs at " +
             std::to_string(ctx.value("mhz_per_cpu", 0)) + " MHz, " + ctx.value("date", "") + ".";
    c.inputs.push_back({rel(c, p), "oracle benchmark (host)", "-", "host", "-", "wall clock", "-",
                        ctx.value("date", "?")});
    wrote_table(c, t, "oracle-throughput", "the oracle's page events per second on the host");
    console << to_markdown(t) << "\n";
}

// report/README.md: what each file of the report is, and which runs it
// comes from. (results/README.md says what the runs write.)
void write_index(const context& c) {
    std::ofstream md(c.out / "README.md");
    md << "# results/report/\n\nWritten by `make report` on " << harness::now_utc()
       << ". Every figure comes from a run on this machine; nothing here is committed. "
          "Paths are relative to `results/`.\n\n## Inputs of this report\n\n"
          "| file | what | kernel (series) | arch | accelerator | guest time | commit | written "
          "|\n|---|---|---|---|---|---|---|---|\n";
    for (const auto& i : c.inputs)
        md << "| `" << i.file << "` | " << i.what << " | " << i.kernel << " | " << i.arch << " | "
           << i.accel << " | " << i.guest_time << " | " << i.commit << " | " << i.written << " |\n";
    md << "\n## The report (`report/`)\n\nTables come as `.md` (read, paste), `.csv` "
          "(reprocess) and `.tex` (a booktabs table for `\\input`; needs "
          "`\\usepackage{booktabs}`). Plots come as `.svg` and `.png`.\n\n| file | what it is "
          "|\n|---|---|\n";
    for (const auto& [file, what] : c.outputs)
        md << "| `" << file << "` | " << what << " |\n";
    if (!c.problems.empty()) {
        md << "\n## Not made\n\n";
        for (const auto& p : c.problems)
            md << "- " << p << "\n";
    }
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"pfcheck-report: tables (Markdown, CSV, LaTeX) and plots (SVG, PNG) from the "
                 "latest runs under results/"};
    context c;
    c.results = "results";
    std::string scenario = "parent_first";
    std::vector<std::string> runs = {"i386", "x86_64"};
    app.add_option("--results", c.results, "the results directory")->capture_default_str();
    app.add_option("--scenario", scenario, "the scenario whose per-VMA counts are plotted")
        ->capture_default_str();
    app.add_option("--run", runs, "results/NAME folders whose verdicts are tabulated")
        ->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? exit_code::written : exit_code::usage;
    }

    c.results = fs::absolute(c.results);
    c.out = c.results / "report";
    fs::create_directories(c.out);
    if (!report::have_gnuplot()) {
        c.gnuplot = false;
        c.problems.push_back("plots: UNAVAILABLE, gnuplot is not installed (apt-get install "
                             "gnuplot-nox)");
    }
    std::ostringstream console;
    for (const auto& r : runs)
        if (fs::exists(c.results / r / "report.json"))
            verdicts(c, c.results / r, scenario);
    int overheads = 0;
    if (fs::is_directory(c.results / "bench"))
        for (const auto& e : fs::directory_iterator(c.results / "bench"))
            if (e.is_directory())
                for (const char* timing : {"icount", "wall", "marks"})
                    overheads += overhead(c, e.path().filename().string(), timing, console);
    oracle_throughput(c, console);
    int counters = counters_section(c, console);
    write_index(c);

    std::cout << console.str();
    for (const auto& p : c.problems)
        std::fprintf(stderr, "pfcheck-report: %s\n", p.c_str());
    if (c.inputs.empty()) {
        std::fprintf(stderr,
                     "pfcheck-report: nothing to report under %s: run `make` (and `make "
                     "bench`) first\n",
                     c.results.c_str());
        return exit_code::nothing_to_report;
    }
    std::printf("pfcheck-report: %zu inputs, %zu outputs in %s (%d overhead sets, %d counters "
                "runs); index: %s\n",
                c.inputs.size(), c.outputs.size(), c.out.c_str(), overheads, counters,
                (c.out / "README.md").c_str());
    return c.problems.empty() ? exit_code::written : exit_code::incomplete;
}
