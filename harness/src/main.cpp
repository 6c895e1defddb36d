// pfcheck-harness: from kernel source to a verdict. Prepares the tree, applies
// the patch series, builds a minimal kernel and the static guest program, boots
// it under QEMU, and writes what came back under results/.
// Exit status: 0 every check passed; 1 a check failed or the kernel reported a
// bug; 3 nothing could be judged (no build, no boot, no results); 2 usage.
#include "files.hpp"
#include "guest_build.hpp"
#include "kernel_build.hpp"
#include "kernel_tree.hpp"
#include "process.hpp"
#include "qemu.hpp"
#include "results.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>

namespace fs = std::filesystem;
using namespace harness;

namespace {

constexpr int exit_failed = 1, exit_usage = 2, exit_infrastructure = 3;

fs::path default_cache() {
    if (const char* x = std::getenv("PFCHECK_CACHE"))
        return x;
    if (const char* x = std::getenv("XDG_CACHE_HOME"))
        return fs::path(x) / "pfcheck";
    if (const char* h = std::getenv("HOME"))
        return fs::path(h) / ".cache" / "pfcheck";
    return "/var/tmp/pfcheck";
}

struct run_result {
    int code = exit_infrastructure;
    collected c;
    std::string reason; // one line, when code != 0
    double seconds = 0;
};

run_result fail(const std::string& step, const std::string& why) {
    std::fprintf(stderr, "pfcheck-harness: %s: %s\n", step.c_str(), why.c_str());
    return {exit_infrastructure, {}, step + ": " + why};
}

struct options {
    std::string arch = "i386";
    std::string mode = "check";
    fs::path ksrc, series, cache = default_cache(), results = "results", project = ".";
    std::string accel = "tcg";
    int timeout = 900;
    std::vector<std::string> scenarios;
    std::vector<fs::path> fragments;
    std::string cmdline;
    std::string out_name; // results/<out_name>; default: the architecture
    std::vector<fs::path> extra_patches;
    std::vector<std::string> params; // KEY=VALUE for the guest (calls=, seconds=, reps=)
    std::string variant = "default"; // build directory variant (debug kernels apart)
    int cpus = 1;
    std::string qemu;      // QEMU program (default: qemu-system-ARCH)
    bool pristine = false; // Debian's 6.1 without any patch (the benchmarks' baseline)
    bool icount = false;   // QEMU -icount: guest time counts guest instructions
};

run_result run_all(options o) {
    o.project = fs::absolute(o.project);
    std::string why;
    // Debian's tree is the kernel under test unless KSRC names another; it
    // also provides libperf's source, needed only once the kernel is built.
    std::optional<kernel_tree> debian;
    auto need_debian = [&]() -> bool {
        if (!debian)
            debian = debian_tree(o.cache, why);
        return debian.has_value();
    };
    kernel_tree tree;
    if (!o.ksrc.empty() && !o.pristine) {
        auto user = user_tree(o.ksrc, o.cache, why);
        if (!user)
            return fail("source", why);
        tree = *user;
    } else {
        if (!need_debian())
            return fail("source", why);
        tree = *debian;
    }
    if (o.pristine) {
        auto vanilla = pristine_tree(*debian, o.cache, why);
        if (!vanilla)
            return fail("source", why);
        tree = *vanilla;
        o.series = "none";
    }
    std::string series_name;
    if (o.series.empty())
        o.series = o.project / "patch" / (tree.major < 5 ? "linux-4.15" : "linux-6.1");
    if (o.series == "none") {
        o.series.clear();
        series_name = "none (the tree as given)";
    } else {
        o.series = fs::absolute(o.series);
        series_name = o.series.lexically_relative(o.project).string();
    }
    say("source", tree.id + " (" + tree.version + "), series: " + series_name);
    for (auto& p : o.extra_patches)
        p = fs::absolute(p);
    if (!apply_series(tree, o.series, why, o.extra_patches))
        return fail("patch", why);

    fs::path out_dir = fs::absolute(o.results) / (o.out_name.empty() ? o.arch : o.out_name);
    fs::create_directories(out_dir);
    build_request br{tree, o.arch, {}, o.cache, out_dir / "kernel-build.log", o.variant};
    fs::remove(br.log);
    br.fragments = {o.project / "harness/kconfig/base.config",
                    o.project / "harness/kconfig" / (o.arch + ".config")};
    br.fragments.insert(br.fragments.end(), o.fragments.begin(), o.fragments.end());
    auto image = build_kernel(br, why);
    if (!image)
        return fail("build", why);

    if (!need_debian())
        return fail("source", why);
    guest_request gr{o.arch,
                     o.project,
                     debian->src,
                     image->headers,
                     o.cache,
                     out_dir / "guest-build.log",
                     o.pristine ? "vanilla" : ""};
    fs::remove(gr.log);
    auto pfcheck = build_guest(gr, why);
    if (!pfcheck)
        return fail("guest", why);
    fs::path initrd = image->build_dir / "pfcheck-initramfs.cpio";
    std::vector<initramfs_file> files = {{"init", *pfcheck}};
    if (o.mode == "bench" &&
        !add_with_libraries(pfcheck->parent_path() / "pfbench", "bin/pfbench", files, why))
        return fail("initramfs", why);
    if (!pack_initramfs(files, initrd, why))
        return fail("initramfs", why);

    boot_request boot_req;
    boot_req.arch = o.arch;
    boot_req.kernel = image->bzimage;
    boot_req.initrd = initrd;
    boot_req.guest_args = o.mode;
    for (const auto& s : o.scenarios)
        boot_req.guest_args += " " + s;
    for (const auto& p : o.params)
        boot_req.guest_args += " " + p;
    boot_req.cpus = o.cpus;
    boot_req.qemu = o.qemu;
    boot_req.extra_cmdline = o.cmdline;
    boot_req.accel = o.accel;
    boot_req.icount = o.icount;
    boot_req.console_log = out_dir / "console.log";
    boot_req.results_file = out_dir / "results.raw";
    boot_req.timeout = std::chrono::seconds(o.timeout);
    say("boot", "qemu (" + o.accel + (o.icount ? ", icount" : "") + "), " + o.mode + ", deadline " +
                    std::to_string(o.timeout) + " s; console: " + boot_req.console_log.string());
    auto booted = boot(boot_req);

    run_context ctx{o.arch,
                    o.accel,
                    tree.version,
                    tree.id,
                    series_name,
                    capture("git", {"rev-parse", "--short", "HEAD"}, o.project).out,
                    o.mode,
                    out_dir,
                    o.icount ? "icount (1 guest ns = 1 guest instruction)" : "wall clock"};
    if (!ctx.commit.empty() && ctx.commit.back() == '\n')
        ctx.commit.pop_back();
    auto c = collect(ctx, booted, boot_req.results_file);
    say("result", std::to_string(c.passed) + " passed, " + std::to_string(c.failed) + " failed, " +
                      std::to_string(c.skipped) +
                      " skipped; report: " + (out_dir / "summary.md").string());
    if (!c.ok) {
        std::fprintf(stderr, "pfcheck-harness: %s (console: %s)\n", c.reason.c_str(),
                     boot_req.console_log.c_str());
        // A kernel that reported a bug (BUG, Oops, KASAN...) has been judged,
        // whatever else happened; a panic alone (no init, say) judges nothing.
        bool bug = std::any_of(booted.kernel_reports.begin(), booted.kernel_reports.end(),
                               [](const std::string& l) {
                                   return l.find("Kernel panic") == std::string::npos;
                               });
        bool judged = (c.judged && !c.nothing_compared) || bug;
        return {judged ? exit_failed : exit_infrastructure, c, c.reason};
    }
    std::printf("%d passed, %d failed\n", c.passed, c.failed);
    return {0, c, {}};
}

// A header line "KEY: TEXT" of a mutant patch ("Expect-Diagnosis", "Run-Mode").
std::string patch_header(const fs::path& patch, const std::string& key) {
    std::ifstream in(patch);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(key + ": ", 0) == 0)
            return line.substr(key.size() + 2);
    return {};
}

// How a mutant is run: the plain guest suite, or (Run-Mode: debug, for bugs
// only a race shows) the debug kernel's fuzzer and race stress.
// Run-Arch: a mutant whose bug shows only where a feature exists (x86_64's
// userfaultfd write-protect, say).
void set_run_mode(options& mo, const fs::path& patch) {
    if (auto arch = patch_header(patch, "Run-Arch"); !arch.empty())
        mo.arch = arch;
    if (patch_header(patch, "Run-Mode") != "debug")
        return;
    mo.arch = "x86_64";
    mo.mode = "debug";
    mo.variant = "debug";
    mo.cpus = 2;
    mo.fragments.push_back(fs::absolute(mo.project) / "harness/kconfig/debug.config");
    mo.params = {"calls=20000", "seconds=30"};
}

// The subject, unfolded (a long one continues on lines that start with a space).
std::string subject_of(const fs::path& patch) {
    std::ifstream in(patch);
    std::string subject;
    for (std::string line; std::getline(in, line);) {
        if (!subject.empty() && !line.empty() && line[0] == ' ')
            subject += line;
        else if (!subject.empty())
            break;
        else if (line.rfind("Subject: [PATCH] mutant: ", 0) == 0)
            subject = line.substr(25);
    }
    return subject.empty() ? patch.stem().string() : subject;
}

// Each mutant on top of the 6.1 series must be caught, with the diagnosis
// its patch announces. Writes results/mutants/summary.md and .csv.
int run_mutants(options o, const std::vector<std::string>& only) {
    fs::path dir = fs::absolute(o.project) / "patch" / "mutants";
    std::vector<fs::path> mutants;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".patch" &&
            (only.empty() || std::find(only.begin(), only.end(), e.path().stem()) != only.end()))
            mutants.push_back(e.path());
    std::sort(mutants.begin(), mutants.end());
    if (mutants.empty()) {
        std::fprintf(stderr, "pfcheck-harness: no mutants selected in %s\n", dir.c_str());
        return exit_usage;
    }
    struct row {
        std::string name, description, expect, outcome, failed_checks, diagnosis, run_on;
        double seconds = 0;
        bool killed_right = false;
    };
    std::vector<row> rows;
    std::string base_name = o.out_name.empty() ? "mutants" : o.out_name;
    for (const auto& m : mutants) {
        row r{m.stem().string(), subject_of(m), patch_header(m, "Expect-Diagnosis")};
        say("mutant", r.name + ": " + r.description);
        options mo = o;
        mo.series = fs::absolute(o.project) / "patch" / "linux-6.1";
        mo.extra_patches = {m};
        mo.out_name = base_name + "/" + r.name;
        set_run_mode(mo, m);
        r.run_on = mo.arch + (mo.mode == "debug" ? ", debug kernel" : "");
        auto start = std::chrono::steady_clock::now();
        auto res = run_all(mo);
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::string all = res.reason + "\n";
        for (const auto& f : res.c.failures)
            all += f + "\n";
        // "3: fork_chain, parent_first, abi" - how many checks failed, and which.
        std::set<std::string> which;
        for (const auto& f : res.c.failures) {
            if (f.rfind("scenario ", 0) == 0)
                which.insert(f.substr(9, f.find(':') - 9));
            else
                which.insert(f.substr(0, f.find(':')));
        }
        r.failed_checks = std::to_string(res.c.failed);
        int listed = 0;
        for (auto it = which.begin(); it != which.end() && listed < 6; ++it, ++listed)
            r.failed_checks += (it == which.begin() ? ": " : ", ") + *it;
        if (which.size() > 6)
            r.failed_checks += " and " + std::to_string(which.size() - 6) + " more";
        r.diagnosis = res.c.failures.empty() ? res.reason : res.c.failures.front();
        if (res.code == 0) {
            r.outcome = "SURVIVED";
        } else if (res.code == exit_failed) {
            bool named = !r.expect.empty() && all.find(r.expect) != std::string::npos;
            for (const auto& f : res.c.failures)
                if (!r.expect.empty() && f.find(r.expect) != std::string::npos)
                    r.diagnosis = f;
            if (named && res.reason.find(r.expect) != std::string::npos)
                r.diagnosis = res.reason;
            r.killed_right = named;
            r.outcome = named ? "killed" : "killed, wrong diagnosis";
        } else {
            r.outcome = "ERROR: " + res.reason;
        }
        say("mutant", r.name + ": " + r.outcome);
        rows.push_back(r);
    }
    // Put the tree back to the plain series, so the next build is the real one.
    std::string why;
    if (auto t = debian_tree(o.cache, why))
        apply_series(*t, fs::absolute(o.project) / "patch" / "linux-6.1", why);

    int killed = 0;
    fs::path out = fs::absolute(o.results) / base_name;
    fs::create_directories(out);
    // A run of some mutants updates their rows; the others keep theirs from
    // the last run (if their patch still exists).
    if (!only.empty()) {
        std::ifstream old(out / "summary.csv");
        std::string line;
        std::getline(old, line); // header
        while (std::getline(old, line)) {
            std::vector<std::string> f;
            std::string cell;
            bool quoted = false;
            for (char ch : line) {
                if (ch == '"')
                    quoted = !quoted;
                else if (ch == ',' && !quoted)
                    f.push_back(std::exchange(cell, {}));
                else
                    cell += ch;
            }
            f.push_back(cell);
            if (f.size() != 7 || std::find(only.begin(), only.end(), f[0]) != only.end() ||
                !fs::exists(dir / (f[0] + ".patch")))
                continue;
            row r{f[0], f[1], "", f[3], f[4], f[5], f[2]};
            r.seconds = std::atof(f[6].c_str());
            r.killed_right = f[3] == "killed";
            rows.push_back(r);
        }
        std::sort(rows.begin(), rows.end(),
                  [](const row& a, const row& b) { return a.name < b.name; });
    }
    std::ofstream md(out / "summary.md"), csv(out / "summary.csv");
    md << "# Mutants\n\n| mutant | description | run on | outcome | failed checks | "
          "diagnosis | build and run, s |\n|---|---|---|---|---|---|---|\n";
    csv << "mutant,description,run_on,outcome,failed_checks,diagnosis,seconds\n";
    auto quote = [](std::string t) {
        for (auto& ch : t)
            if (ch == '"')
                ch = '\'';
        return "\"" + t + "\"";
    };
    for (const auto& r : rows) {
        killed += r.killed_right;
        char secs[32];
        std::snprintf(secs, sizeof secs, "%.0f", r.seconds);
        md << "| " << r.name << " | " << r.description << " | " << r.run_on << " | " << r.outcome
           << " | " << r.failed_checks << " | " << r.diagnosis << " | " << secs << " |\n";
        csv << r.name << "," << quote(r.description) << "," << quote(r.run_on) << ","
            << quote(r.outcome) << "," << quote(r.failed_checks) << "," << quote(r.diagnosis) << ","
            << secs << "\n";
    }
    char rate[64];
    std::snprintf(rate, sizeof rate, "kill rate: %d/%zu (%.0f%%)", killed, rows.size(),
                  100.0 * killed / rows.size());
    md << "\n" << rate << ", counting only kills whose diagnosis names the injected bug.\n";
    say("mutants", std::string(rate) + "; table: " + (out / "summary.md").string());
    std::printf("%d passed, %zu failed\n", killed, rows.size() - killed);
    return killed == static_cast<int>(rows.size()) ? 0 : exit_failed;
}

// The overhead benchmarks: Debian's 6.1 without the patch (a) and with it
// (b-e), from the same source and config fragments, each booted twice: under
// -icount (guest time counts instructions: repeatable) and on plain TCG (wall
// clock). Writes results/bench/ARCH/{icount,wall}-{vanilla,patched}/report.json.
int run_bench(options o, int repetitions) {
    struct boot_plan {
        const char* timing;
        const char* kernel;
    };
    const boot_plan plans[] = {
        {"icount", "vanilla"}, {"icount", "patched"}, {"wall", "vanilla"}, {"wall", "patched"}};
    int worst = 0;
    for (const auto& p : plans) {
        say("bench", std::string(p.kernel) + " kernel, guest time: " + p.timing);
        options bo = o;
        bo.mode = "bench";
        bo.params = {"reps=" + std::to_string(repetitions)};
        bo.pristine = std::string(p.kernel) == "vanilla";
        bo.icount = std::string(p.timing) == "icount";
        bo.out_name = "bench/" + o.arch + "/" + p.timing + "-" + p.kernel;
        auto r = run_all(bo);
        if (r.code != 0) {
            std::fprintf(stderr, "pfcheck-harness: bench: the %s kernel (%s) gave no figures: %s\n",
                         p.kernel, p.timing, r.reason.c_str());
            worst = std::max(worst, r.code);
        }
    }
    say("bench", "figures under " + (fs::absolute(o.results) / "bench" / o.arch).string() +
                     "; `make report` turns them into tables and plots");
    return worst;
}

// The course's deliverable: patch.tar.gz holding patch/ (the 4.15 series,
// git format-patch files) and the report. Patches that do not apply or do not
// build score zero, so the series is applied to the user's vanilla 4.15 tree,
// built, booted and checked first; any failure refuses, with the reason.
int run_submission(options o, const fs::path& own_report, const fs::path& archive) {
    if (o.ksrc.empty()) {
        std::fprintf(stderr,
                     "pfcheck-harness: submission: refused: it needs a vanilla Linux 4.15 tree "
                     "to prove that every patch applies and builds: make submission "
                     "KSRC=/path/to/linux-4.15\n");
        return exit_usage;
    }
    std::string why;
    auto user = user_tree(o.ksrc, o.cache, why);
    if (!user)
        return fail("submission", "refused: " + why).code;
    if (user->major != 4 || user->minor != 15)
        return fail("submission", "refused: KSRC is Linux " + user->version +
                                      "; the course's patches are against vanilla 4.15")
            .code;
    o.series = fs::absolute(o.project) / "patch" / "linux-4.15";
    o.arch = "i386";
    o.out_name = "submission";
    auto r = run_all(o);
    if (r.code != 0) {
        std::fprintf(stderr, "pfcheck-harness: submission: refused, patch.tar.gz not written: %s\n",
                     r.reason.c_str());
        return r.code;
    }
    fs::path stage = fs::absolute(o.results) / "submission" / "stage";
    fs::remove_all(stage);
    fs::create_directories(stage / "patch");
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(o.series))
        if (e.path().extension() == ".patch") {
            fs::copy_file(e.path(), stage / "patch" / e.path().filename());
            names.push_back(e.path().filename().string());
        }
    // The report: pfcheck's verdict on this very tree, the tables `make report`
    // made (when it ran), and the user's own report when given.
    std::ofstream txt(stage / "patch" / "report-pfcheck.md");
    txt << read_text(fs::absolute(o.results) / "submission" / "summary.md");
    fs::path tables = fs::absolute(o.results) / "report";
    if (fs::is_directory(tables)) {
        std::vector<fs::path> md;
        for (const auto& e : fs::directory_iterator(tables))
            if (e.path().extension() == ".md")
                md.push_back(e.path());
        std::sort(md.begin(), md.end());
        txt << "\n# Tables from `make report`\n\n";
        for (const auto& m : md)
            txt << read_text(m) << "\n";
    }
    txt.close();
    if (!own_report.empty()) {
        if (!fs::is_regular_file(own_report))
            return fail("submission", "refused: no report at " + own_report.string()).code;
        fs::copy_file(own_report, stage / "patch" / own_report.filename());
    }
    auto tar = run(
        command{"tar", {"-czf", fs::absolute(archive).string(), "-C", stage.string(), "patch"}});
    if (!tar.ok())
        return fail("submission", "tar failed writing " + archive.string()).code;
    say("submission", archive.string() + ": patch/ with " + std::to_string(names.size()) +
                          " patches (applied, built and checked on " + user->version +
                          " i386) and report-pfcheck.md" +
                          (own_report.empty() ? "" : " and " + own_report.filename().string()));
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"pfcheck-harness: build a patched kernel, boot it under QEMU, run pfcheck in it, "
                 "and write the results"};
    options o;
    app.require_subcommand(1);
    auto* run = app.add_subcommand("run", "build, boot and judge");
    auto* mutants = app.add_subcommand(
        "mutants", "build each patch/mutants/*.patch on the 6.1 series; each must be caught");
    auto* bench = app.add_subcommand(
        "bench", "fault-path overhead: vanilla vs patched 6.1, under icount and wall clock");
    int repetitions = 5;
    bench->add_option("--repetitions", repetitions, "repetitions of each benchmark")
        ->capture_default_str();
    auto* submission = app.add_subcommand(
        "submission", "check the 4.15 series on KSRC, then write patch.tar.gz (patch/ + report)");
    fs::path own_report, archive = "patch.tar.gz";
    submission->add_option("--report", own_report, "your own report (PDF or text) to include");
    submission->add_option("--output", archive, "the archive to write")->capture_default_str();
    std::vector<std::string> only;
    mutants->add_option("--mutant", only, "only these mutants (file stems)");
    for (auto* sub : {run, mutants, bench, submission}) {
        sub->add_option("--arch", o.arch, "i386 (the course's) or x86_64")
            ->check(CLI::IsMember({"i386", "x86_64"}));
        sub->add_option("--mode", o.mode,
                        "check: errno table and scenarios; verify: scenarios; "
                        "abi: errno table")
            ->check(CLI::IsMember({"check", "verify", "abi", "bench", "debug"}));
        sub->add_option("--ksrc", o.ksrc, "a kernel tree of your own instead of Debian's 6.1");
        sub->add_option("--series", o.series,
                        "patch directory to apply, or 'none' (default: patch/linux-6.1, or "
                        "patch/linux-4.15 for a 4.x tree)");
        sub->add_option("--cache", o.cache, "where trees, builds and ccache live")
            ->capture_default_str();
        sub->add_option("--results", o.results, "results directory")->capture_default_str();
        sub->add_option("--name", o.out_name, "results subdirectory (default: the architecture)");
        sub->add_option("--project", o.project, "the pfcheck repository")->capture_default_str();
        sub->add_option("--accel", o.accel, "tcg, or kvm where KVM works")
            ->check(CLI::IsMember({"tcg", "kvm"}));
        sub->add_option("--timeout", o.timeout, "seconds the guest may run")->capture_default_str();
        sub->add_option("--scenario", o.scenarios, "run only these scenarios");
        sub->add_option("--fragment", o.fragments, "extra kernel config fragment (repeatable)");
        sub->add_option("--cmdline", o.cmdline, "extra kernel command line");
        sub->add_option(
            "--param", o.params,
            "KEY=VALUE for the guest: calls=N seed=N seconds=N (debug), reps=N (bench)");
        sub->add_option("--variant", o.variant, "build directory variant (e.g. debug)")
            ->capture_default_str();
        sub->add_option("--smp", o.cpus, "guest CPUs")->capture_default_str();
        sub->add_option("--qemu", o.qemu, "the QEMU program (default: qemu-system-ARCH)");
    }
    run->add_option("--extra-patch", o.extra_patches,
                    "a patch to apply after the series (repeatable)");
    run->add_flag("--icount", o.icount,
                  "QEMU -icount shift=0,sleep=off: guest time counts guest instructions");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : exit_usage;
    }
    if (*run)
        return run_all(o).code;
    if (*mutants)
        return run_mutants(o, only);
    if (*bench)
        return run_bench(o, repetitions);
    if (*submission)
        return run_submission(o, own_report, archive);
    return exit_usage;
}
