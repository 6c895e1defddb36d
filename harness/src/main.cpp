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
#include <cstdio>
#include <cstdlib>

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

int fail(const std::string& step, const std::string& why) {
    std::fprintf(stderr, "pfcheck-harness: %s: %s\n", step.c_str(), why.c_str());
    return exit_infrastructure;
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
};

int run_all(options o) {
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
    if (!apply_series(tree, o.series, why))
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

    guest_request gr{o.arch, o.project, debian->src, image->headers, o.cache,
                     out_dir / "guest-build.log"};
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

    run_context ctx{o.arch, o.accel, tree.version, tree.id, series_name,
                    capture("git", {"rev-parse", "--short", "HEAD"}, o.project).out, o.mode, out_dir};
    if (!ctx.commit.empty() && ctx.commit.back() == '\n')
        ctx.commit.pop_back();
    auto c = collect(ctx, booted, boot_req.results_file);
    say("result", std::to_string(c.passed) + " passed, " + std::to_string(c.failed) +
                      " failed, " + std::to_string(c.skipped) + " skipped; report: " +
                      (out_dir / "summary.md").string());
    if (!c.ok) {
        std::fprintf(stderr, "pfcheck-harness: %s (console: %s)\n", c.reason.c_str(),
                     boot_req.console_log.c_str());
        return c.judged ? exit_failed : exit_infrastructure;
    }
    std::printf("%d passed, %d failed\n", c.passed, c.failed);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"pfcheck-harness: build a patched kernel, boot it under QEMU, run pfcheck in it, "
                 "and write the results"};
    options o;
    app.require_subcommand(1);
    auto* run = app.add_subcommand("run", "build, boot and judge");
    run->add_option("--arch", o.arch, "i386 (the course's) or x86_64")
        ->check(CLI::IsMember({"i386", "x86_64"}));
    run->add_option("--mode", o.mode, "check: errno table and scenarios; verify: scenarios; "
                                      "abi: errno table")
        ->check(CLI::IsMember({"check", "verify", "abi"}));
    run->add_option("--ksrc", o.ksrc, "a kernel tree of your own instead of Debian's 6.1");
    run->add_option("--series", o.series,
                    "patch directory to apply, or 'none' (default: patch/linux-6.1, or "
                    "patch/linux-4.15 for a 4.x tree)");
    run->add_option("--cache", o.cache, "where trees, builds and ccache live")
        ->capture_default_str();
    run->add_option("--results", o.results, "results directory")->capture_default_str();
    run->add_option("--name", o.out_name, "results subdirectory (default: the architecture)");
    run->add_option("--project", o.project, "the pfcheck repository")->capture_default_str();
    run->add_option("--accel", o.accel, "tcg, or kvm where KVM works")
        ->check(CLI::IsMember({"tcg", "kvm"}));
    run->add_option("--timeout", o.timeout, "seconds the guest may run")->capture_default_str();
    run->add_option("--scenario", o.scenarios, "run only these scenarios");
    run->add_option("--fragment", o.fragments, "extra kernel config fragment (repeatable)");
    run->add_option("--cmdline", o.cmdline, "extra kernel command line");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : exit_usage;
    }
    if (*run)
        return run_all(o);
    return exit_usage;
}
