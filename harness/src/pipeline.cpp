// SPDX-License-Identifier: GPL-2.0-or-later
#include "pipeline.hpp"

#include "guest_build.hpp"
#include "kernel_build.hpp"
#include "kernel_tree.hpp"
#include "lock.hpp"
#include "process.hpp"
#include "qemu.hpp"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <utility>

namespace fs = std::filesystem;

namespace harness {

namespace {

// The one table of modes and their words.
constexpr std::pair<run_mode, const char*> mode_words[] = {
    {run_mode::check, "check"}, {run_mode::verify, "verify"}, {run_mode::abi, "abi"},
    {run_mode::bench, "bench"}, {run_mode::debug, "debug"},   {run_mode::counters, "counters"}};

// The kernel tree under test and, once needed, Debian's: it is the tree
// under test unless KSRC names another, and it provides libperf's source,
// needed only once the kernel is built.
struct sources {
    kernel_tree tree;
    std::optional<kernel_tree> debian;
};

bool need_debian(sources& s, const options& o, std::string& why) {
    if (!s.debian)
        s.debian = debian_tree(o.cache, why);
    return s.debian.has_value();
}

// KSRC, Debian's tree, or (the benchmarks' baseline) its pristine worktree.
bool choose_tree(options& o, sources& s, std::string& why) {
    if (!o.ksrc.empty() && !o.pristine) {
        auto user = user_tree(o.ksrc, o.cache, why, o.slot);
        if (user)
            s.tree = *user;
        return user.has_value();
    }
    if (!need_debian(s, o, why))
        return false;
    s.tree = *s.debian;
    if (!o.pristine) {
        auto mine = slot_tree(*s.debian, o.cache, o.slot, why);
        if (mine)
            s.tree = *mine;
        return mine.has_value();
    }
    auto vanilla = pristine_tree(*s.debian, o.cache, why);
    if (vanilla)
        s.tree = *vanilla;
    o.series = "none";
    return vanilla.has_value();
}

// Settles o.series (kernel_tree.hpp, resolve_series: empty is none) and
// returns its name for the report. Only a tree of the user's is inspected:
// Debian's never wires up the course's syscalls.
std::string choose_series(options& o, const kernel_tree& tree) {
    fs::path inspect;
    if (!o.ksrc.empty() && !o.pristine) {
        std::error_code ec;
        inspect = fs::canonical(o.ksrc, ec);
    }
    auto choice = resolve_series(o.series.string(), inspect, tree.major, o.project);
    if (!choice.note.empty())
        say("series", choice.note);
    o.series = choice.dir;
    return choice.name;
}

std::optional<kernel_image> build_image(const options& o, const kernel_tree& tree,
                                        const fs::path& out_dir, std::string& why) {
    build_request br{.tree = tree,
                     .arch = o.arch,
                     .fragments = {o.project / "harness/kconfig/base.config",
                                   o.project / "harness/kconfig" / (o.arch + ".config")},
                     .cache = o.cache,
                     .log = out_dir / "kernel-build.log",
                     .variant = o.variant};
    // KUnit exists from 5.5: the series' in-kernel tests run at boot there.
    if (tree.major > 5 || (tree.major == 5 && tree.minor >= 5))
        br.fragments.push_back(o.project / "harness/kconfig/kunit.config");
    // /proc/vmstat's pgfault needs CONFIG_VM_EVENT_COUNTERS (off in tinyconfig).
    if (o.mode == run_mode::counters)
        br.fragments.push_back(o.project / "harness/kconfig/counters.config");
    br.fragments.insert(br.fragments.end(), o.fragments.begin(), o.fragments.end());
    fs::remove(br.log);
    return build_kernel(br, why);
}

// The static pfcheck for this kernel's headers, as /init of an initramfs
// (with pfbench and its libraries for the benchmarks). Fails with the step.
std::optional<fs::path> build_initramfs(const options& o, const kernel_tree& debian,
                                        const kernel_image& image, const fs::path& out_dir,
                                        std::string& step, std::string& why) {
    guest_request gr{.arch = o.arch,
                     .project = o.project,
                     .libperf_source = debian.src,
                     .kernel_headers = image.headers,
                     .cache = o.cache,
                     .log = out_dir / "guest-build.log",
                     .build_name = o.pristine   ? "vanilla"
                                   : o.slot > 0 ? "slot" + std::to_string(o.slot)
                                                : ""};
    fs::remove(gr.log);
    step = "guest";
    auto pfcheck = build_guest(gr, why);
    if (!pfcheck)
        return std::nullopt;
    step = "initramfs";
    fs::path initrd = image.build_dir / "pfcheck-initramfs.cpio";
    std::vector<initramfs_file> files = {{"init", *pfcheck}};
    if (o.mode == run_mode::bench &&
        !add_with_libraries(pfcheck->parent_path() / "pfbench", "bin/pfbench", files, why))
        return std::nullopt;
    if (!pack_initramfs(files, initrd, why))
        return std::nullopt;
    return initrd;
}

boot_request boot_plan(const options& o, const kernel_image& image, const fs::path& initrd,
                       const fs::path& out_dir) {
    boot_request r{.arch = o.arch,
                   .qemu = o.qemu,
                   .kernel = image.bzimage,
                   .initrd = initrd,
                   .guest_args = mode_word(o.mode),
                   .extra_cmdline = o.cmdline,
                   .accel = o.accel,
                   .icount = o.icount,
                   .plugin = o.plugin,
                   .plugin_log = o.plugin.empty() ? fs::path() : plugin_log_in(out_dir),
                   .cpus = o.cpus,
                   .fine_clock = o.cpus > 1 || o.mode == run_mode::bench,
                   .console_log = out_dir / "console.log",
                   .results_file = out_dir / "results.raw",
                   .timeout = std::chrono::seconds(o.timeout)};
    for (const auto& s : o.scenarios)
        r.guest_args += " " + s;
    for (const auto& p : o.params)
        r.guest_args += " " + p;
    return r;
}

// Where and how the run is made, for report.json and summary.md.
run_context context_of(const options& o, const kernel_tree& tree, const std::string& series,
                       const fs::path& out_dir) {
    std::string commit = project_commit(o.project);
    return {.meta = {.arch = o.arch,
                     .accel = o.accel,
                     .kernel = tree.version.empty() ? "?" : tree.version,
                     .tree = tree.id.empty() ? "?" : tree.id,
                     .series = series.empty() ? "?" : series,
                     .commit = commit,
                     .mode = mode_word(o.mode),
                     .guest_time = o.icount ? "icount (1 guest ns = 1 guest instruction)"
                                   : !o.plugin.empty()
                                       ? "wall clock; guest instructions counted per vCPU "
                                         "by the insn_marks plugin (1 ns = 1 instruction)"
                                       : "wall clock",
                     .profile = o.profile,
                     .cpus = o.cpus},
            .out_dir = out_dir};
}

// The last lines: the failures, then (course profile) the advice, a line each.
void tell_outcome(const collected& c, const std::string& profile) {
    constexpr std::size_t shown = 12;
    auto list = [&](const char* step, const std::vector<failure>& all) {
        for (std::size_t i = 0; i < all.size() && i < shown; ++i)
            say(step, describe(all[i]));
        if (all.size() > shown)
            say(step, "... and " + std::to_string(all.size() - shown) + " more in summary.md");
    };
    list("failed", c.failures);
    if (c.advice.empty())
        return;
    say("advice", std::to_string(c.advice.size()) +
                      " checks of pfcheck's stricter rules fail; the " + profile +
                      " profile does not count them (PROFILE=strict does):");
    list("advice", c.advice);
}

// Boots, collects what came back, and says what it means.
run_result boot_and_judge(const options& o, const run_context& ctx, const kernel_image& image,
                          const fs::path& initrd) {
    auto req = boot_plan(o, image, initrd, ctx.out_dir);
    say("boot", "qemu (" + o.accel + (o.icount ? ", icount" : "") +
                    (o.plugin.empty() ? "" : ", plugin " + o.plugin.filename().string()) + "), " +
                    mode_word(o.mode) + ", deadline " + std::to_string(o.timeout) +
                    " s; console: " + req.console_log.string());
    auto c = collect(ctx, boot(req), req.results_file);
    tell_outcome(c, ctx.meta.profile);
    say("result", std::to_string(c.passed) + " passed, " + std::to_string(c.failed) + " failed, " +
                      std::to_string(c.skipped) + " skipped" +
                      (c.advice.empty() ? "" : ", " + std::to_string(c.advice.size()) + " advice") +
                      " (profile " + ctx.meta.profile +
                      "); report: " + (ctx.out_dir / "summary.md").string());
    if (!c.ok) {
        std::fprintf(stderr, "pfcheck-harness: %s (console: %s)\n", c.reason.c_str(),
                     req.console_log.c_str());
        return {c.status, c, c.reason};
    }
    std::printf("%d passed, %d failed\n", c.passed, c.failed);
    return {exit_code::passed, c, {}};
}

} // namespace

fs::path plugin_log_in(const fs::path& out_dir) {
    return out_dir / "insn_marks.log";
}

std::string project_commit(const fs::path& project) {
    std::string commit = capture("git", {"rev-parse", "--short", "HEAD"}, project).out;
    if (!commit.empty() && commit.back() == '\n')
        commit.pop_back();
    return commit;
}

std::string mode_word(run_mode m) {
    for (const auto& [mode, word] : mode_words)
        if (mode == m)
            return word;
    return "check";
}

const std::map<std::string, run_mode>& modes_by_word() {
    static const std::map<std::string, run_mode> all = [] {
        std::map<std::string, run_mode> m;
        for (const auto& [mode, word] : mode_words)
            m[word] = mode;
        return m;
    }();
    return all;
}

fs::path default_cache() {
    if (const char* x = std::getenv("PFCHECK_CACHE"))
        return x;
    if (const char* x = std::getenv("XDG_CACHE_HOME"))
        return fs::path(x) / "pfcheck";
    if (const char* h = std::getenv("HOME"))
        return fs::path(h) / ".cache" / "pfcheck";
    return "/var/tmp/pfcheck";
}

run_result fail(const std::string& step, const std::string& why) {
    std::fprintf(stderr, "pfcheck-harness: %s: %s\n", step.c_str(), why.c_str());
    return {exit_code::not_judged, {}, step + ": " + why};
}

// The locks a run holds from start to end: the kernel tree it patches and
// builds (and its build directories, named after it), and the guest build
// directory of this checkout. Two runs on the same tree wait for each other;
// on different trees they run side by side, sharing ccache.
std::vector<run_lock> lock_run(const options& o) {
    std::string tree = o.pristine       ? "debian-6.1-vanilla"
                       : o.ksrc.empty() ? "debian-6.1" + slot_suffix(o.slot)
                                        : user_tree_id(o.ksrc, o.slot);
    std::string guest = "guest-" + o.arch + slot_suffix(o.slot);
    std::vector<run_lock> locks;
    locks.emplace_back(o.cache / "locks" / ("tree-" + tree + ".lock"), "the kernel tree " + tree);
    locks.emplace_back(o.project / "build" / (guest + ".lock"),
                       "the guest build directory build/" + guest);
    return locks;
}

// The counters mode needs no patch, and its kernel has VM event counters: it
// builds apart (its own variant), and Debian's tree without the series is the
// pristine worktree (as the benchmarks' baseline), never the shared tree reset.
void settle_counters_mode(options& o) {
    if (o.mode != run_mode::counters)
        return;
    if (o.variant == "default")
        o.variant = "counters";
    if (o.ksrc.empty() && o.series == "none")
        o.pristine = true;
}

namespace {

// The run's kernel tree, chosen and synced, with its series (`series`
// names it) and extra patches applied; on failure `step` is "source" or
// "patch". The caller holds the run's locks.
bool patch_tree(options& o, sources& src, std::string& series, std::string& step,
                std::string& why) {
    step = "source";
    if (!choose_tree(o, src, why))
        return false;
    series = choose_series(o, src.tree);
    say("source", src.tree.id + " (" + src.tree.version + "), series: " + series);
    for (auto& p : o.extra_patches)
        p = fs::absolute(p);
    step = "patch";
    return apply_series(src.tree, o.series, why, o.extra_patches);
}

} // namespace

run_result run_all(options o) {
    o.project = fs::absolute(o.project);
    settle_counters_mode(o);
    auto locks = lock_run(o);
    std::string why, step;
    fs::path out_dir = fs::absolute(o.results) / (o.out_name.empty() ? o.arch : o.out_name);
    fs::create_directories(out_dir);
    sources src;
    std::string series;
    // Before the guest runs, a failure judges nothing: summary.md says so.
    auto not_judged = [&](const std::string& s, const std::string& w) {
        auto r = fail(s, w);
        write_not_judged(context_of(o, src.tree, series, out_dir), r.reason);
        return r;
    };
    if (!patch_tree(o, src, series, step, why))
        return not_judged(step, why);

    auto image = build_image(o, src.tree, out_dir, why);
    if (!image)
        return not_judged("build", why);
    if (!need_debian(src, o, why))
        return not_judged("source", why);
    auto initrd = build_initramfs(o, *src.debian, *image, out_dir, step, why);
    if (!initrd)
        return not_judged(step, why);
    return boot_and_judge(o, context_of(o, src.tree, series, out_dir), *image, *initrd);
}

bool series_applies(options o, std::string& why) {
    o.project = fs::absolute(o.project);
    auto locks = lock_run(o);
    sources src;
    std::string series, step;
    return patch_tree(o, src, series, step, why);
}

} // namespace harness
