// pfcheck as the init of a test guest: mount what the checks need, run them in a
// child (so that a crash is reported, not a kernel panic), send the report on
// the results port, and power the machine off.
#include "guest.hpp"

#include "abi_test.hpp"
#include "channel.hpp"
#include "run.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

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

// The work itself, in a child of init. Returns the JSON report.
nlohmann::json guest_work(const guest_options& opt, const pf_syscalls& sys) {
    nlohmann::json report;
    report["mode"] = opt.mode;
    report["syscall_numbers"] = {sys.numbers().set_param, sys.numbers().get_info,
                                 sys.numbers().cleanup};
    if (opt.mode == "check" || opt.mode == "abi") {
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
    if (opt.mode == "check" || opt.mode == "verify") {
        run_options ro;
        ro.workdir = "/tmp";
        ro.scenarios = opt.scenarios;
        ro.dump_samples = opt.dump_samples;
        auto r = run_scenarios(sys, ro);
        report["run"] = to_json(r);
        // The abi rows end with a cleanup; leave nothing tracked either way.
        sys.cleanup();
    }
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
    if (port >= 0) {
        write_all(port, channel::frame(report.dump()));
        tcdrain(port);
        close(port);
    }
    sync();
    // -no-reboot turns a reboot into QEMU's exit; without ACPI a power-off would only halt.
    reboot(RB_AUTOBOOT);
    return 0;
}

} // namespace pfcheck
