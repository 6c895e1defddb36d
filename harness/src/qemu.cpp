// SPDX-License-Identifier: GPL-2.0-or-later
#include "qemu.hpp"

#include "process.hpp"

#include <atomic>
#include <regex>

namespace fs = std::filesystem;

namespace harness {

bool is_kernel_report(const std::string& line) {
    // "traps: prog[42] general protection fault" is a user program's fault: not matched.
    static const std::regex re(
        R"((\bBUG: |\bWARNING: |kernel BUG at|\bOops\b|Kernel panic - not syncing|Unable to handle kernel|\bKASAN:|\bUBSAN:|possible circular locking|unreferenced object))");
    return std::regex_search(line, re);
}

std::optional<kunit_case> ktap_reader::read(const std::string& console_line) {
    // "[    1.234567]     ok 1 pf_test_binning_at_edges", the time stamp optional.
    static const std::regex stamp(R"(^\[\s*[0-9.]+\] ?)");
    static const std::regex subtest(R"(^    # Subtest: (\S+))");
    static const std::regex result(R"(^    (not )?ok \d+ (\S+)(?: # SKIP ?(.*))?)");
    std::string line =
        std::regex_replace(console_line, stamp, "", std::regex_constants::format_first_only);
    std::smatch m;
    if (std::regex_search(line, m, subtest)) {
        suite = m[1];
        return std::nullopt;
    }
    if (suite.empty() || !std::regex_search(line, m, result))
        return std::nullopt;
    using v = kunit_case::verdict;
    return kunit_case{.name = suite + "." + m[2].str(),
                      .result = m[1].matched ? v::failed : m[3].matched ? v::skipped : v::ok,
                      .reason = m[3].str()};
}

std::string cpus_missing(const std::string& line, int wanted) {
    static const std::regex brought_up(R"(smp: Brought up \d+ nodes?, (\d+) CPUs?)");
    std::smatch m;
    if (!std::regex_search(line, m, brought_up) || std::stoi(m[1].str()) == wanted)
        return "";
    return "the guest brought up " + m[1].str() + " of the " + std::to_string(wanted) +
           " CPUs it was given (" + line + ")";
}

std::string tsc_rejected(const std::string& line) {
    static const std::regex unstable(R"(tsc: Marking TSC unstable due to (.*))");
    std::smatch m;
    if (!std::regex_search(line, m, unstable))
        return "";
    return "the guest kernel rejected its TSC (" + m[1].str() + ")";
}

namespace {

// One boot; a later attempt's console is added to the earlier ones'.
boot_outcome boot_once(const boot_request& r, int attempt) {
    boot_outcome out;
    fs::create_directories(r.console_log.parent_path());
    fs::remove(r.results_file);
    std::string qemu = !r.qemu.empty()      ? r.qemu
                       : r.arch == "x86_64" ? "qemu-system-x86_64"
                                            : "qemu-system-i386";
    // panic=-1: a panicking guest reboots at once, which -no-reboot turns into QEMU's exit.
    // GLIBC_TUNABLES reaches init's environment: glibc's rseq registration,
    // syscall 386 on 4.x (pf_get_info there), stays off in every guest process.
    // tsc=reliable: on a loaded host the clocksource watchdog marks the TSC
    // unstable mid-benchmark and guest time jumps back.
    std::string cmdline = "console=ttyS0 panic=-1 GLIBC_TUNABLES=glibc.pthread.rseq=0 " +
                          std::string(r.fine_clock ? "tsc=reliable " : "") + r.extra_cmdline +
                          " -- " + r.guest_args;
    command c{qemu,
              {"-m", "512", "-display", "none", "-monitor", "none", "-no-reboot", "-serial",
               "stdio", "-serial", "file:" + r.results_file.string(), "-kernel", r.kernel.string(),
               "-initrd", r.initrd.string(), "-append", cmdline, "-accel", r.accel}};
    // One CPU per socket: SeaBIOS's MP table lists one CPU per socket, and a
    // kernel without ACPI (tinyconfig) finds its CPUs there. `-smp 2` alone
    // is two cores of one socket, and such a guest runs on one CPU.
    if (r.cpus > 1) {
        std::string n = std::to_string(r.cpus);
        c.args.insert(c.args.end(), {"-smp", n + ",sockets=" + n + ",cores=1,threads=1"});
    }
    if (r.icount)
        c.args.insert(c.args.end(), {"-icount", "shift=0,sleep=off"});
    if (!r.plugin.empty()) {
        fs::remove(r.plugin_log); // an earlier boot's marks are not this one's
        c.args.insert(c.args.end(), {"-plugin", "file=" + r.plugin.string(), "-d", "plugin", "-D",
                                     r.plugin_log.string()});
    }
    c.log = r.console_log;
    c.append_log = attempt > 1;
    c.timeout = r.timeout;
    std::atomic<bool> booting{true};
    std::string last_line;
    c.silence_limit = r.boot_silence;
    c.watch_silence = [&] { return booting.load(); };
    ktap_reader ktap;
    c.on_line = [&](const std::string& raw) {
        std::string line = raw;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        out.any_output = true;
        if (booting && line.rfind("pfcheck-init:", 0) == 0)
            booting = false;
        if (booting)
            last_line = line;
        if (auto k = ktap.read(line)) {
            out.kunit.push_back(*k);
            using v = kunit_case::verdict;
            say("guest", "kunit " + k->name + ": " +
                             (k->result == v::ok       ? std::string("ok")
                              : k->result == v::failed ? std::string("FAIL")
                                                       : "SKIP (" + k->reason + ")"));
        }
        if (is_kernel_report(line)) {
            out.kernel_reports.push_back(line);
            say("guest", "KERNEL: " + line);
        }
        if (line.find("Kernel panic") != std::string::npos)
            out.panicked = true;
        if (auto why = cpus_missing(line, r.cpus); !why.empty()) {
            out.kernel_reports.push_back(why);
            say("guest", "KERNEL: " + why);
        }
        // pfcheck's own progress lines.
        static const std::regex progress(R"(^\[\s*\d+/\d+\] )");
        if (std::regex_search(line, progress))
            say("guest", line);
        else if (line.rfind("abi FAIL", 0) == 0 || line.rfind("pfcheck-init:", 0) == 0 ||
                 line.rfind("fuzz:", 0) == 0 || line.rfind("    problem:", 0) == 0 ||
                 line.rfind("    diagnosis:", 0) == 0)
            say("guest", line);
    };
    if (r.fine_clock)
        c.stop_when = [&](const std::string& line) {
            out.unfit = tsc_rejected(line);
            return !out.unfit.empty();
        };
    auto start = std::chrono::steady_clock::now();
    auto res = run(c);
    out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    out.started = res.started;
    out.error = res.error;
    out.timed_out = res.timed_out;
    out.exit_code = res.exit_code;
    out.exited = res.started && !res.timed_out && !res.silent;
    if (res.silent) {
        std::string guest =
            r.cpus > 1 ? " (" + std::to_string(r.cpus) + " vCPUs" + (r.icount ? ", -icount)" : ")")
                       : "";
        out.stalled = std::string(hung_booting) + ": nothing on its console for " +
                      std::to_string(r.boot_silence.count()) + " s before pfcheck started" + guest +
                      "; its last line: " + (last_line.empty() ? "(none)" : last_line);
    }
    return out;
}

} // namespace

boot_outcome boot(const boot_request& r) {
    for (int attempt = 1;; ++attempt) {
        boot_outcome out = boot_once(r, attempt);
        if (out.unfit.empty())
            return out;
        std::string needs = r.cpus > 1
                                ? "order perf's records from " + std::to_string(r.cpus) + " CPUs"
                                : std::string("time a benchmark");
        std::string why = out.unfit + ": its clock ticks in milliseconds, too coarse to " + needs;
        if (attempt >= r.boot_attempts) {
            out.unfit = why + ", on " + std::to_string(attempt) +
                        " boots; a busy host makes the kernel's TSC calibration fail: run "
                        "again on an idle one";
            return out;
        }
        say("boot", why + "; booting again (" + std::to_string(attempt + 1) + " of " +
                        std::to_string(r.boot_attempts) + ")");
    }
}

} // namespace harness
