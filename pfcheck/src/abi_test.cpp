// SPDX-License-Identifier: GPL-2.0-or-later
// `pfcheck abi-test`: the errno table and the permission rule of
// docs/semantics.md, one row per case, run in order against the live kernel.
// It begins with pf_cleanup: it resets whatever the kernel was tracking.
#include "abi_test.hpp"

#include "hostile_memory.hpp"
#include "schema/results.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <functional>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

namespace pfcheck {

namespace {

// Runs `fn` in a child under `uid`; returns the errno it reports, or -1.
int as_user(uid_t uid, const std::function<int()>& fn) {
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(uid) != 0 || setuid(uid) != 0)
            _exit(250);
        _exit(fn());
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status) == 250 ? -1 : WEXITSTATUS(status);
}

// A process executed as `name` under `uid`, idle until released.
struct idle_process {
    pid_t pid = -1;
    int release_fd = -1;
    std::string error;

    idle_process(const std::string& program, const std::string& workdir, const std::string& name,
                 uid_t uid) {
        std::string link = workdir + "/" + name;
        unlink(link.c_str());
        if (symlink(program.c_str(), link.c_str()) != 0) {
            error = "symlink: " + std::string(std::strerror(errno));
            return;
        }
        int ready[2], release[2];
        if (pipe(ready) != 0 || pipe(release) != 0) {
            error = "pipe failed";
            return;
        }
        pid = fork();
        if (pid == 0) {
            close(ready[0]);
            close(release[1]);
            if (setgid(uid) != 0 || setuid(uid) != 0)
                _exit(250);
            std::string r = std::to_string(ready[1]), g = std::to_string(release[0]);
            execl(link.c_str(), link.c_str(), "--idle", r.c_str(), g.c_str(), nullptr);
            _exit(127);
        }
        close(ready[1]);
        close(release[0]);
        release_fd = release[1];
        char c;
        if (pid < 0 || read(ready[0], &c, 1) != 1)
            error = "the idle process did not start (setuid or exec failed)";
        close(ready[0]);
        unlink(link.c_str());
    }
    void finish() {
        if (release_fd >= 0)
            close(release_fd);
        release_fd = -1;
        if (pid > 0)
            waitpid(pid, nullptr, 0);
        pid = -1;
    }
    ~idle_process() { finish(); }
};

} // namespace

nlohmann::json to_json(const std::vector<abi_row>& rows) {
    std::vector<schema::abi_row> out;
    for (const auto& r : rows)
        out.push_back({.proves = r.proves,
                       .expected = errno_name(r.expected),
                       .got = errno_name(r.got),
                       .pass = r.pass,
                       .skipped = r.skipped,
                       .note = r.note});
    return out;
}

int idle_main(int ready_fd, int release_fd) {
    char c = 'r';
    if (write(ready_fd, &c, 1) != 1)
        return 1;
    close(ready_fd);
    while (read(release_fd, &c, 1) > 0) {
    }
    return 0;
}

std::vector<abi_row> abi_test(const pf_syscalls& sys, const std::string& program,
                              const std::string& workdir) {
    std::vector<abi_row> rows;
    arena mem;
    pf_stat st{};
    const std::string long_name(16, 'x');
    auto row = [&](const char* proves, int expected, int got, std::string note = {}) {
        rows.push_back({proves, expected, got, got == expected, std::move(note)});
    };
    auto row_any = [&](const char* proves, std::initializer_list<int> allowed, int got) {
        bool ok = false;
        for (int a : allowed)
            ok = ok || a == got;
        rows.push_back({proves, *allowed.begin(), got, ok, "setup"});
    };

    if (!mem.ok) {
        rows.push_back({"the test arena can be mapped", 0, errno, false, "mmap failed"});
        return rows;
    }

    // Nothing initialised.
    row_any("pf_cleanup clears any earlier state (0, or EACCES if there was none)", {0, EACCES},
            sys.cleanup());
    row("pf_get_info before any pf_set_param is EACCES", EACCES, sys.get_info("abi_a", &st));
    row("pf_cleanup before any pf_set_param is EACCES", EACCES, sys.cleanup());

    // Bad names.
    row("pf_set_param(NULL) is EINVAL", EINVAL, sys.set_param(nullptr, 4));
    row("a name of length 0 is EINVAL", EINVAL, sys.set_param("abc", 0));
    row("a name of 16 bytes (longer than a comm) is EINVAL", EINVAL,
        sys.set_param(long_name.c_str(), long_name.size()));
    row("a huge length is EINVAL", EINVAL, sys.set_param("abc", static_cast<std::size_t>(-1)));
    row("a NUL inside the given length is EINVAL", EINVAL, sys.set_param("ab\0c", 4));
    row("an unmapped name is EFAULT", EFAULT, sys.set_param(mem.unmapped(), 4));
    row("a name ending at the end of a mapped page, unterminated, is fine", 0,
        sys.set_param(mem.at_page_end("tail", 4), 4));

    // Tracked names.
    row("pf_get_info on a name never tracked is EINVAL", EINVAL, sys.get_info("abi_nosuch", &st));
    row("pf_set_param on a new name succeeds", 0, sys.set_param("abi_a"));
    int tracked = 2; // "tail" and "abi_a"
    row("pf_set_param on a tracked name succeeds and changes nothing", 0, sys.set_param("abi_a"));
    std::memset(&st, 0x5a, sizeof st);
    int err = sys.get_info("abi_a", &st);
    bool zeros = err == 0 && st.nb_vma == 0 && st.cow_page_faults == 0;
    row("a tracked name with no process yet reports zeros", 0, zeros ? 0 : (err ? err : -1),
        zeros ? "" : "nb_vma or cow_page_faults is not 0");
    row("pf_get_info into NULL is EFAULT", EFAULT, sys.get_info("abi_a", nullptr));
    row("pf_get_info into a read-only page is EFAULT", EFAULT,
        sys.get_info("abi_a", reinterpret_cast<pf_stat*>(mem.readonly())));
    row("pf_get_info into a struct straddling an unmapped page is EFAULT", EFAULT,
        sys.get_info("abi_a", mem.straddling()));
    row("pf_get_info with a 16-byte name is EINVAL", EINVAL,
        sys.get_info(long_name.c_str(), long_name.size(), &st));
    row("pf_get_info with an unmapped name is EFAULT", EFAULT,
        sys.get_info(mem.unmapped(), 4, &st));

    // Permission: the rule that guards /proc/PID/maps.
    if (getuid() == 0) {
        row("pf_set_param on the permission test's name succeeds", 0, sys.set_param("abi_perm"));
        ++tracked;
        {
            idle_process owner(program, workdir, "abi_perm", 65534);
            if (!owner.error.empty()) {
                rows.push_back(
                    {"a process of another user can be started", 0, -1, false, owner.error});
            } else {
                pf_stat mine{};
                int e = sys.get_info("abi_perm", &mine);
                row("root may read any process's layout", 0, e);
                row("the layout of a live process is reported", 1,
                    e == 0 && mine.nb_vma > 0 ? 1 : 0);
                row("another user may not read it: EPERM", EPERM, as_user(65533, [&] {
                        pf_stat s{};
                        return sys.get_info("abi_perm", &s);
                    }));
                row("the owner may read it", 0, as_user(65534, [&] {
                        pf_stat s{};
                        return sys.get_info("abi_perm", &s);
                    }));
                owner.finish();
                row("after it exited, another user still may not: EPERM", EPERM,
                    as_user(65533, [&] {
                        pf_stat s{};
                        return sys.get_info("abi_perm", &s);
                    }));
                row("after it exited, its owner still may", 0, as_user(65534, [&] {
                        pf_stat s{};
                        return sys.get_info("abi_perm", &s);
                    }));
            }
        }
    } else {
        rows.push_back({"permission rows (they start processes as other users)", 0, 0, false,
                        "skipped: pfcheck is not running as root", true});
    }

    // The limit on names: 64 in all, counting those tracked above.
    int first_failure = 0;
    for (int i = 0; tracked < 64; ++i, ++tracked) {
        int e = sys.set_param("abi_n" + std::to_string(i));
        if (e && !first_failure)
            first_failure = e;
    }
    row("64 names can be tracked at once", 0, first_failure);
    row("a 65th name is ENOSPC", ENOSPC, sys.set_param("abi_over"));

    // Cleanup ends tracking.
    row("pf_cleanup succeeds", 0, sys.cleanup());
    row("pf_cleanup twice is EACCES", EACCES, sys.cleanup());
    row("pf_get_info after pf_cleanup is EACCES", EACCES, sys.get_info("abi_a", &st));
    row("pf_set_param after pf_cleanup starts again", 0, sys.set_param("abi_a"));
    row("pf_get_info on a name tracked before the cleanup is EINVAL", EINVAL,
        sys.get_info("abi_perm", &st));
    row("a final pf_cleanup succeeds", 0, sys.cleanup());
    return rows;
}

} // namespace pfcheck
