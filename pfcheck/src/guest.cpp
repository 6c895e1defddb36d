// SPDX-License-Identifier: GPL-2.0-or-later
// pfcheck as the init of a test guest: mount what the checks need, run them in a
// child (so that a crash is reported, not a kernel panic), send the report on
// the results port, and power the machine off.
#include "guest.hpp"

#include "abi_test.hpp"
#include "channel/channel.hpp"
#include "fuzz.hpp"
#include "run.hpp"
#include "stress.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <vector>

namespace pfcheck {

namespace {

void mount_one(const char* source, const char* target, const char* type) {
    mkdir(target, 0755);
    if (mount(source, target, type, 0, nullptr) != 0 && errno != EBUSY)
        std::fprintf(stderr, "pfcheck-init: mount %s on %s: %s\n", type, target,
                     std::strerror(errno));
}

int open_results_port(const std::string& path) {
    int fd = open(path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    termios t{};
    if (tcgetattr(fd, &t) == 0) {
        cfmakeraw(&t); // no \n -> \r\n: the frame's bytes must arrive as written
        tcsetattr(fd, TCSANOW, &t);
    }
    return fd;
}

bool write_all(int fd, const std::string& s) {
    std::size_t done = 0;
    while (done < s.size()) {
        ssize_t w = write(fd, s.data() + done, s.size() - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        done += static_cast<std::size_t>(w);
    }
    return true;
}

long param(const guest_options& opt, const std::string& key, long fallback) {
    auto it = opt.params.find(key);
    return it == opt.params.end() ? fallback : std::atol(it->second.c_str());
}

// Asks kmemleak to scan (twice: a young object is reported only on a later
// scan) and prints what it found on the console, where the host looks for it.
nlohmann::json kmemleak_scan() {
    mkdir("/sys/kernel/debug", 0755);
    mount("debugfs", "/sys/kernel/debug", "debugfs", 0, nullptr);
    const char* path = "/sys/kernel/debug/kmemleak";
    std::string found;
    for (int i = 0; i < 2; ++i) {
        std::ofstream scan(path);
        if (!scan)
            return {{"available", false}};
        scan << "scan" << std::flush;
    }
    std::ifstream in(path);
    std::string line;
    int leaks = 0;
    while (std::getline(in, line)) {
        std::fprintf(stderr, "%s\n", line.c_str());
        leaks += line.find("unreferenced object") != std::string::npos;
    }
    return {{"available", true}, {"leaks", leaks}};
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), {}};
}

// Google Benchmark writes a statistic it cannot compute (a CPU time of 0 in
// every repetition: cv = 0/0) as a bare nan, which is not JSON: null instead,
// so that one such row does not lose a configuration's figures.
std::string json_without_nan(const std::string& text) {
    static const std::regex bare(R"((:\s*)-?(nan|inf)\b)");
    return std::regex_replace(text, bare, "$1null");
}

// Runs /bin/pfbench for one configuration with `clock` (tsc, gettime or
// marks), only the benchmarks matching `filter` when it is not empty; its
// Google Benchmark JSON, trimmed to what the report uses, or {"error": ...}.
nlohmann::json run_pfbench(const std::string& config, int repetitions, const std::string& clock,
                           const std::string& filter) {
    const std::string out = "/tmp/pfbench-" + config + ".json";
    std::vector<std::string> args = {"/bin/pfbench",
                                     "--config=" + config,
                                     "--clock=" + clock,
                                     "--benchmark_repetitions=" + std::to_string(repetitions),
                                     "--benchmark_display_aggregates_only=true",
                                     "--benchmark_out_format=json",
                                     "--benchmark_out=" + out};
    if (!filter.empty())
        args.push_back("--benchmark_filter=" + filter);
    std::fprintf(stderr, "pfcheck-init: bench %s, %d repetitions\n", config.c_str(), repetitions);
    pid_t pid = fork();
    if (pid == 0) {
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        // The same layout in every boot: on 4.15 a fault's VMA lookup walks
        // the task's four-entry VMA cache, whose slot follows the address,
        // so a random layout once cost the same kernel 18 instructions more
        // per fault in one boot than in the next (0.8%, under icount).
        personality(ADDR_NO_RANDOMIZE);
        execv(argv[0], argv.data());
        std::fprintf(stderr, "pfcheck-init: cannot run /bin/pfbench: %s\n", std::strerror(errno));
        _exit(127);
    }
    int status = 0;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return {{"error", "pfbench --config=" + config + " failed (status " +
                              std::to_string(status) + "); see the console"}};
    auto full = nlohmann::json::parse(json_without_nan(read_file(out)), nullptr, false);
    if (full.is_discarded())
        return {{"error", "pfbench wrote no valid JSON for " + config}};
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& b : full.value("benchmarks", nlohmann::json::array())) {
        if (b.value("run_type", "") != "iteration")
            continue; // the host computes median and spread from the repetitions
        nlohmann::json r;
        for (const char* key :
             {"run_name", "repetition_index", "iterations", "real_time", "time_unit",
              "items_per_second", "label", "error_occurred", "error_message", "nb_vma"})
            if (b.contains(key))
                r[key] = b[key];
        rows.push_back(r);
    }
    return {{"benchmarks", rows}, {"context", full.value("context", nlohmann::json::object())}};
}

// The clocksource benchmarks need: the TSC (or 6.1's tsc-early), read in user
// space by the vDSO. Until the kernel's delayed TSC calibration ends, about a
// second after boot, a guest keeps the PIT, whose reads are system calls and
// port I/O: the first benchmarks of the first configuration once paid ~400
// guest instructions more per clock read than the rest (4.15, icount). The
// kernel gives no event for the switch, so its sysfs file is polled.
std::string wait_for_tsc_clock() {
    constexpr int polls = 3000; // 30 s of guest time at 10 ms
    const char* path = "/sys/devices/system/clocksource/clocksource0/current_clocksource";
    std::string current;
    for (int i = 0; i < polls; ++i) {
        current = read_file(path);
        current.erase(current.find_last_not_of(" \n") + 1);
        if (current.rfind("tsc", 0) == 0)
            return "";
        usleep(10000);
    }
    return "the guest's clocksource stayed '" + current +
           "' for 30 s, never the TSC: its clock reads are system calls, and no figure would "
           "be comparable";
}

// The value of parameter `key`, or "" when it is not given.
std::string text_param(const guest_options& opt, const std::string& key) {
    auto it = opt.params.find(key);
    return it == opt.params.end() ? "" : it->second;
}

// bench: a kernel without the syscalls is the baseline (a); a patched one
// runs (b) to (f), one fresh process each. clock=marks (the harness's
// two-vCPU boots with the insn_marks plugin): only the pair's windows, for
// (a), and (b), (c) and (d). For a diagnosis by hand, configs=A,B runs only
// these configurations of the kernel's set, filter=REGEX only the benchmarks
// it matches (pfbench's --benchmark_filter).
nlohmann::json bench_work(const guest_options& opt, const pf_syscalls& sys) {
    bool vanilla = sys.cleanup() == ENOSYS;
    int repetitions = static_cast<int>(std::max(1L, param(opt, "reps", 5L)));
    // clock=tsc (the harness's icount boots): pfbench reads the TSC itself.
    const std::string asked = text_param(opt, "clock");
    const std::string clock = asked == "tsc" || asked == "marks" ? asked : "gettime";
    std::vector<std::string> configs = {"vanilla", "vanilla-1000vma"};
    if (!vanilla)
        configs = {"untracked", "tracked-other", "tracked-self", "tracked-64", "tracked-1000vma"};
    if (clock == "marks")
        configs = vanilla ? std::vector<std::string>{"vanilla"}
                          : std::vector<std::string>{"untracked", "tracked-self", "tracked-64"};
    if (const std::string only = text_param(opt, "configs"); !only.empty())
        std::erase_if(configs, [&](const std::string& c) {
            return ("," + only + ",").find("," + c + ",") == std::string::npos;
        });
    const std::string filter = text_param(opt, "filter");
    std::string unfit = wait_for_tsc_clock();
    nlohmann::json out;
    for (const auto& c : configs)
        out[c] = unfit.empty() ? run_pfbench(c, repetitions, clock, filter)
                               : nlohmann::json{{"error", unfit}};
    return out;
}

// counters: any kernel, the scenarios run without the syscalls.
nlohmann::json counters_work(const guest_options& opt, const pf_syscalls& sys) {
    run_options ro;
    ro.workdir = "/tmp";
    ro.scenarios = opt.scenarios;
    ro.no_kernel = ro.counters = true;
    auto r = run_scenarios(sys, ro);
    for (const auto& t : r.counters)
        std::fputs(counters::to_text(t).c_str(), stderr);
    return counters_json(r);
}

// The errno and permission table, into report["abi"] and ["abi_failed"].
void abi_work(const pf_syscalls& sys, nlohmann::json& report) {
    auto rows = abi_test(sys, "/init", "/tmp");
    int failed = 0;
    for (const auto& r : rows) {
        failed += !r.pass && !r.skipped;
        std::fprintf(stderr, "abi %s %s\n", r.skipped ? "skip" : (r.pass ? "ok  " : "FAIL"),
                     r.proves.c_str());
    }
    report["abi"] = to_json(rows);
    report["abi_failed"] = failed;
}

nlohmann::json fuzz_work(const guest_options& opt, const pf_syscalls& sys) {
    fuzz_options fo;
    fo.calls = param(opt, "calls", fo.calls);
    fo.seed = static_cast<std::uint64_t>(param(opt, "seed", static_cast<long>(fo.seed)));
    std::fprintf(stderr, "pfcheck-init: fuzz: seed %llu, %ld calls, %d threads\n",
                 static_cast<unsigned long long>(fo.seed), fo.calls, fo.threads);
    auto f = run_fuzz(sys, fo);
    std::fprintf(stderr, "pfcheck-init: fuzz: %ld calls in %.1f s, %ld mismatches\n", f.calls,
                 f.seconds, f.mismatches);
    for (const auto& m : f.first_mismatches)
        std::fprintf(stderr, "    problem: fuzz: %s\n", m.c_str());
    return to_json(f);
}

nlohmann::json stress_work(const guest_options& opt, const pf_syscalls& sys) {
    stress_options so;
    so.seconds = static_cast<double>(param(opt, "seconds", 60));
    so.program = "/init";
    std::fprintf(stderr, "pfcheck-init: stress: %d processes, %d caller threads, %.0f s\n",
                 so.processes, so.caller_threads, so.seconds);
    auto st = run_stress(sys, so);
    std::fprintf(stderr, "pfcheck-init: stress: %s\n", summary(st).c_str());
    for (const auto& m : st.first_unexpected)
        std::fprintf(stderr, "    problem: stress: %s\n", m.c_str());
    return to_json(st);
}

nlohmann::json scenarios_work(const guest_options& opt, const pf_syscalls& sys) {
    run_options ro;
    ro.workdir = "/tmp";
    ro.scenarios = opt.scenarios;
    ro.dump_samples = opt.dump_samples;
    auto r = run_scenarios(sys, ro);
    // The abi rows end with a cleanup; leave nothing tracked either way.
    sys.cleanup();
    return to_json(r);
}

// The work itself, in a child of init. Returns the JSON report.
nlohmann::json guest_work(const guest_options& opt, const pf_syscalls& sys) {
    nlohmann::json report;
    report["mode"] = opt.mode;
    if (opt.mode == "bench") {
        report["bench"] = bench_work(opt, sys);
        return report;
    }
    if (opt.mode == "counters") {
        report["counters"] = counters_work(opt, sys);
        return report;
    }
    report["syscall_numbers"] = {sys.numbers().set_param, sys.numbers().get_info,
                                 sys.numbers().cleanup};
    bool debug = opt.mode == "debug";
    if (opt.mode == "check" || opt.mode == "abi" || debug)
        abi_work(sys, report);
    if (debug) {
        report["fuzz"] = fuzz_work(opt, sys);
        report["stress"] = stress_work(opt, sys);
    }
    if (opt.mode == "check" || opt.mode == "verify" || debug)
        report["run"] = scenarios_work(opt, sys);
    // kmemleak=0: a debug kernel without kmemleak (the KCSAN one).
    if (debug && param(opt, "kmemleak", 1))
        report["kmemleak"] = kmemleak_scan();
    return report;
}

} // namespace

int guest_main(const guest_options& opt, const pf_syscalls& sys) {
    mount_one("proc", "/proc", "proc");
    mount_one("sysfs", "/sys", "sysfs");
    mount_one("devtmpfs", "/dev", "devtmpfs");
    mount_one("tracefs", "/sys/kernel/tracing", "tracefs");
    mount_one("tmpfs", "/tmp", "tmpfs");

    int port = open_results_port(opt.results_port);
    if (port < 0)
        std::fprintf(stderr, "pfcheck-init: cannot open %s: %s\n", opt.results_port.c_str(),
                     std::strerror(errno));
    std::fprintf(stderr, "pfcheck-init: mode %s\n", opt.mode.c_str());

    int pipefd[2];
    nlohmann::json report;
    if (pipe(pipefd) != 0) {
        report["fatal"] = "pipe failed in the guest";
    } else {
        pid_t child = fork();
        if (child == 0) {
            close(pipefd[0]);
            std::string text = guest_work(opt, sys).dump();
            write_all(pipefd[1], text);
            _exit(0);
        }
        close(pipefd[1]);
        std::string text;
        char buf[65536];
        ssize_t n;
        while ((n = read(pipefd[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
            if (n > 0)
                text.append(buf, static_cast<std::size_t>(n));
        int status = 0;
        // As init, reap everything; remember how the worker ended.
        for (pid_t p; (p = wait(&status)) > 0 || errno == EINTR;)
            if (p == child)
                break;
        if (WIFSIGNALED(status))
            report["fatal"] =
                "pfcheck died of signal " + std::to_string(WTERMSIG(status)) + " in the guest";
        else if (text.empty())
            report["fatal"] = "pfcheck wrote no report in the guest";
        else
            report = nlohmann::json::parse(text, nullptr, false);
    }
    // inject=truncate|garbage: a damaged results stream, for the harness's
    // failure tests (the host must refuse it, not parse it).
    std::string framed = channel::frame(report.dump());
    if (auto it = opt.params.find("inject"); it != opt.params.end()) {
        if (it->second == "truncate")
            framed.resize(framed.size() / 2);
        else if (it->second == "garbage")
            for (std::size_t i = 0; i < framed.size(); i += 7)
                framed[i] = static_cast<char>(framed[i] ^ 0x5a);
    }
    if (port >= 0) {
        write_all(port, framed);
        tcdrain(port);
        close(port);
    }
    sync();
    // -no-reboot turns a reboot into QEMU's exit; without ACPI a power-off would only halt.
    reboot(RB_AUTOBOOT);
    return 0;
}

} // namespace pfcheck
