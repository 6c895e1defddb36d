// SPDX-License-Identifier: GPL-2.0-or-later
// pfcheck-harness: from kernel source to a verdict. Prepares the tree, applies
// the patch series, builds a minimal kernel and the static guest program, boots
// it under QEMU, and writes what came back under results/.
// Exit status: exit_codes.hpp.
#include "bench_plan.hpp"
#include "exit_codes.hpp"
#include "files.hpp"
#include "grading.hpp"
#include "kernel_tree.hpp"
#include "lock.hpp"
#include "marks.hpp"
#include "mutants.hpp"
#include "pipeline.hpp"
#include "process.hpp"
#include "qemu.hpp"
#include "submission.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

namespace fs = std::filesystem;
using namespace harness;

namespace {

// Builds and runs one mutant, and judges it.
mutant_row run_one(const options& o, const mutant& m, const std::string& base_name) {
    say("mutant", m.name + ": " + m.description);
    options mo = options_for(o, m, base_name);
    auto start = std::chrono::steady_clock::now();
    auto res = run_all(mo);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto row = judge_mutant(m, run_on(mo), res, seconds);
    say("mutant", m.name + ": " + outcome_text(row));
    return row;
}

// Puts the tree back to the plain series, so the next build is the real one.
void restore_series(const options& o) {
    std::string why;
    run_lock tree(o.cache / "locks" / "tree-debian-6.1.lock", "the kernel tree debian-6.1");
    if (auto t = debian_tree(o.cache, why))
        apply_series(*t, fs::absolute(o.project) / "patch" / "linux-6.1", why);
}

// Whether each mutant still applies to the series as it is (a change to the
// series can break one silently until it runs): git am only. 0 when all do.
int check_mutants_apply(const options& o, const std::vector<mutant>& mutants) {
    int broken = 0;
    for (const auto& m : mutants) {
        std::string why;
        bool applies = series_applies(options_for(o, m, "mutants"), why);
        broken += !applies;
        say("mutant", m.name + (applies ? ": applies" : ": DOES NOT APPLY: " + why));
    }
    restore_series(o);
    std::printf("%zu mutants apply, %d do not\n", mutants.size() - broken, broken);
    return broken ? exit_code::failed : exit_code::passed;
}

// Each mutant on top of the 6.1 series must be caught, with the diagnosis
// its patch announces. Writes results/mutants/summary.{md,csv,tex} and state.json.
int run_mutants(const options& o, const std::vector<std::string>& only) {
    fs::path dir = fs::absolute(o.project) / "patch" / "mutants";
    auto mutants = select_mutants(dir, only);
    if (mutants.empty()) {
        std::fprintf(stderr, "pfcheck-harness: no mutants selected in %s\n", dir.c_str());
        return exit_code::usage;
    }
    if (o.apply_only)
        return check_mutants_apply(o, mutants);
    std::string base_name = o.out_name.empty() ? "mutants" : o.out_name;
    std::vector<mutant_row> rows;
    for (const auto& m : mutants)
        rows.push_back(run_one(o, m, base_name));
    restore_series(o);

    fs::path out = fs::absolute(o.results) / base_name;
    fs::create_directories(out);
    return write_summary(out, merge_state(out / "state.json", std::move(rows), only, dir));
}

// The insn_marks plugin beside this harness (build/host/libinsn_marks.so).
fs::path default_plugin() {
    std::error_code ec;
    fs::path self = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path("libinsn_marks.so") : self.parent_path() / "libinsn_marks.so";
}

// A marks boot that could not be made: its report.json says why, so that no
// earlier run's figures stand in its place and the report says UNAVAILABLE.
void write_marks_unavailable(const options& o, const fs::path& out_dir, const std::string& why) {
    fs::remove_all(out_dir);
    fs::create_directories(out_dir);
    nlohmann::json run = {{"arch", o.arch},
                          {"accel", o.accel},
                          {"mode", "bench"},
                          {"cpus", o.cpus},
                          {"verdict", "not judged"},
                          {"reason", why},
                          {"guest_time", "insn_marks plugin (unavailable)"},
                          {"commit", project_commit(o.project)},
                          {"written", now_utc()}};
    std::ofstream(out_dir / "report.json") << nlohmann::json{{"run", run}}.dump(1) << "\n";
    amend_report_file(out_dir / "report.json", plugin_log_in(out_dir), why);
}

// The overhead benchmarks (bench_plan.hpp): the kernel under test, its
// vanilla base and pfcheck's reference series on that base, from the same
// config fragments, each booted under -icount (guest time counts
// instructions: repeatable) and on plain TCG (wall clock); on two or more
// vCPUs also with the insn_marks plugin (marks: guest instructions per vCPU
// between pfbench's marks, docs/two-vcpu.md). Writes
// results/bench/DIR/{icount,wall,marks}-{vanilla,patched,reference}/report.json,
// DIR being the architecture for Debian's 6.1, ARCH-<KSRC's name> otherwise.
// `timings`: the ones to run (empty: all).
int run_bench(options o, int repetitions, const fs::path& base,
              const std::vector<std::string>& timings, fs::path plugin) {
    bench_request req{.series = o.series.string(), .project = fs::absolute(o.project)};
    if (!o.ksrc.empty())
        req.ksrc = facts_of(o.ksrc);
    if (!base.empty())
        req.base = facts_of(base);
    auto plan = plan_bench(req);
    if (!plan.refused.empty()) {
        std::fprintf(stderr, "pfcheck-harness: bench: refused: %s\n", plan.refused.c_str());
        return exit_code::usage;
    }
    if (!plan.note.empty())
        say("bench", plan.note);
    std::string dir = o.arch + (o.ksrc.empty() ? "" : "-" + req.ksrc->path.filename().string());
    // Two or more CPUs: SMP kernels, built apart, their figures apart.
    if (o.cpus > 1) {
        dir += "-smp" + std::to_string(o.cpus);
        o.variant = o.variant == "default" ? "smp" : o.variant + "-smp";
        o.fragments.push_back(fs::absolute(o.project) / "harness" / "kconfig" / "smp.config");
    }
    int worst = 0;
    // Each kernel under both timings in turn: a kernel is built once. Under
    // icount the vanilla kernel boots twice: a zero spread is believed only
    // when the two boots agree (report's evidence_rule).
    struct boot {
        const char* timing;
        const char* suffix;
    };
    // Two vCPUs: instructions counted by the insn_marks plugin, (a) booted
    // twice, as under icount (their spread is not zero: multi-threaded TCG).
    std::vector<boot> boots = {{"icount", ""}, {"icount", "-again"}, {"wall", ""}};
    if (o.cpus > 1)
        boots.insert(boots.end(), {{"marks", ""}, {"marks", "-again"}});
    auto wanted = [&](const std::string& t) {
        return timings.empty() || std::find(timings.begin(), timings.end(), t) != timings.end();
    };
    if (plugin.empty())
        plugin = default_plugin();
    std::string no_plugin;
    if (o.cpus > 1 && wanted("marks")) {
        std::error_code ec;
        plugin = fs::absolute(plugin);
        if (!fs::is_regular_file(plugin, ec))
            no_plugin =
                "the insn_marks plugin is not at " + plugin.string() + " (make host builds it)";
    }
    // A kernel that cannot boot on these vCPUs under icount (4.15 i386 hangs
    // bringing up its second one) gives wall-clock figures only.
    std::string icount_hangs;
    for (const auto& k : plan.kernels)
        for (boot b : boots) {
            if (*b.suffix && k.role != "vanilla")
                continue;
            if (!wanted(b.timing))
                continue;
            const std::string out_name = "bench/" + dir + "/" + b.timing + "-" + k.role + b.suffix;
            const fs::path out_dir = fs::absolute(o.results) / out_name;
            const bool icount = std::string(b.timing) == "icount";
            const bool marks = std::string(b.timing) == "marks";
            if (marks && !no_plugin.empty()) {
                say("bench", k.role + ": marks figures UNAVAILABLE: " + no_plugin);
                write_marks_unavailable(o, out_dir, no_plugin);
                worst = std::max(worst, static_cast<int>(exit_code::not_judged));
                continue;
            }
            if (icount && !icount_hangs.empty()) {
                say("bench", k.role + ": no icount boot (UNAVAILABLE: " + icount_hangs + ")");
                fs::remove_all(o.results / out_name); // no earlier run's figures in its place
                continue;
            }
            say("bench", k.role + ": " + k.what + ", guest time: " + b.timing + b.suffix + ", " +
                             std::to_string(o.cpus) + " vCPU");
            options bo = o;
            bo.mode = run_mode::bench;
            bo.params = o.params; // the guest's own: configs=, filter= (a diagnosis by hand)
            bo.params.push_back("reps=" + std::to_string(repetitions));
            if (icount) // the TSC counts guest instructions; the kernel's clock scales them
                bo.params.push_back("clock=tsc");
            if (marks) {
                bo.params.push_back("clock=marks");
                bo.plugin = plugin;
            }
            bo.ksrc = k.ksrc;
            bo.series = k.series.empty() ? fs::path("none") : k.series;
            bo.pristine = k.pristine;
            bo.icount = icount;
            bo.out_name = out_name;
            auto r = run_all(bo);
            if (marks) {
                // QEMU refused the plugin, or no report from the guest:
                // nothing to count, whatever the log holds.
                std::string refused = plugin_load_error(read_text(out_dir / "console.log"));
                std::string why = amend_report_file(out_dir / "report.json", plugin_log_in(out_dir),
                                                    !refused.empty() ? refused
                                                    : r.c.judged     ? ""
                                                                     : "no report: " + r.reason);
                if (!why.empty()) {
                    say("bench", k.role + ": marks figures UNAVAILABLE: " + why);
                    worst = std::max(worst, static_cast<int>(exit_code::not_judged));
                } else {
                    say("bench", k.role + ": instructions per CoW fault counted (" +
                                     (out_dir / "report.json").string() + ")");
                }
            }
            if (icount && o.cpus > 1 && r.reason.find(hung_booting) != std::string::npos) {
                // Said loudly, and not a failure of the kernels: wall clock goes on.
                icount_hangs = "the " + k.role + " kernel hung booting on " +
                               std::to_string(o.cpus) + " vCPUs under -icount";
                say("bench", k.role + ": icount figures UNAVAILABLE (" + icount_hangs + ")");
                continue;
            }
            if (r.code != 0) {
                std::fprintf(stderr,
                             "pfcheck-harness: bench: the %s kernel (%s%s) gave no figures: %s\n",
                             k.role.c_str(), b.timing, b.suffix, r.reason.c_str());
                worst = std::max(worst, r.code);
            }
        }
    say("bench", "figures under " + (fs::absolute(o.results) / "bench" / dir).string() +
                     "; `make report` turns them into tables and plots");
    return worst;
}

// The options every subcommand takes: where the kernel comes from, what
// runs in the guest, where results and caches go.
void add_common_options(CLI::App* sub, options& o) {
    std::vector<std::string> mode_words;
    for (const auto& [word, mode] : modes_by_word())
        mode_words.push_back(word);
    sub->add_option("--arch", o.arch, "i386 (the course's) or x86_64")
        ->check(CLI::IsMember({"i386", "x86_64"}));
    sub->add_option_function<std::string>(
           "--mode", [&](const std::string& w) { o.mode = modes_by_word().at(w); },
           "check: errno table and scenarios; verify: scenarios; abi: errno table; "
           "bench: benchmarks; debug: errno table, fuzzer, race stress, scenarios, "
           "kmemleak; counters: Linux's own fault counters against the prediction (any "
           "kernel, no syscalls)")
        ->check(CLI::IsMember(mode_words));
    sub->add_option("--ksrc", o.ksrc, "a kernel tree of your own instead of Debian's 6.1");
    sub->add_option("--series", o.series,
                    "patch directory to apply; 'none': the tree as it is; 'reference': "
                    "pfcheck's series for the tree's version (default: none when --ksrc "
                    "already wires up the course's syscalls, else the reference series; "
                    "submission: the commits of --ksrc on its base)");
    sub->add_option("--profile", o.profile,
                    "strict: every rule counts (default; submission: course); course: only "
                    "the course's rules count, pfcheck's stricter ones are advice")
        ->check(CLI::IsMember({"strict", "course"}));
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
    sub->add_option("--param", o.params,
                    "KEY=VALUE for the guest: calls=N seed=N seconds=N (debug), reps=N (bench)");
    sub->add_option("--variant", o.variant, "build directory variant (e.g. debug)")
        ->capture_default_str();
    sub->add_option("--smp", o.cpus, "guest CPUs")->capture_default_str();
    sub->add_option("--slot", o.slot,
                    "a job slot of its own (grade --jobs): slot K > 0 builds on its own "
                    "copy of the kernel tree and its own build directories")
        ->check(CLI::NonNegativeNumber);
    sub->add_option("--qemu", o.qemu, "the QEMU program (default: qemu-system-ARCH)");
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
        "bench", "fault-path overhead: a kernel against its vanilla base and pfcheck's "
                 "reference series, under icount and wall clock");
    int repetitions = 5;
    bench->add_option("--repetitions", repetitions, "repetitions of each benchmark")
        ->capture_default_str();
    fs::path bench_base;
    std::vector<std::string> bench_timings;
    bench
        ->add_option("--timing", bench_timings,
                     "only these timings (repeatable): icount, wall, marks (two or more vCPUs: "
                     "the insn_marks plugin); default: all")
        ->check(CLI::IsMember({"icount", "wall", "marks"}));
    fs::path bench_plugin;
    bench->add_option("--plugin", bench_plugin,
                      "the insn_marks plugin (default: libinsn_marks.so beside this harness)");
    bench->add_option("--base", bench_base,
                      "the vanilla tree --ksrc is measured against (needed when --ksrc is taken "
                      "as it is, SERIES=none; default: --ksrc itself, without the series)");
    auto* submission = app.add_subcommand(
        "submission", "check your 4.15 series as the course will (git am onto vanilla 4.15, "
                      "build, boot, every check), then write patch.tar.gz (patch/*.patch + your "
                      "report)");
    submission_request sub_req;
    submission->add_option("--report", sub_req.report, "your report: .pdf or .txt (required)");
    submission->add_option("--output", sub_req.archive, "the archive to write")
        ->capture_default_str();
    submission->add_option("--base", sub_req.base,
                           "the vanilla 4.15 base: a commit of --ksrc (default: its root "
                           "commit), or a vanilla tree's path");
    submission->add_flag("--prepare-only", sub_req.prepare_only,
                         "check the request and stage the patches, build nothing, write no "
                         "archive");
    auto* grade = app.add_subcommand(
        "grade", "grade a class: every SUBMISSIONS/*.tar.gz unpacked safely, applied to the "
                 "vanilla base (--ksrc; default Debian's 6.1), built, booted and judged by the "
                 "course's rules; feedback.md and result.json each, grades.{md,csv} and class.md");
    grade_request grade_req{.out = "results/grade", .rubric_file = "grading/rubric.json"};
    grade->add_option("--submissions", grade_req.submissions, "a directory of *.tar.gz")
        ->required();
    grade->add_option("--rubric", grade_req.rubric_file, "the rubric")->capture_default_str();
    grade->add_option("--output", grade_req.out, "where the grades go")->capture_default_str();
    grade
        ->add_option("--engine", grade_req.engine,
                     "local: here, --jobs at once; slurm: one sbatch array job, a task "
                     "per submission (SLURM_CONF: grading/slurm-local.sh)")
        ->check(CLI::IsMember({"local", "slurm"}))
        ->capture_default_str();
    grade->add_option("--one", grade_req.one, "grade only this archive (what a Slurm task runs)");
    grade
        ->add_option("--jobs", grade_req.jobs,
                     "submissions at once on this machine, each in a job slot of its own "
                     "(its own copy of the kernel tree: a first build per slot)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    std::vector<std::string> only;
    mutants->add_option("--mutant", only, "only these mutants (file stems)");
    mutants->add_flag("--apply-only", o.apply_only,
                      "only check that each mutant applies to the series (no build, no boot)");
    for (auto* sub : {run, mutants, bench, submission, grade})
        add_common_options(sub, o);
    run->add_option("--extra-patch", o.extra_patches,
                    "a patch to apply after the series (repeatable)");
    run->add_flag("--icount", o.icount,
                  "QEMU -icount shift=0,sleep=off: guest time counts guest instructions");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? exit_code::passed : exit_code::usage;
    }
    if (*run)
        return run_all(o).code;
    if (*mutants)
        return run_mutants(o, only);
    if (*bench)
        return run_bench(o, repetitions, bench_base, bench_timings, bench_plugin);
    if (*grade) {
        grade_req.base = o.ksrc.empty() ? fs::path() : fs::absolute(o.ksrc);
        grade_req.submissions = fs::absolute(grade_req.submissions);
        grade_req.out = fs::absolute(grade_req.out);
        grade_req.rubric_file = fs::absolute(o.project) / grade_req.rubric_file;
        grade_req.commit = project_commit(o.project);
        if (!grade_req.one.empty())
            grade_req.one = fs::absolute(grade_req.one);
        // A Slurm task runs this same harness with the same options.
        grade_req.task_command = {fs::read_symlink("/proc/self/exe").string(),
                                  "grade",
                                  "--engine=local",
                                  "--submissions=" + grade_req.submissions.string(),
                                  "--output=" + grade_req.out.string(),
                                  "--rubric=" + grade_req.rubric_file.string(),
                                  "--project=" + fs::absolute(o.project).string(),
                                  "--cache=" + fs::absolute(o.cache).string(),
                                  "--arch=" + o.arch,
                                  "--accel=" + o.accel,
                                  "--timeout=" + std::to_string(o.timeout)};
        if (!o.ksrc.empty())
            grade_req.task_command.push_back("--ksrc=" + grade_req.base.string());
        return run_grade(grade_req, o, run_all);
    }
    if (*submission) {
        // The course grades by its own rules: pfcheck's are advice unless asked for.
        if (submission->get_option("--profile")->count() == 0)
            o.profile = "course";
        sub_req.ksrc = o.ksrc;
        sub_req.series = o.series.string();
        return run_submission(sub_req, o, run_all);
    }
    return exit_code::usage;
}
