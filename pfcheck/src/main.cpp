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
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <unistd.h>

namespace {

using namespace pfcheck;

constexpr int exit_failed = 1, exit_usage = 2, exit_cannot_judge = 3;

int cmd_list() {
    for (const auto& s : workloads::catalogue())
        std::printf("%-16s %s\n", s.name.c_str(), s.proves.c_str());
    return 0;
}

int cmd_explain(const std::string& name, const std::string& model_name) {
    const auto* s = workloads::find(name);
    if (!s) {
        std::fprintf(stderr, "pfcheck: no scenario named '%s' (see `pfcheck list`)\n",
                     name.c_str());
        return exit_usage;
    }
    auto model = model_name.empty() ? oracle::model_for_release(kernel_release())
                                    : oracle::model_for_release(model_name);
    auto p = oracle::predict(*s, model);
    std::printf("%s: %s\nkernel model: %s\n\nregions:\n", s->name.c_str(), s->proves.c_str(),
                model.name.c_str());
    for (std::size_t i = 0; i < s->regions.size(); ++i)
        std::printf("  %zu %-8s %4d pages, %s%s\n", i, s->regions[i].name.c_str(),
                    s->regions[i].pages, oracle::to_string(s->regions[i].kind),
                    s->regions[i].prot == oracle::protection::read_only ? ", read-only" : "");
    std::printf("\ntimeline:\n");
    for (const auto& e : p.timeline)
        std::printf("  %3d  %s\n", e.step, e.text.c_str());
    std::printf("\npredicted CoW faults in the scenario's regions: %ld\n", p.total);
    for (const auto& [site, n] : p.faults)
        std::printf("  slot %d page %4d: %ld\n", site.slot, site.page, n);
    for (const auto& err : p.errors)
        std::printf("  error: %s\n", err.c_str());
    std::printf("query: %s\n", s->query == oracle::query_time::while_alive
                                   ? "while P0 lives"
                                   : "after every process exited");
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

} // namespace

int main(int argc, char** argv) {
    // Internal entry points: a scenario process, and the permission test's idler.
    if (argc > 1 && std::strcmp(argv[1], "--scenario-process") == 0)
        return workloads::scenario_process_main(argc, argv);
    if (argc == 4 && std::strcmp(argv[1], "--idle") == 0)
        return idle_main(std::atoi(argv[2]), std::atoi(argv[3]));
    if (argc > 1 && std::strcmp(argv[1], "--stress-worker") == 0)
        return stress_worker_main(argc, argv);
    if (getpid() == 1) {
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

    CLI::App app{"pfcheck: checks a kernel's copy-on-write fault counters (pf_set_param, "
                 "pf_get_info, pf_cleanup) against an oracle and perf"};
    app.require_subcommand(1);
    std::string nr;
    app.add_option("--nr", nr,
                   "syscall numbers set_param,get_info,cleanup (default: from the kernel "
                   "release and this binary's architecture)");

    auto* list = app.add_subcommand("list", "list the scenarios, with what each proves");
    std::string explain_name, explain_model;
    auto* explain = app.add_subcommand("explain", "print the page-by-page timeline of a scenario");
    explain->add_option("scenario", explain_name, "scenario name")->required();
    explain->add_option("--model", explain_model, "kernel release to model, e.g. 4.15 or 6.1");

    run_options ro;
    std::string run_json;
    auto* run = app.add_subcommand("run", "run scenarios and judge the kernel's counters");
    run->add_option("--scenario,-s", ro.scenarios, "run only this scenario (repeatable)");
    run->add_option("--json", run_json, "write the verdicts as JSON to FILE (- for stdout)");
    run->add_flag("!--no-perf", ro.use_perf, "do not use perf as a witness");
    run->add_option("--workdir", ro.workdir, "writable directory for scenario links");
    run->add_flag("--verbose,-v", ro.verbose, "print every verdict's table, not only failures");
    run->add_flag("--dump-samples", ro.dump_samples, "print the perf samples of failed scenarios");
    run->add_flag("--no-kernel", ro.no_kernel,
                  "do not call the syscalls: compare the oracle with perf only (any kernel)");

    std::string abi_json_path;
    auto* abi = app.add_subcommand("abi-test",
                                   "check every errno and the permission rule (resets tracking)");
    abi->add_option("--json", abi_json_path, "write the rows as JSON to FILE (- for stdout)");

    fuzz_options fo;
    std::string fuzz_json;
    auto* fuzz = app.add_subcommand(
        "fuzz", "hostile calls from several threads, each checked against the errno table "
                "(resets tracking)");
    fuzz->add_option("--seed", fo.seed, "random seed (the default makes runs reproducible)")
        ->capture_default_str();
    fuzz->add_option("--calls", fo.calls, "number of calls")->capture_default_str();
    fuzz->add_option("--threads", fo.threads, "threads calling at once")->capture_default_str();
    fuzz->add_option("--json", fuzz_json, "write the report as JSON to FILE (- for stdout)");

    stress_options so;
    bool final_round = true;
    auto* stress = app.add_subcommand(
        "stress", "race tracked processes against the syscalls, then run the scenarios quietly "
                  "(resets tracking)");
    stress->add_option("--seconds", so.seconds, "how long the race lasts")->capture_default_str();
    stress->add_option("--processes", so.processes, "tracked worker processes")
        ->capture_default_str();
    stress->add_option("--threads", so.caller_threads, "threads calling the syscalls")
        ->capture_default_str();
    stress->add_flag("!--no-final-round", final_round,
                     "skip the quiet round of scenarios after the race");
    stress->add_option("--workdir", so.workdir, "writable directory for the workers' links")
        ->capture_default_str();

    std::string op, name;
    auto* tester = app.add_subcommand("tester", "the course's tester: -o OP -p NAME");
    tester->add_option("-o", op, "set_param, get_info or cleanup")->required();
    tester->add_option("-p", name, "process name");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : exit_usage;
    }

    syscall_numbers numbers = default_numbers();
    if (!nr.empty() && !parse_numbers(nr, numbers)) {
        std::fprintf(stderr, "pfcheck: --nr takes three numbers, like 385,386,387\n");
        return exit_usage;
    }
    pf_syscalls sys(numbers);

    if (*list)
        return cmd_list();
    if (*explain)
        return cmd_explain(explain_name, explain_model);
    if (*tester)
        return cmd_tester(sys, op, name);
    if (*abi) {
        auto rows = abi_test(sys, self_path(), "/tmp");
        int failed = 0, skipped = 0;
        for (const auto& r : rows) {
            failed += !r.pass && !r.skipped;
            skipped += r.skipped;
            std::printf("%s %-70s expected %-6s got %s%s%s\n",
                        r.skipped ? "skip" : (r.pass ? "ok  " : "FAIL"), r.proves.c_str(),
                        errno_name(r.expected).c_str(), errno_name(r.got).c_str(),
                        r.note.empty() ? "" : "  ", r.note.c_str());
        }
        std::printf("%zu passed, %d failed, %d skipped\n", rows.size() - failed - skipped, failed,
                    skipped);
        if (int e = write_json(abi_json_path, to_json(rows)))
            return e;
        bool enosys = !rows.empty() && rows[1].got == ENOSYS;
        return enosys ? exit_cannot_judge : (failed ? exit_failed : 0);
    }
    if (*fuzz) {
        std::fprintf(stderr, "pfcheck fuzz: seed %llu, %ld calls, %d threads\n",
                     static_cast<unsigned long long>(fo.seed), fo.calls, fo.threads);
        auto f = run_fuzz(sys, fo);
        for (const auto& m : f.first_mismatches)
            std::printf("mismatch: %s\n", m.c_str());
        std::printf("seed %llu: %ld calls in %.1f s, %ld mismatches\n",
                    static_cast<unsigned long long>(f.seed), f.calls, f.seconds, f.mismatches);
        if (int e = write_json(fuzz_json, to_json(f)))
            return e;
        if (!f.fatal.empty() || f.by_result["ENOSYS"] == f.calls) {
            std::fprintf(stderr, "pfcheck: cannot fuzz: %s\n",
                         f.fatal.empty() ? "the syscalls are missing (ENOSYS)" : f.fatal.c_str());
            return exit_cannot_judge;
        }
        return f.mismatches ? exit_failed : 0;
    }
    if (*stress) {
        so.program = self_path();
        auto r = run_stress(sys, so);
        for (const auto& m : r.first_unexpected)
            std::printf("unexpected: %s\n", m.c_str());
        std::printf("%d processes, %.0f s: %ld forks, %ld execs, %ld pages written, %ld calls, "
                    "%ld unexpected\n",
                    r.processes, r.seconds, r.forks, r.execs, r.pages_written, r.calls,
                    r.unexpected);
        if (!r.fatal.empty()) {
            std::fprintf(stderr, "pfcheck: %s\n", r.fatal.c_str());
            return exit_cannot_judge;
        }
        int failed = r.unexpected ? 1 : 0;
        if (final_round) {
            run_options quiet;
            auto report = run_scenarios(sys, quiet);
            int bad = report.failed();
            std::printf("final quiet round: %d scenarios passed, %d failed, %d skipped\n",
                        report.passed(), bad, report.skipped());
            failed += bad;
        }
        return failed ? exit_failed : 0;
    }
    if (*run) {
        auto report = run_scenarios(sys, ro);
        if (int e = write_json(run_json, to_json(report)))
            return e;
        if (!report.fatal.empty()) {
            std::fprintf(stderr, "pfcheck: %s\n", report.fatal.c_str());
            return exit_cannot_judge;
        }
        int failed = report.failed();
        std::fprintf(stderr, "%d passed, %d failed, %d skipped\n", report.passed(), failed,
                     report.skipped());
        return failed ? exit_failed : 0;
    }
    return exit_usage;
}
