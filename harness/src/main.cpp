// pfcheck-harness: from kernel source to a verdict. Prepares the tree, applies
// the patch series, builds a minimal kernel and the static guest program, boots
// it under QEMU, and writes what came back under results/.
// Exit status: 0 every check passed; 1 a check failed or the kernel reported a
// bug; 3 nothing could be judged (no build, no boot, no results); 2 usage.
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
};

run_result run_all(options o) {
    o.project = fs::absolute(o.project);
    std::string why;
    auto debian = debian_tree(o.cache, why);
    if (!debian)
        return fail("source", why);
    kernel_tree tree = *debian;
    if (!o.ksrc.empty()) {
        auto user = user_tree(o.ksrc, o.cache, why);
        if (!user)
            return fail("source", why);
        tree = *user;
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
    build_request br{tree, o.arch, {}, o.cache, out_dir / "kernel-build.log"};
    fs::remove(br.log);
    br.fragments = {o.project / "harness/kconfig/base.config",
                    o.project / "harness/kconfig" / (o.arch + ".config")};
    br.fragments.insert(br.fragments.end(), o.fragments.begin(), o.fragments.end());
    auto image = build_kernel(br, why);
    if (!image)
        return fail("build", why);

    guest_request gr{o.arch,         o.project, debian->src,
                     image->headers, o.cache,   out_dir / "guest-build.log"};
    fs::remove(gr.log);
    auto pfcheck = build_guest(gr, why);
    if (!pfcheck)
        return fail("guest", why);
    fs::path initrd = image->build_dir / "pfcheck-initramfs.cpio";
    if (!pack_initramfs(*pfcheck, initrd, why))
        return fail("initramfs", why);

    boot_request boot_req;
    boot_req.arch = o.arch;
    boot_req.kernel = image->bzimage;
    boot_req.initrd = initrd;
    boot_req.guest_args = o.mode;
    for (const auto& s : o.scenarios)
        boot_req.guest_args += " " + s;
    boot_req.extra_cmdline = o.cmdline;
    boot_req.accel = o.accel;
    boot_req.console_log = out_dir / "console.log";
    boot_req.results_file = out_dir / "results.raw";
    boot_req.timeout = std::chrono::seconds(o.timeout);
    say("boot", "qemu (" + o.accel + "), " + o.mode + ", deadline " + std::to_string(o.timeout) +
                    " s; console: " + boot_req.console_log.string());
    auto booted = boot(boot_req);

    run_context ctx{o.arch,       o.accel,
                    tree.version, tree.id,
                    series_name,  capture("git", {"rev-parse", "--short", "HEAD"}, o.project).out,
                    o.mode,       out_dir};
    if (!ctx.commit.empty() && ctx.commit.back() == '\n')
        ctx.commit.pop_back();
    auto c = collect(ctx, booted, boot_req.results_file);
    say("result", std::to_string(c.passed) + " passed, " + std::to_string(c.failed) + " failed, " +
                      std::to_string(c.skipped) +
                      " skipped; report: " + (out_dir / "summary.md").string());
    if (!c.ok) {
        std::fprintf(stderr, "pfcheck-harness: %s (console: %s)\n", c.reason.c_str(),
                     boot_req.console_log.c_str());
        return {c.judged ? exit_failed : exit_infrastructure, c, c.reason};
    }
    std::printf("%d passed, %d failed\n", c.passed, c.failed);
    return {0, c, {}};
}

// The header line "Expect-Diagnosis: TEXT" of a mutant patch.
std::string expected_diagnosis(const fs::path& patch) {
    std::ifstream in(patch);
    for (std::string line; std::getline(in, line);)
        if (line.rfind("Expect-Diagnosis: ", 0) == 0)
            return line.substr(18);
    return {};
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
        std::string name, description, expect, outcome, failed_checks, diagnosis;
        double seconds = 0;
        bool killed_right = false;
    };
    std::vector<row> rows;
    std::string base_name = o.out_name.empty() ? "mutants" : o.out_name;
    for (const auto& m : mutants) {
        row r{m.stem().string(), subject_of(m), expected_diagnosis(m)};
        say("mutant", r.name + ": " + r.description);
        options mo = o;
        mo.series = fs::absolute(o.project) / "patch" / "linux-6.1";
        mo.extra_patches = {m};
        mo.out_name = base_name + "/" + r.name;
        auto start = std::chrono::steady_clock::now();
        auto res = run_all(mo);
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::string all;
        for (const auto& f : res.c.failures)
            all += f + "\n";
        r.failed_checks = std::to_string(res.c.failed);
        r.diagnosis = res.c.failures.empty() ? res.reason : res.c.failures.front();
        if (res.code == 0) {
            r.outcome = "SURVIVED";
        } else if (res.code == exit_failed) {
            bool named = !r.expect.empty() && all.find(r.expect) != std::string::npos;
            for (const auto& f : res.c.failures)
                if (!r.expect.empty() && f.find(r.expect) != std::string::npos)
                    r.diagnosis = f;
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
    std::ofstream md(out / "summary.md"), csv(out / "summary.csv");
    md << "# Mutants (" << o.arch
       << ")\n\n| mutant | description | outcome | failed checks | "
          "diagnosis | seconds |\n|---|---|---|---|---|---|\n";
    csv << "mutant,description,outcome,failed_checks,diagnosis,seconds\n";
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
        md << "| " << r.name << " | " << r.description << " | " << r.outcome << " | "
           << r.failed_checks << " | " << r.diagnosis << " | " << secs << " |\n";
        csv << r.name << "," << quote(r.description) << "," << quote(r.outcome) << ","
            << r.failed_checks << "," << quote(r.diagnosis) << "," << secs << "\n";
    }
    char rate[64];
    std::snprintf(rate, sizeof rate, "kill rate: %d/%zu (%.0f%%)", killed, rows.size(),
                  100.0 * killed / rows.size());
    md << "\n" << rate << ", counting only kills whose diagnosis names the injected bug.\n";
    say("mutants", std::string(rate) + "; table: " + (out / "summary.md").string());
    std::printf("%d passed, %zu failed\n", killed, rows.size() - killed);
    return killed == static_cast<int>(rows.size()) ? 0 : exit_failed;
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
    std::vector<std::string> only;
    mutants->add_option("--mutant", only, "only these mutants (file stems)");
    for (auto* sub : {run, mutants}) {
        sub->add_option("--arch", o.arch, "i386 (the course's) or x86_64")
            ->check(CLI::IsMember({"i386", "x86_64"}));
        sub->add_option("--mode", o.mode,
                        "check: errno table and scenarios; verify: scenarios; "
                        "abi: errno table")
            ->check(CLI::IsMember({"check", "verify", "abi"}));
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
    }
    run->add_option("--extra-patch", o.extra_patches,
                    "a patch to apply after the series (repeatable)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : exit_usage;
    }
    if (*run)
        return run_all(o).code;
    if (*mutants)
        return run_mutants(o, only);
    return exit_usage;
}
