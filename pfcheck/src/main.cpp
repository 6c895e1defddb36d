// SPDX-License-Identifier: GPL-2.0-or-later
// pfcheck: judges whether a kernel's copy-on-write fault counters are right.
// Exit status: 0 every check passed, 1 some check failed, 2 usage error,
// 3 nothing could be judged (the syscalls are missing, say).
#include "abi.hpp"
#include "abi_test.hpp"
#include "fuzz.hpp"
#include "guest.hpp"
#include "oracle/oracle.hpp"
#include "run.hpp"
#include "stress.hpp"
#include "workloads/catalogue.hpp"
#include "workloads/executor.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <unistd.h>

namespace {

using namespace pfcheck;

constexpr int exit_failed = 1, exit_usage = 2, exit_cannot_judge = 3;

int cmd_list() {
    for (const auto& s : workloads::catalogue())
        std::printf("%-16s %s\n", s.name.c_str(), s.proves.c_str());
    return 0;
}

// The kernel model: the one asked for, else the running kernel's when it is a
// 4.x, 5.x or 6.x kernel with the syscalls; else nullopt, and why.
std::optional<oracle::kernel_model> explain_model(const std::string& asked, std::string& why) {
    if (!asked.empty())
        return oracle::model_named(asked);
    auto model = oracle::model_for_release(kernel_release());
    pfcheck::pf_stat probe{};
    if (!model)
        why = "this kernel (" + kernel_release() + ") is neither 4.x, 5.x nor 6.x";
    else if (pf_syscalls(default_numbers()).get_info("pfcheck_probe", &probe) == ENOSYS)
        why = "this kernel (" + kernel_release() + ") has no pf_* syscalls";
    else
        return model;
    return std::nullopt;
}

// Per VMA of the scenario's regions, as pf_get_info will report them for
// each tracked name: the VMAs of its last executed process (in slot pages),
// and the faults binned in each.
void print_records(const oracle::scenario& s, const oracle::prediction& p, bool pages) {
    for (const auto& [name, rec] : p.records) {
        std::printf("\npf_get_info(\"%s\"): cow_page_faults %ld (in the scenario's regions)%s\n",
                    name.c_str(), rec.total,
                    rec.reported ? "" : "; no process executed under it: nb_vma 0, zeros");
        if (!rec.reported)
            continue;
        std::printf("  layout of P%d%s:\n", *rec.reported, rec.left ? ", as it left it" : "");
        for (const auto& v : rec.vmas) {
            long n = 0;
            for (const auto& [site, k] : rec.faults)
                if (site.slot == v.slot && site.page >= v.first && site.page < v.last)
                    n += k;
            int region = v.slot < static_cast<int>(s.regions.size()) ? v.slot : -1;
            std::printf("    slot %d pages %4d-%-4d %s %-10s vma_fault %ld\n", v.slot, v.first,
                        v.last - 1, v.shared ? "rw-s" : (v.writable ? "rw-p" : "r--p"),
                        region >= 0 ? s.regions[region].name.c_str() : "", n);
        }
        if (!pages)
            continue;
        for (const auto& [site, k] : rec.faults)
            std::printf("      slot %d page %4d: %ld\n", site.slot, site.page, k);
    }
}

int cmd_explain(const std::string& name, const std::string& model_name, bool pages) {
    const auto* s = workloads::find(name);
    if (!s) {
        std::fprintf(stderr, "pfcheck: no scenario named '%s' (see `pfcheck list`)\n",
                     name.c_str());
        return exit_usage;
    }
    std::string why;
    auto model = explain_model(model_name, why);
    if (!model) {
        std::fprintf(stderr,
                     "pfcheck: %s: say which kernel to model with --model 4.15 or "
                     "--model 6.1\n",
                     why.c_str());
        return exit_usage;
    }
    auto p = oracle::predict(*s, *model);
    std::printf("%s: %s\nkernel model: %s\n\nregions:\n", s->name.c_str(), s->proves.c_str(),
                model->name.c_str());
    for (std::size_t i = 0; i < s->regions.size(); ++i)
        std::printf("  %zu %-8s %4d pages, %s%s\n", i, s->regions[i].name.c_str(),
                    s->regions[i].pages, oracle::to_string(s->regions[i].kind),
                    s->regions[i].prot == oracle::protection::read_only ? ", read-only" : "");
    std::printf("\ntimeline:\n");
    for (const auto& e : p.timeline)
        std::printf("  %3d  %s\n", e.step, e.text.c_str());
    for (const auto& err : p.errors)
        std::printf("  error: %s\n", err.c_str());
    std::printf("\nquery: %s\n", s->query == oracle::query_time::while_alive
                                     ? "while P0 lives"
                                     : "after every process exited");
    print_records(*s, p, pages);
    return p.errors.empty() ? 0 : exit_failed;
}

int cmd_tester(const pf_syscalls& sys, const std::string& op, const std::string& name) {
    int err = 0;
    if (op == "set_param") {
        err = sys.set_param(name);
    } else if (op == "cleanup") {
        err = sys.cleanup();
    } else if (op == "get_info") {
        pfcheck::pf_stat st{};
        err = sys.get_info(name, &st);
        if (!err) {
            std::printf("Number of VMA: %d\nNumber of COW faults: %ld\n", st.nb_vma,
                        st.cow_page_faults);
            int n = st.nb_vma < 0 ? 0 : (st.nb_vma > max_size ? max_size : st.nb_vma);
            for (int i = 0; i < n; ++i)
                std::printf("VMA %3d: start 0x%08lx end 0x%08lx size %8lu faults %ld\n", i,
                            st.vma_list_start[i], st.vma_list_end[i],
                            st.vma_list_end[i] - st.vma_list_start[i], st.vma_fault[i]);
            if (st.nb_vma != n)
                std::printf("warning: nb_vma %d is outside 0..%d\n", st.nb_vma, max_size);
        }
    } else {
        std::fprintf(stderr, "pfcheck tester: -o must be set_param, get_info or cleanup\n");
        return exit_usage;
    }
    if (err) {
        std::printf("Error: %s (%s)\n", tester_message(err).c_str(), errno_name(err).c_str());
        return exit_failed;
    }
    std::printf("%s: success\n", op.c_str());
    return 0;
}

int write_json(const std::string& path, const nlohmann::json& j) {
    if (path.empty())
        return 0;
    if (path == "-") {
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::ofstream out(path);
    out << j.dump(2) << "\n";
    if (!out) {
        std::fprintf(stderr, "pfcheck: cannot write %s\n", path.c_str());
        return exit_failed;
    }
    return 0;
}

// Under the course profile, a failure of one of pfcheck's own rules is
// advice: it is shown, and does not fail the run (docs/semantics.md).
bool counts(oracle::rule_source rule, const std::string& profile) {
    return profile != "course" || rule == oracle::rule_source::course;
}

int cmd_abi(const pf_syscalls& sys, const std::string& json_path, const std::string& profile) {
    auto rows = abi_test(sys, self_path(), "/tmp");
    int failed = 0, skipped = 0, advice = 0;
    for (const auto& r : rows) {
        bool bad = !r.pass && !r.skipped;
        failed += bad && counts(r.source, profile);
        advice += bad && !counts(r.source, profile);
        skipped += r.skipped;
        std::printf("%s %-70s expected %-6s got %s%s%s\n",
                    r.skipped ? "skip" : (r.pass ? "ok  " : "FAIL"), r.proves.c_str(),
                    r.expected_string().c_str(), r.got_string().c_str(), r.note.empty() ? "" : "  ",
                    r.note.c_str());
    }
    std::printf("%zu passed, %d failed, %d skipped%s\n", rows.size() - failed - skipped - advice,
                failed, skipped,
                advice ? (", " + std::to_string(advice) + " advice (pfcheck's rules)").c_str()
                       : "");
    if (int e = write_json(json_path, to_json(rows)))
        return e;
    bool enosys = std::any_of(rows.begin(), rows.end(), [](const abi_row& r) {
        return r.got_text.empty() && r.got == ENOSYS;
    });
    return enosys ? exit_cannot_judge : (failed ? exit_failed : 0);
}

int cmd_fuzz(const pf_syscalls& sys, const fuzz_options& fo, const std::string& json_path) {
    std::fprintf(stderr, "pfcheck fuzz: seed %llu, %ld calls, %d threads\n",
                 static_cast<unsigned long long>(fo.seed), fo.calls, fo.threads);
    auto f = run_fuzz(sys, fo);
    for (const auto& m : f.first_mismatches)
        std::printf("mismatch: %s\n", m.c_str());
    std::printf("seed %llu: %ld calls in %.1f s, %ld mismatches\n",
                static_cast<unsigned long long>(f.seed), f.calls, f.seconds, f.mismatches);
    if (int e = write_json(json_path, to_json(f)))
        return e;
    if (!f.fatal.empty() || f.by_result["ENOSYS"] == f.calls) {
        std::fprintf(stderr, "pfcheck: cannot fuzz: %s\n",
                     f.fatal.empty() ? "the syscalls are missing (ENOSYS)" : f.fatal.c_str());
        return exit_cannot_judge;
    }
    return f.mismatches ? exit_failed : 0;
}

int cmd_stress(const pf_syscalls& sys, stress_options so, bool final_round) {
    so.program = self_path();
    auto r = run_stress(sys, so);
    for (const auto& m : r.first_unexpected)
        std::printf("unexpected: %s\n", m.c_str());
    std::printf("%d processes, %.0f s: %s\n", r.processes, r.seconds, summary(r).c_str());
    if (!r.fatal.empty()) {
        std::fprintf(stderr, "pfcheck: %s\n", r.fatal.c_str());
        return exit_cannot_judge;
    }
    int failed = r.unexpected ? 1 : 0;
    if (final_round) {
        auto report = run_scenarios(sys, run_options{});
        int bad = report.failed();
        std::printf("final quiet round: %d scenarios passed, %d failed, %d skipped\n",
                    report.passed(), bad, report.skipped());
        failed += bad;
    }
    return failed ? exit_failed : 0;
}

int cmd_run(const pf_syscalls& sys, run_options ro, const std::string& model,
            const std::string& json_path, const std::string& profile) {
    if (!model.empty() && !(ro.model = oracle::model_named(model))) {
        std::fprintf(stderr, "pfcheck: no kernel model '%s': use 4.15 or 6.1\n", model.c_str());
        return exit_usage;
    }
    auto report = run_scenarios(sys, ro);
    if (int e = write_json(json_path, to_json(report)))
        return e;
    if (!report.fatal.empty()) {
        std::fprintf(stderr, "pfcheck: NOT JUDGED: %s\n", report.fatal.c_str());
        return exit_cannot_judge;
    }
    if (report.diagnosis)
        std::fprintf(stderr, "\n%s\n", to_text(*report.diagnosis).c_str());
    int failed = 0;
    for (const auto& v : report.verdicts) {
        const auto* s = workloads::find(v.scenario);
        bool bad = !v.pass && v.skipped.empty();
        if (bad && s && !counts(s->rule, profile))
            std::fprintf(stderr, "advice (pfcheck's rule, not the course's): %s fails\n",
                         v.scenario.c_str());
        else
            failed += bad;
    }
    std::fprintf(stderr, "%d passed, %d failed, %d skipped\n", report.passed(), failed,
                 report.skipped());
    return failed ? exit_failed : 0;
}

// Linux's own fault counters against the prediction, on any kernel: the
// scenarios run without the course's syscalls (--no-kernel's path).
int cmd_counters(const pf_syscalls& sys, run_options ro, const std::string& model,
                 const std::string& json_path) {
    if (!model.empty() && !(ro.model = oracle::model_named(model))) {
        std::fprintf(stderr, "pfcheck: no kernel model '%s': use 4.15 or 6.1\n", model.c_str());
        return exit_usage;
    }
    ro.no_kernel = ro.counters = ro.use_perf = true;
    auto report = run_scenarios(sys, ro);
    auto j = counters_json(report);
    for (const auto& t : report.counters)
        std::fputs(counters::to_text(t).c_str(), stdout);
    if (int e = write_json(json_path, j))
        return e;
    if (!report.fatal.empty()) {
        std::fprintf(stderr, "pfcheck: NOT JUDGED: %s\n", report.fatal.c_str());
        return exit_cannot_judge;
    }
    int findings = j["findings"];
    std::printf("kernel %s (era %s): %zu scenarios, %d findings, %d skipped\n",
                kernel_release().c_str(), j["era"].get<std::string>().c_str(),
                report.counters.size(), findings, j["skipped"].get<int>());
    return findings ? exit_failed : 0;
}

// Internal entry points: a scenario process, the permission test's idler, a
// stress worker, and pfcheck as a test guest's init. -1 when none applies.
int internal_entry(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "--scenario-process") == 0)
        return workloads::scenario_process_main(argc, argv);
    if (argc == 5 && std::strcmp(argv[1], "--idle") == 0)
        return idle_main(std::atoi(argv[2]), std::atoi(argv[3]), argv[4]);
    if (argc > 1 && std::strcmp(argv[1], "--stress-worker") == 0)
        return stress_worker_main(argc, argv);
    if (getpid() != 1)
        return -1;
    // The kernel passes what follows "--" on its command line: MODE [SCENARIO...]
    guest_options g;
    if (argc > 1)
        g.mode = argv[1];
    for (int i = 2; i < argc; ++i) {
        std::string word = argv[i];
        auto eq = word.find('=');
        if (eq == std::string::npos)
            g.scenarios.push_back(word);
        else
            g.params[word.substr(0, eq)] = word.substr(eq + 1);
    }
    g.dump_samples = getenv("PFCHECK_DUMP") != nullptr;
    syscall_numbers numbers = default_numbers();
    if (g.params.count("nr") && !parse_numbers(g.params["nr"], numbers))
        std::fprintf(stderr, "pfcheck-init: nr=%s is not three numbers: ignored\n",
                     g.params["nr"].c_str());
    return guest_main(g, pf_syscalls(numbers));
}

// glibc registers rseq at every process start: on 4.x with the course's
// numbers that is a call to syscall 386, pf_get_info. Turn it off for pfcheck
// and every process it starts, once, by executing itself again.
void without_rseq(char** argv) {
    const char* t = std::getenv("GLIBC_TUNABLES");
    if (t && std::strstr(t, "glibc.pthread.rseq=0"))
        return;
    std::string value = std::string(t ? t : "") + (t && *t ? ":" : "") + "glibc.pthread.rseq=0";
    setenv("GLIBC_TUNABLES", value.c_str(), 1);
    execv("/proc/self/exe", argv); // on failure, go on as we are
}

// The command line: each subcommand's options in a struct of its own, and
// its command run by its callback once the line is parsed.
struct cli_state {
    std::string nr, profile = "strict";
    int code = exit_usage;

    // The syscalls, at --nr's numbers or the defaults; nullopt (and a message)
    // when --nr is not three numbers.
    std::optional<pf_syscalls> syscalls() const {
        syscall_numbers numbers = default_numbers();
        if (!nr.empty() && !parse_numbers(nr, numbers)) {
            std::fprintf(stderr, "pfcheck: --nr takes three numbers, like 385,386,387\n");
            return std::nullopt;
        }
        return pf_syscalls(numbers);
    }
    // Runs `fn` with the syscalls, keeping its exit status.
    template <typename F> void with_syscalls(F fn) {
        if (auto sys = syscalls())
            code = fn(*sys);
    }
};

const char* const model_help = "kernel to model: 4.15 or 6.1 (default: the running kernel's)";
const std::vector<std::string> model_names = {"4.15", "6.1", "linux-4.15", "linux-6.1"};

void add_explain(CLI::App& app, cli_state& st) {
    struct opts {
        std::string name, model;
        bool pages = false;
    };
    auto o = std::make_shared<opts>();
    auto* sub = app.add_subcommand(
        "explain", "print a scenario's timeline and what pf_get_info must report, per VMA");
    sub->add_option("scenario", o->name, "scenario name")->required();
    sub->add_flag("--pages", o->pages, "also the faults of each page");
    sub->add_option("--model", o->model, model_help)->check(CLI::IsMember(model_names));
    sub->callback([&st, o] { st.code = cmd_explain(o->name, o->model, o->pages); });
}

void add_run(CLI::App& app, cli_state& st) {
    struct opts {
        run_options ro;
        std::string json, model;
        bool no_perf = false;
    };
    auto o = std::make_shared<opts>();
    auto* sub = app.add_subcommand("run", "run scenarios and judge the kernel's counters");
    sub->add_option("--scenario,-s", o->ro.scenarios, "run only this scenario (repeatable)");
    sub->add_option("--json", o->json, "write the verdicts as JSON to FILE (- for stdout)");
    sub->add_flag("--no-perf", o->no_perf, "do not use perf as a witness");
    sub->add_option("--workdir", o->ro.workdir, "writable directory for scenario links");
    sub->add_flag("--verbose,-v", o->ro.verbose, "print every verdict's table, not only failures");
    sub->add_flag("--dump-samples", o->ro.dump_samples,
                  "print the perf samples of failed scenarios");
    sub->add_flag("--no-kernel", o->ro.no_kernel,
                  "do not call the syscalls: compare the oracle with perf only (any kernel)");
    sub->add_option("--model", o->model, model_help)->check(CLI::IsMember(model_names));
    sub->callback([&st, o] {
        o->ro.use_perf = !o->no_perf;
        st.with_syscalls([&](const pf_syscalls& sys) {
            return cmd_run(sys, o->ro, o->model, o->json, st.profile);
        });
    });
}

void add_counters(CLI::App& app, cli_state& st) {
    struct opts {
        run_options ro;
        std::string json, model;
    };
    auto o = std::make_shared<opts>();
    auto* sub = app.add_subcommand(
        "counters", "Linux's own fault counters (min_flt, maj_flt, /proc/vmstat, perf's "
                    "software events) against the prediction, per scenario; any kernel, no "
                    "syscalls needed (docs/counters.md)");
    sub->add_option("--scenario,-s", o->ro.scenarios, "run only this scenario (repeatable)");
    sub->add_option("--json", o->json, "write the tables as JSON to FILE (- for stdout)");
    sub->add_option("--workdir", o->ro.workdir, "writable directory for scenario links");
    sub->add_option("--model", o->model, model_help)->check(CLI::IsMember(model_names));
    sub->callback([&st, o] {
        st.with_syscalls(
            [&](const pf_syscalls& sys) { return cmd_counters(sys, o->ro, o->model, o->json); });
    });
}

void add_abi(CLI::App& app, cli_state& st) {
    auto json = std::make_shared<std::string>();
    auto* sub = app.add_subcommand("abi-test",
                                   "check every errno and the permission rule (resets tracking)");
    sub->add_option("--json", *json, "write the rows as JSON to FILE (- for stdout)");
    sub->callback([&st, json] {
        st.with_syscalls([&](const pf_syscalls& sys) { return cmd_abi(sys, *json, st.profile); });
    });
}

void add_fuzz(CLI::App& app, cli_state& st) {
    struct opts {
        fuzz_options fo;
        std::string json;
    };
    auto o = std::make_shared<opts>();
    auto* sub = app.add_subcommand(
        "fuzz", "hostile calls from several threads, each checked against the errno table "
                "(resets tracking)");
    sub->add_option("--seed", o->fo.seed, "random seed (the default makes runs reproducible)")
        ->capture_default_str();
    sub->add_option("--calls", o->fo.calls, "number of calls")->capture_default_str();
    sub->add_option("--threads", o->fo.threads, "threads calling at once")->capture_default_str();
    sub->add_option("--json", o->json, "write the report as JSON to FILE (- for stdout)");
    sub->callback([&st, o] {
        st.with_syscalls([&](const pf_syscalls& sys) { return cmd_fuzz(sys, o->fo, o->json); });
    });
}

void add_stress(CLI::App& app, cli_state& st) {
    struct opts {
        stress_options so;
        bool no_final_round = false;
    };
    auto o = std::make_shared<opts>();
    auto* sub = app.add_subcommand(
        "stress", "race tracked processes against the syscalls, then run the scenarios quietly "
                  "(resets tracking)");
    sub->add_option("--seconds", o->so.seconds, "how long the race lasts")->capture_default_str();
    sub->add_option("--processes", o->so.processes, "tracked worker processes")
        ->capture_default_str();
    sub->add_option("--threads", o->so.caller_threads, "threads calling the syscalls")
        ->capture_default_str();
    sub->add_flag("--no-final-round", o->no_final_round,
                  "skip the quiet round of scenarios after the race");
    sub->add_option("--workdir", o->so.workdir, "writable directory for the workers' links")
        ->capture_default_str();
    sub->callback([&st, o] {
        st.with_syscalls(
            [&](const pf_syscalls& sys) { return cmd_stress(sys, o->so, !o->no_final_round); });
    });
}

void add_tester(CLI::App& app, cli_state& st) {
    struct opts {
        std::string op, name;
    };
    auto o = std::make_shared<opts>();
    auto* sub = app.add_subcommand("tester", "the course's tester: -o OP -p NAME");
    sub->add_option("-o", o->op, "set_param, get_info or cleanup")->required();
    sub->add_option("-p", o->name, "process name");
    sub->callback([&st, o] {
        st.with_syscalls([&](const pf_syscalls& sys) { return cmd_tester(sys, o->op, o->name); });
    });
}

} // namespace

int main(int argc, char** argv) {
    if (int code = internal_entry(argc, argv); code >= 0)
        return code;
    without_rseq(argv);

    CLI::App app{"pfcheck: checks a kernel's copy-on-write fault counters (pf_set_param, "
                 "pf_get_info, pf_cleanup) against an oracle and perf"};
    app.require_subcommand(1);
    cli_state st;
    app.add_option("--nr", st.nr,
                   "syscall numbers set_param,get_info,cleanup (default: from the kernel "
                   "release and this binary's architecture)");
    app.add_option("--profile", st.profile,
                   "course: only the course's rules fail a run, pfcheck's own are advice; "
                   "strict: both")
        ->check(CLI::IsMember({"course", "strict"}))
        ->capture_default_str();
    app.add_subcommand("list", "list the scenarios, with what each proves")->callback([&st] {
        st.code = cmd_list();
    });
    add_explain(app, st);
    add_run(app, st);
    add_counters(app, st);
    add_abi(app, st);
    add_fuzz(app, st);
    add_stress(app, st);
    add_tester(app, st);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : exit_usage;
    }
    return st.code;
}
