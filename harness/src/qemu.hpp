// SPDX-License-Identifier: GPL-2.0-or-later
// Booting a guest under QEMU: serial console to a log (and, filtered, to the
// user), results on a second serial port written to a file, a deadline.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace harness {

struct boot_request {
    std::string arch; // i386 or x86_64
    std::string qemu; // the QEMU program; empty: qemu-system-<arch>
    std::filesystem::path kernel, initrd;
    std::string guest_args;    // what /init receives: MODE [SCENARIO...]
    std::string extra_cmdline; // added to the kernel command line
    std::string accel = "tcg"; // tcg or kvm
    bool icount = false;       // deterministic guest time (benchmarks)
    // A TCG plugin to load (-plugin file=...), its output (-d plugin) to
    // plugin_log: the insn_marks plugin of two-vCPU benchmarks. Empty: none.
    std::filesystem::path plugin, plugin_log;
    int cpus = 1;
    // The guest's clock must be its TSC: perf orders the records of several
    // CPUs by time stamp, and wall-clock benchmarks time with it. A boot whose
    // TSC the kernel rejects is stopped and made again, up to boot_attempts.
    bool fine_clock = false;
    int boot_attempts = 5;
    // A kernel that prints nothing for this long before pfcheck starts in it
    // has hung booting (4.15 i386 bringing up a second vCPU under -icount).
    std::chrono::seconds boot_silence{180};
    std::filesystem::path console_log, results_file;
    std::chrono::seconds timeout{900};
};

// One KUnit test case, as its KTAP line gave it.
struct kunit_case {
    enum class verdict { ok, failed, skipped };
    std::string name; // suite.case
    verdict result = verdict::ok;
    std::string reason; // a skip's
};

struct boot_outcome {
    bool started = false, timed_out = false, exited = false;
    int exit_code = -1;
    std::string error;
    std::chrono::milliseconds elapsed{0};
    // Kernel reports seen on the console (BUG, WARNING, Oops, panic).
    std::vector<std::string> kernel_reports;
    // KUnit's results (KTAP on the console): "suite.case" -> passed.
    std::vector<kunit_case> kunit;
    bool panicked = false;
    bool any_output = false;
    // Why no boot could be used (its clock, on every attempt); "" otherwise.
    std::string unfit;
    // Why the boot was stopped as hung before pfcheck started; "" otherwise.
    std::string stalled;
};

boot_outcome boot(const boot_request& r);

// How boot_outcome::stalled begins.
inline constexpr const char* hung_booting = "the guest kernel hung booting";

// "" unless a console line is the kernel saying it brought up another number
// of CPUs than the guest was given: a race stress on one CPU tests nothing.
std::string cpus_missing(const std::string& line, int wanted);

// "" unless a console line is the kernel rejecting its TSC ("could not
// calculate TSC khz" when the host is busy at boot): its clock then falls back
// to the PIT or jiffies, a tick of 1 to 10 ms, and time stamps tie.
std::string tsc_rejected(const std::string& line);

// True when a console line is the kernel reporting a bug in itself.
bool is_kernel_report(const std::string& line);

// Follows KUnit's KTAP lines on the console: the current suite, and each
// test case's result, as "suite.case" and whether it passed.
struct ktap_reader {
    std::string suite;
    // A result when the line is a test case's "ok N name", "not ok N name"
    // or "ok N name # SKIP reason".
    std::optional<kunit_case> read(const std::string& console_line);
};

} // namespace harness
