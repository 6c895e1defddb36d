// SPDX-License-Identifier: GPL-2.0-or-later
// `pfcheck abi-test`: the errno table and the permission rules of
// docs/semantics.md, one row per case, run in order against the live kernel.
// It begins with pf_cleanup: it resets whatever the kernel was tracking.
// Each row says whether the rule is the course's or pfcheck's own choice.
#include "abi_test.hpp"

#include "cow_pages.hpp"
#include "fuse_file.hpp"
#include "hostile_memory.hpp"
#include "schema/results.hpp"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <linux/userfaultfd.h>
#include <optional>
#include <poll.h>
#include <sstream>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/rseq.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace pfcheck {

namespace {

constexpr uid_t user_a = 65534, user_b = 65533, user_c = 65532, user_d = 65531;
constexpr int unprivileged_names = 16, all_names = 64;
// The reference's cap on chunks of 64 page counters per generation, and the
// pages the chunk-cap row's process records, each in a chunk of its own.
constexpr long chunk_pages = 64, max_chunks = 4096, capped_pages = max_chunks + 64;

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

bool write_file(const std::string& path, const std::string& text) {
    int fd = open(path.c_str(), O_WRONLY);
    if (fd < 0)
        return false;
    bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    close(fd);
    return ok;
}

// A memory cgroup (cgroup v2) of its own, removed at the end, with cgroup2
// mounted for the time if it was not; `error` says why it is unavailable.
class memory_cgroup {
  public:
    memory_cgroup(const memory_cgroup&) = delete;
    memory_cgroup& operator=(const memory_cgroup&) = delete;
    std::string error;

    explicit memory_cgroup(const std::string& name) : path_(std::string(root) + "/" + name) {
        const std::string controllers = std::string(root) + "/cgroup.controllers";
        if (access(controllers.c_str(), R_OK) != 0) {
            if (mount("none", root, "cgroup2", 0, nullptr) != 0) {
                error = "unavailable: no cgroup2 to mount (" + std::string(strerror(errno)) +
                        "): this kernel has no memory cgroup (CONFIG_MEMCG)";
                return;
            }
            mounted_ = true;
        }
        if (!lists_memory(controllers)) {
            error = "unavailable: this kernel has no memory cgroup (CONFIG_MEMCG)";
            return;
        }
        enabled_ = !controller_enabled() && write_file(subtree_control(), "+memory");
        if (!controller_enabled())
            error = "unavailable: the memory controller cannot be enabled";
        else if (mkdir(path_.c_str(), 0755) != 0)
            error = "unavailable: mkdir " + path_ + ": " + std::string(strerror(errno));
    }
    ~memory_cgroup() {
        rmdir(path_.c_str());
        if (enabled_)
            write_file(subtree_control(), "-memory");
        if (mounted_)
            umount(root);
    }
    std::string procs() const { return error.empty() ? path_ + "/cgroup.procs" : ""; }
    // A counter of memory.stat, in bytes; -1 when it cannot be read.
    long stat(const std::string& key) const {
        std::ifstream in(path_ + "/memory.stat");
        std::string k;
        for (long v; in >> k >> v;)
            if (k == key)
                return v;
        return -1;
    }

  private:
    static constexpr const char* root = "/sys/fs/cgroup";
    std::string path_;
    bool mounted_ = false, enabled_ = false;

    static std::string subtree_control() { return std::string(root) + "/cgroup.subtree_control"; }
    static bool controller_enabled() { return lists_memory(subtree_control()); }
    // Whether a cgroup file's list of controllers names "memory".
    static bool lists_memory(const std::string& file) {
        std::ifstream in(file);
        std::string word;
        while (in >> word && word != "memory") {
        }
        return word == "memory";
    }
};

// A process executed as `name` under `uid`, idle until released; `mode` is
// idle_main()'s: "dumpable", "nodump", "sparse" or "stall=PATH". With `cgroup_procs`, it
// joins that cgroup before it executes.
struct idle_process {
    pid_t pid = -1;
    int release_fd = -1;
    std::string error;

    idle_process(const std::string& program, const std::string& workdir, const std::string& name,
                 uid_t uid, const char* mode = "dumpable", const std::string& cgroup_procs = {}) {
        std::string link = workdir + "/" + name;
        unlink(link.c_str());
        int ready[2], release[2];
        if (symlink(program.c_str(), link.c_str()) != 0 || pipe(ready) != 0 || pipe(release) != 0) {
            error = "cannot prepare the idle process: " + std::string(std::strerror(errno));
            return;
        }
        pid = fork();
        if (pid == 0) {
            close(ready[0]);
            close(release[1]);
            if (!cgroup_procs.empty() && !write_file(cgroup_procs, "0"))
                _exit(250);
            if (setgid(uid) != 0 || setuid(uid) != 0)
                _exit(250);
            std::string r = std::to_string(ready[1]), g = std::to_string(release[0]);
            execl(link.c_str(), link.c_str(), "--idle", r.c_str(), g.c_str(), mode, nullptr);
            _exit(127);
        }
        close(ready[1]);
        close(release[0]);
        release_fd = release[1];
        char c;
        if (pid < 0 || read(ready[0], &c, 1) != 1)
            error = "the idle process did not start (cgroup, setuid or exec failed)";
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

// Whether `pid` sleeps in the kernel uninterruptibly or killably ('D' in
// /proc/PID/stat) within `seconds`, polled as LTP's TST_PROCESS_STATE_WAIT.
bool waits_within(pid_t pid, int seconds) {
    constexpr int step_ms = 10;
    for (int waited = 0; waited < seconds * 1000; waited += step_ms) {
        std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
        std::string stat;
        std::getline(in, stat);
        auto name_end = stat.rfind(')');
        if (name_end != std::string::npos && name_end + 2 < stat.size() &&
            stat[name_end + 2] == 'D')
            return true;
        usleep(step_ms * 1000);
    }
    return false;
}

// The start of the [stack] VMA of a process, from /proc/PID/maps.
unsigned long stack_start(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
    for (std::string line; std::getline(in, line);)
        if (line.find("[stack]") != std::string::npos)
            return std::stoul(line.substr(0, line.find('-')), nullptr, 16);
    return 0;
}

bool reports_range_starting(const pf_stat& st, unsigned long start) {
    for (int i = 0; i < st.nb_vma && i < max_size; ++i)
        if (st.vma_list_start[i] == start)
            return true;
    return false;
}

// How many records of the kernel log hold `text` (root reads /dev/kmsg).
int kernel_log_lines_with(const std::string& text) {
    int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
    if (fd < 0)
        return -1;
    int n = 0;
    char buf[8192];
    for (ssize_t len; (len = read(fd, buf, sizeof buf)) != 0;) {
        if (len < 0 && errno == EPIPE) // overwritten while read: go on
            continue;
        if (len < 0)
            break; // EAGAIN: the end
        n += std::string(buf, static_cast<std::size_t>(len)).find(text) != std::string::npos;
    }
    close(fd);
    return n;
}

// A page whose first touch waits until release(): missing, and registered
// with a userfaultfd (as a page of a FUSE file could stall). `error` says
// why it is unavailable.
class stalling_page {
  public:
    stalling_page(const stalling_page&) = delete;
    stalling_page& operator=(const stalling_page&) = delete;
    char* base = nullptr;
    std::string error;

    stalling_page() {
        uffd_ = static_cast<int>(syscall(__NR_userfaultfd, O_CLOEXEC));
        uffdio_api api{};
        api.api = UFFD_API;
        if (uffd_ < 0 || ioctl(uffd_, UFFDIO_API, &api) != 0) {
            error = "userfaultfd: " + std::string(std::strerror(errno));
            return;
        }
        void* p = mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            error = "mmap: " + std::string(std::strerror(errno));
            return;
        }
        base = static_cast<char*>(p);
        uffdio_register reg{};
        reg.range = {.start = reinterpret_cast<std::uintptr_t>(base), .len = page};
        reg.mode = UFFDIO_REGISTER_MODE_MISSING;
        if (ioctl(uffd_, UFFDIO_REGISTER, &reg) != 0)
            error = "UFFDIO_REGISTER: " + std::string(std::strerror(errno));
    }
    ~stalling_page() {
        if (base)
            munmap(base, page);
        if (uffd_ >= 0)
            close(uffd_);
    }
    // Whether a thread touched the page, and now waits, within `seconds`.
    bool touched(int seconds) {
        pollfd pfd{.fd = uffd_, .events = POLLIN, .revents = 0};
        uffd_msg msg{};
        return poll(&pfd, 1, seconds * 1000) == 1 && read(uffd_, &msg, sizeof msg) == sizeof msg &&
               msg.event == UFFD_EVENT_PAGEFAULT;
    }
    // Fills the page with `text`, which wakes the thread that waits on it.
    bool release(const char* text) {
        std::vector<char> src(page, 0);
        std::memcpy(src.data(), text, std::strlen(text));
        uffdio_copy copy{};
        copy.dst = reinterpret_cast<std::uintptr_t>(base);
        copy.src = reinterpret_cast<std::uintptr_t>(src.data());
        copy.len = page;
        return ioctl(uffd_, UFFDIO_COPY, &copy) == 0;
    }

  private:
    int uffd_ = -1;
};

// A call made in a child process, so that a kernel that blocks it blocks
// the child only; the child is reaped when this goes (after whatever
// unblocks it).
class child_call {
  public:
    explicit child_call(const std::function<int()>& fn) {
        int p[2];
        if (pipe(p) != 0)
            return;
        pid_ = fork();
        if (pid_ == 0) {
            close(p[0]);
            auto e = static_cast<unsigned char>(fn());
            _exit(write(p[1], &e, 1) == 1 ? 0 : 1);
        }
        close(p[1]);
        fd_ = p[0];
    }
    ~child_call() {
        if (fd_ >= 0)
            close(fd_);
        if (pid_ > 0)
            waitpid(pid_, nullptr, 0);
    }
    pid_t pid() const { return pid_; }
    // The call's errno, or -1 if it gave no answer within `seconds`.
    int answer(int seconds) {
        pollfd pfd{.fd = fd_, .events = POLLIN, .revents = 0};
        unsigned char e = 0;
        if (pid_ <= 0 || poll(&pfd, 1, seconds * 1000) != 1 || read(fd_, &e, 1) != 1)
            return -1;
        return e;
    }

  private:
    pid_t pid_ = -1;
    int fd_ = -1;
};

// The table, built row by row against the live kernel.
class table {
  public:
    table(const pf_syscalls& sys, const std::string& program, const std::string& workdir)
        : sys_(sys), program_(program), workdir_(workdir) {}

    std::vector<abi_row> run();

  private:
    const pf_syscalls& sys_;
    std::string program_, workdir_;
    std::vector<abi_row> rows_;
    arena mem_;
    int tracked_ = 0; // names tracked since the last cleanup, by root

    void row(rule_source src, const char* proves, int expected, int got, std::string note = {}) {
        rows_.push_back({.proves = proves,
                         .expected = expected,
                         .got = got,
                         .pass = got == expected,
                         .note = std::move(note),
                         .source = src});
    }
    // A row whose result is a fact, not an errno.
    void fact(rule_source src, const char* proves, bool holds, const char* expected,
              const std::string& got) {
        rows_.push_back({.proves = proves,
                         .pass = holds,
                         .source = src,
                         .got_text = got,
                         .expected_text = expected});
    }
    // A row, or a group of rows, that could not run: course when any of
    // them is the course's rule, so that the course profile shows the skip.
    void skip(rule_source src, const char* proves, const std::string& why) {
        rows_.push_back({.proves = proves, .note = why, .skipped = true, .source = src});
    }
    int get_as(uid_t uid, const std::string& name, pf_stat* out = nullptr) {
        return as_user(uid, [&] {
            pf_stat s{};
            int e = sys_.get_info(name, &s);
            if (out)
                *out = s;
            return e;
        });
    }

    void environment();
    void nothing_initialised();
    void bad_names();
    void tracked_names();
    void root_record();
    void user_record();
    void non_dumpable();
    void setgid_program();
    void stalled_name();
    void stalled_layout();
    void chunk_cap(const memory_cgroup& cg, std::optional<long>& slab);
    void memcg_charge(const memory_cgroup& cg, const std::optional<long>& slab);
    void limits();
    void cleanup();
};

using rs = rule_source;

void table::environment() {
    // On 4.x with the course's numbers, glibc's rseq registration is a call to
    // syscall 386 (pf_get_info) from every process pfcheck starts: it must be
    // off (GLIBC_TUNABLES=glibc.pthread.rseq=0) so that the kernel sees only
    // pfcheck's own calls. A registered area has a non-zero size.
    fact(rs::pfcheck, "glibc's rseq registration is off (no stray syscall 386)", __rseq_size == 0,
         "off", __rseq_size ? "on: GLIBC_TUNABLES lacks glibc.pthread.rseq=0" : "off");
}

void table::nothing_initialised() {
    int got = sys_.cleanup();
    rows_.push_back(
        {.proves = "pf_cleanup clears any earlier state (0, or EACCES if there was none)",
         .expected = 0,
         .got = got,
         .pass = got == 0 || got == EACCES,
         .note = "setup"});
    pf_stat st{};
    row(rs::course, "pf_get_info before any pf_set_param is EACCES", EACCES,
        sys_.get_info("abi_a", &st));
    row(rs::course, "pf_cleanup before any pf_set_param is EACCES", EACCES, sys_.cleanup());
}

void table::bad_names() {
    const std::string long_name(16, 'x');
    row(rs::course, "pf_set_param(NULL) is EINVAL", EINVAL, sys_.set_param(nullptr, 4));
    row(rs::course, "a name of length 0 is EINVAL", EINVAL, sys_.set_param("abc", 0));
    row(rs::pfcheck, "a name of 16 bytes (longer than a comm) is EINVAL", EINVAL,
        sys_.set_param(long_name.c_str(), long_name.size()));
    row(rs::course, "a huge length is EINVAL", EINVAL,
        sys_.set_param("abc", static_cast<std::size_t>(-1)));
    row(rs::pfcheck, "a NUL inside the given length is EINVAL", EINVAL, sys_.set_param("ab\0c", 4));
    row(rs::pfcheck, "an unmapped name is EFAULT", EFAULT, sys_.set_param(mem_.unmapped(), 4));
    row(rs::pfcheck, "a name ending at the end of a mapped page, unterminated, is fine", 0,
        sys_.set_param(mem_.at_page_end("tail", 4), 4));
    tracked_ = 1;
}

void table::tracked_names() {
    const std::string long_name(16, 'x');
    pf_stat st{};
    row(rs::course, "pf_get_info on a name never tracked is EINVAL", EINVAL,
        sys_.get_info("abi_nosuch", &st));
    row(rs::course, "pf_set_param on a new name succeeds", 0, sys_.set_param("abi_a"));
    ++tracked_;
    row(rs::course, "pf_set_param on a tracked name succeeds and changes nothing", 0,
        sys_.set_param("abi_a"));
    std::memset(&st, 0x5a, sizeof st);
    int err = sys_.get_info("abi_a", &st);
    bool zeros = err == 0 && st.nb_vma == 0 && st.cow_page_faults == 0;
    row(rs::pfcheck, "a tracked name with no process yet reports zeros", 0,
        zeros ? 0 : (err ? err : -1), zeros ? "" : "nb_vma or cow_page_faults is not 0");
    row(rs::pfcheck, "pf_get_info into NULL is EFAULT", EFAULT, sys_.get_info("abi_a", nullptr));
    row(rs::pfcheck, "pf_get_info into a read-only page is EFAULT", EFAULT,
        sys_.get_info("abi_a", reinterpret_cast<pf_stat*>(mem_.readonly())));
    row(rs::pfcheck, "pf_get_info into a struct straddling an unmapped page is EFAULT", EFAULT,
        sys_.get_info("abi_a", mem_.straddling()));
    row(rs::pfcheck, "pf_get_info with a 16-byte name is EINVAL", EINVAL,
        sys_.get_info(long_name.c_str(), long_name.size(), &st));
    row(rs::pfcheck, "pf_get_info with an unmapped name is EFAULT", EFAULT,
        sys_.get_info(mem_.unmapped(), 4, &st));
}

// Root tracks a name: its record counts every user's processes, and only
// root (or another privileged caller) may read it.
void table::root_record() {
    row(rs::course, "pf_set_param on the permission test's name succeeds", 0,
        sys_.set_param("abi_perm"));
    ++tracked_;
    idle_process owner(program_, workdir_, "abi_perm", user_a);
    if (!owner.error.empty())
        return skip(rs::course, "permission rows of a root record", owner.error);
    pf_stat mine{};
    int e = sys_.get_info("abi_perm", &mine);
    row(rs::pfcheck, "root may read the layout of another user's process", 0, e);
    fact(rs::course, "the layout of a live process is reported", e == 0 && mine.nb_vma > 0,
         "reported", e ? errno_name(e) : std::to_string(mine.nb_vma) + " VMAs");
    row(rs::pfcheck, "a user may not read a record root tracks, even of their own process: EPERM",
        EPERM, get_as(user_a, "abi_perm"));
    row(rs::pfcheck, "another user may not read it: EPERM", EPERM, get_as(user_b, "abi_perm"));
    owner.finish();
    row(rs::course, "after the process exited, root still may (the layout was kept)", 0,
        sys_.get_info("abi_perm", &mine));
    row(rs::pfcheck, "after it exited, another user still may not: EPERM", EPERM,
        get_as(user_b, "abi_perm"));
}

// A user tracks a name: the record counts and follows only that user's
// processes, and only that user (or root) may read it.
void table::user_record() {
    row(rs::pfcheck, "an unprivileged user may track a name", 0,
        as_user(user_a, [&] { return sys_.set_param("abi_user"); }));
    idle_process own(program_, workdir_, "abi_user", user_a);
    if (!own.error.empty())
        return skip(rs::course, "permission rows of a user's record", own.error);
    pf_stat st{};
    int e = get_as(user_a, "abi_user", &st);
    row(rs::course, "its owner may read the layout of their own process", 0, e);
    row(rs::pfcheck, "another user may not read it: EPERM", EPERM, get_as(user_b, "abi_user"));
    row(rs::pfcheck, "root may read it", 0, sys_.get_info("abi_user", &st));
    row(rs::pfcheck, "pf_set_param on a name another user tracks is EEXIST (not silently theirs)",
        EEXIST, as_user(user_b, [&] { return sys_.set_param("abi_user"); }));
    row(rs::pfcheck, "... for root too", EEXIST, sys_.set_param("abi_user"));
    unsigned long own_stack = stack_start(own.pid);
    {
        const char* proves = "another user's process executed under the name is not followed: "
                             "the layout is still the owner's process's";
        idle_process other(program_, workdir_, "abi_user", user_b);
        unsigned long other_stack = other.error.empty() ? stack_start(other.pid) : 0;
        get_as(user_a, "abi_user", &st);
        if (!other.error.empty() || !own_stack || own_stack == other_stack)
            skip(rs::pfcheck, proves,
                 other.error.empty() ? "the two processes' stacks are at the same address (no "
                                       "ASLR): their layouts look alike"
                                     : other.error);
        else
            fact(rs::pfcheck, proves, reports_range_starting(st, own_stack), "the owner's layout",
                 reports_range_starting(st, own_stack)     ? "the owner's layout"
                 : reports_range_starting(st, other_stack) ? "the other user's process's layout"
                                                           : "another layout");
    }
    own.finish();
    row(rs::pfcheck, "after it exited, another user still may not: EPERM", EPERM,
        get_as(user_b, "abi_user"));
    row(rs::pfcheck, "a user with no name of their own may not clean up others': EPERM", EPERM,
        as_user(user_b, [&] { return sys_.cleanup(); }));
    row(rs::pfcheck, "a user's pf_cleanup drops only their own names", 0,
        as_user(user_a, [&] { return sys_.cleanup(); }));
    row(rs::pfcheck, "... which are no longer tracked: EINVAL", EINVAL, get_as(user_a, "abi_user"));
    row(rs::pfcheck, "... while root's are: still readable", 0, sys_.get_info("abi_perm", &st));
}

// The rule of /proc/PID/maps holds after the process is gone: a layout kept
// from a non-dumpable process stays unreadable to its own user.
void table::non_dumpable() {
    row(rs::pfcheck, "a user tracks the non-dumpable test's name", 0,
        as_user(user_a, [&] { return sys_.set_param("abi_nodump"); }));
    idle_process p(program_, workdir_, "abi_nodump", user_a, "nodump");
    if (!p.error.empty())
        return skip(rs::pfcheck, "non-dumpable rows", p.error);
    row(rs::pfcheck,
        "the layout of a non-dumpable process is not readable, even by its user: EPERM", EPERM,
        get_as(user_a, "abi_nodump"));
    p.finish();
    row(rs::pfcheck, "... nor after it exited (its dumpability was kept): EPERM", EPERM,
        get_as(user_a, "abi_nodump"));
    row(rs::pfcheck, "root may read it", 0, [&] {
        pf_stat st{};
        return sys_.get_info("abi_nodump", &st);
    }());
    as_user(user_a, [&] { return sys_.cleanup(); });
}

// A setgid program its owner runs has elevated credentials: the owner's
// record does not follow it (as ptrace would not let the owner read it).
void table::setgid_program() {
    const char* proves = "a setgid program the owner runs is not followed: no layout";
    std::string copy = workdir_ + "/pfcheck-setgid";
    unlink(copy.c_str());
    {
        std::ifstream in(program_, std::ios::binary);
        std::ofstream out(copy, std::ios::binary);
        out << in.rdbuf();
    }
    if (chown(copy.c_str(), 0, 0) != 0 || chmod(copy.c_str(), 02755) != 0)
        return skip(rs::pfcheck, proves,
                    "cannot make a setgid copy of pfcheck: " + std::string(std::strerror(errno)));
    row(rs::pfcheck, "a user tracks the setgid test's name", 0,
        as_user(user_a, [&] { return sys_.set_param("abi_sgid"); }));
    idle_process p(copy, workdir_, "abi_sgid", user_a);
    if (!p.error.empty())
        return skip(rs::pfcheck, proves, p.error);
    pf_stat st{};
    int e = get_as(user_a, "abi_sgid", &st);
    fact(rs::pfcheck, proves, e == 0 && st.nb_vma == 0, "no layout",
         e ? errno_name(e) : std::to_string(st.nb_vma) + " VMAs");
    p.finish();
    unlink(copy.c_str());
    as_user(user_a, [&] { return sys_.cleanup(); });
}

// The name is copied in before the names mutex is taken: while one caller's
// name sits on a page that stalls, the other callers go on.
void table::stalled_name() {
    const char* proves = "a name on a stalled page (userfaultfd) blocks no other caller";
    constexpr int deadline_seconds = 10;
    stalling_page name;
    if (!name.error.empty())
        return skip(rs::pfcheck, proves, "unavailable: " + name.error);
    int stalled = -1, other = -1;
    std::thread caller([&] { stalled = sys_.set_param(name.base, 6); });
    bool touched = name.touched(deadline_seconds), released = false;
    int late = -1; // the other call's answer once the name is released
    {
        child_call call([&] { return sys_.set_param("abi_other", 9); });
        if (touched)
            other = call.answer(deadline_seconds);
        released = name.release("abi_st");
        late = other >= 0 ? other : call.answer(deadline_seconds);
    }
    caller.join();
    tracked_ += (stalled == 0) + (late == 0);
    auto answer = [](int e) { return e == 0 ? std::string("success") : errno_name(e); };
    std::string got =
        !touched    ? "the name was never read"
        : other < 0 ? "the other call did not return in 10 s"
                    : "the other call: " + answer(other) + ", the stalled one: " + answer(stalled);
    fact(rs::pfcheck, proves, touched && released && other == 0 && stalled == 0,
         "the other call returns while the first waits, then both succeed", got);
}

// A process whose address space is stalled (a get_user_pages() waits on a
// page of a FUSE file, a writer of its mmap lock waits behind it) holds up
// the pf_get_info that reads its layout, as it would /proc/PID/maps, and
// nothing else: an exec of its name and pf_cleanup take the record's lock,
// which that reader must not hold while it waits.
void table::stalled_layout() {
    const char* proves = "a stalled address space (FUSE) holds up no exec of its name nor "
                         "pf_cleanup, only the pf_get_info that reads its layout";
    constexpr int deadline_seconds = 10;
    const std::string name = "abi_mmstall";
    fuse_file file(workdir_ + "/pfcheck-fuse");
    if (!file.error.empty())
        return skip(rs::pfcheck, proves, "unavailable: " + file.error);
    if (int e = sys_.set_param(name); e)
        return row(rs::pfcheck, proves, 0, e, "pf_set_param failed");
    ++tracked_;
    const std::string mode = "stall=" + file.path();
    idle_process p(program_, workdir_, name, user_a, mode.c_str());
    std::string got;
    if (!p.error.empty())
        got = p.error;
    else if (!file.read_requested(deadline_seconds))
        got = "the process did not read its FUSE page";
    else if (write(p.release_fd, "w", 1) != 1 || !waits_within(p.pid, deadline_seconds))
        got = "the process's mmap did not wait behind the stalled read";
    if (!got.empty()) {
        file.release();
        return fact(rs::pfcheck, proves, false, "the stalled process starts", got);
    }
    child_call reader([&] {
        pf_stat st{};
        return sys_.get_info(name, &st);
    });
    bool reader_waits = waits_within(reader.pid(), deadline_seconds);
    child_call exec(
        [&] { return idle_process(program_, workdir_, name, 0).error.empty() ? 0 : 1; });
    int exec_answer = reader_waits ? exec.answer(deadline_seconds) : -1;
    child_call cleanup([&] { return sys_.cleanup(); });
    int cleanup_answer = reader_waits ? cleanup.answer(deadline_seconds) : -1;
    file.release(); // before the calls are reaped: they may wait on it
    int late_cleanup = cleanup_answer >= 0 ? cleanup_answer : cleanup.answer(deadline_seconds);
    int read_answer = reader.answer(deadline_seconds);
    if (late_cleanup == 0)
        tracked_ = 0;
    auto answer = [](int e) {
        return e < 0 ? std::string("did not return in 10 s") : e == 0 ? "returned" : errno_name(e);
    };
    got = !reader_waits
              ? "pf_get_info did not wait for the stalled layout"
              : "exec: " + answer(exec_answer) + "; pf_cleanup: " + answer(cleanup_answer) +
                    "; pf_get_info, once the page was served: " + answer(read_answer);
    fact(
        rs::pfcheck, proves,
        reader_waits && exec_answer == 0 && cleanup_answer == 0 && read_answer >= 0,
        "exec and pf_cleanup return while pf_get_info waits, which returns once the page is served",
        got);
    p.finish();
}

// Past the cap on chunks (4,096 per generation), a fault still counts in
// the total, in no VMA, and pf_get_info says so in the kernel log, once. The
// process that records the pages runs alone in a memory cgroup, whose slab
// it leaves in `slab` (read while the process lives).
void table::chunk_cap(const memory_cgroup& cg, std::optional<long>& slab) {
    const char* proves = "past the cap on chunks a fault counts in the total, in no VMA, and "
                         "pf_get_info logs the loss once";
    const std::string name = "abi_cap";
    if (int e = sys_.set_param(name); e)
        return row(rs::pfcheck, proves, 0, e, "pf_set_param failed");
    ++tracked_;
    const std::string logged_text = "pf_get_info: " + name + ": ";
    int logged_before = kernel_log_lines_with(logged_text);
    if (logged_before < 0)
        return skip(rs::pfcheck, proves, "unavailable: /dev/kmsg cannot be read");
    idle_process p(program_, workdir_, name, 0, "sparse", cg.procs());
    if (!p.error.empty())
        return fact(rs::pfcheck, proves, false, "the process records its pages", p.error);
    pf_stat first{}, second{};
    int e1 = sys_.get_info(name, &first), e2 = sys_.get_info(name, &second);
    if (cg.error.empty())
        slab = cg.stat("slab");
    p.finish();
    long in_vmas = 0;
    for (int i = 0; i < first.nb_vma && i < max_size; ++i)
        in_vmas += first.vma_fault[i];
    long lost = first.cow_page_faults - in_vmas;
    int logged = kernel_log_lines_with(logged_text) - logged_before;
    bool holds = e1 == 0 && e2 == 0 && first.cow_page_faults >= capped_pages &&
                 lost >= capped_pages - max_chunks && logged == 1;
    std::string got = e1 || e2 ? "pf_get_info: " + errno_name(e1 ? e1 : e2)
                               : "total " + std::to_string(first.cow_page_faults) + ", " +
                                     std::to_string(lost) + " in no VMA, logged " +
                                     std::to_string(logged) + " time(s)";
    fact(rs::pfcheck, proves, holds, "total >= 4160, >= 64 in no VMA, logged once for two calls",
         got);
}

// The counters are charged to the memory cgroup of the task that faults:
// 4,096 chunks of 64 counters (1 MiB in the reference) must be at least
// half of that in its cgroup's slab, where the rest of the process (its
// exec, its VMAs) is tens of KiB.
void table::memcg_charge(const memory_cgroup& cg, const std::optional<long>& slab) {
    const char* proves = "the counters' memory is charged to the faulting task's memory cgroup";
    if (!cg.error.empty())
        return skip(rs::pfcheck, proves, cg.error);
    if (!slab)
        return skip(rs::pfcheck, proves, "the chunk-cap row's process did not record its pages");
    fact(rs::pfcheck, proves, *slab >= max_chunks * chunk_pages * 4 / 2,
         ">= 512 KiB of slab in the process's cgroup for 4,096 chunks",
         *slab < 0 ? "memory.stat has no slab line" : std::to_string(*slab) + " bytes of slab");
}

void table::limits() {
    int first_failure = 0;
    for (int i = 0; i < unprivileged_names; ++i)
        if (int e = as_user(user_a, [&] { return sys_.set_param("abi_u" + std::to_string(i)); });
            e && !first_failure)
            first_failure = e;
    row(rs::pfcheck, "an unprivileged user may track 16 names", 0, first_failure);
    row(rs::pfcheck, "... and a 17th is ENOSPC", ENOSPC,
        as_user(user_a, [&] { return sys_.set_param("abi_u_over"); }));
    // Users together hold at most 48 names: 16 stay for privileged callers.
    first_failure = 0;
    for (uid_t u : {user_b, user_c})
        for (int i = 0; i < unprivileged_names; ++i)
            if (int e = as_user(u,
                                [&] {
                                    return sys_.set_param("abi_" + std::to_string(u % 100) + "_" +
                                                          std::to_string(i));
                                });
                e && !first_failure)
                first_failure = e;
    row(rs::pfcheck, "three users may track 16 names each", 0, first_failure);
    row(rs::pfcheck, "a fourth user gets ENOSPC: 16 names stay for privileged callers", ENOSPC,
        as_user(user_d, [&] { return sys_.set_param("abi_d_0"); }));
    row(rs::pfcheck, "... which root may still track", 0, sys_.set_param("abi_root_more"));
    ++tracked_;
    for (uid_t u : {user_a, user_b, user_c})
        as_user(u, [&] { return sys_.cleanup(); });
    first_failure = 0;
    for (int i = 0; tracked_ < all_names; ++i, ++tracked_)
        if (int e = sys_.set_param("abi_n" + std::to_string(i)); e && !first_failure)
            first_failure = e;
    row(rs::pfcheck, "64 names can be tracked at once", 0, first_failure);
    row(rs::pfcheck, "a 65th name is ENOSPC", ENOSPC, sys_.set_param("abi_over"));
}

void table::cleanup() {
    pf_stat st{};
    row(rs::course, "pf_cleanup succeeds", 0, sys_.cleanup());
    row(rs::course, "pf_cleanup twice is EACCES", EACCES, sys_.cleanup());
    row(rs::course, "pf_get_info after pf_cleanup is EACCES", EACCES, sys_.get_info("abi_a", &st));
    row(rs::course, "pf_set_param after pf_cleanup starts again", 0, sys_.set_param("abi_a"));
    row(rs::course, "pf_get_info on a name tracked before the cleanup is EINVAL", EINVAL,
        sys_.get_info("abi_perm", &st));
    row(rs::course, "a final pf_cleanup succeeds", 0, sys_.cleanup());
}

std::vector<abi_row> table::run() {
    if (!mem_.ok) {
        rows_.push_back(
            {.proves = "the test arena can be mapped", .got = errno, .note = "mmap failed"});
        return rows_;
    }
    environment();
    nothing_initialised();
    bad_names();
    tracked_names();
    if (getuid() == 0) {
        root_record();
        user_record();
        non_dumpable();
        setgid_program();
        stalled_name();
        {
            memory_cgroup cg("pfcheck_abi_cap_" + std::to_string(getpid()));
            std::optional<long> slab;
            chunk_cap(cg, slab);
            memcg_charge(cg, slab);
        }
        stalled_layout();
        limits();
    } else {
        skip(rs::course, "permission and limit rows (they start processes as other users)",
             "skipped: pfcheck is not running as root");
    }
    cleanup();
    return rows_;
}

} // namespace

std::string abi_row::got_string() const {
    return got_text.empty() ? errno_name(got) : got_text;
}

std::string abi_row::expected_string() const {
    return expected_text.empty() ? errno_name(expected) : expected_text;
}

nlohmann::json to_json(const std::vector<abi_row>& rows) {
    std::vector<schema::abi_row> out;
    for (const auto& r : rows)
        out.push_back({.proves = r.proves,
                       .expected = r.expected_string(),
                       .got = r.got_string(),
                       .pass = r.pass,
                       .skipped = r.skipped,
                       .note = r.note,
                       .rule = oracle::to_string(r.source)});
    return out;
}

namespace {

// Maps the page of the file at `path` and reads it, in a thread, through
// /proc/self/mem: a get_user_pages() that holds this address space's mmap
// lock until the page is served.
bool start_stalled_read(const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    int mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
    void* p = fd < 0 ? MAP_FAILED : mmap(nullptr, page, PROT_READ, MAP_SHARED, fd, 0);
    if (mem < 0 || p == MAP_FAILED)
        return false;
    auto at = static_cast<off64_t>(reinterpret_cast<std::uintptr_t>(p));
    std::thread([mem, at] {
        char c;
        (void)!pread64(mem, &c, 1, at);
    }).detach();
    return true;
}

} // namespace

int idle_main(int ready_fd, int release_fd, const std::string& mode) {
    const std::string stall = "stall=";
    bool stalls = mode.rfind(stall, 0) == 0;
    if (mode == "nodump" && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return 1;
    if (mode == "sparse" && !record_zero_page_cows(capped_pages, chunk_pages))
        return 1;
    if (stalls && !start_stalled_read(mode.substr(stall.size())))
        return 1;
    char c = 'r';
    if (write(ready_fd, &c, 1) != 1)
        return 1;
    close(ready_fd);
    // Told to, the main thread maps a page: a writer of the mmap lock, which
    // waits behind the stalled read, and every later reader behind it.
    if (stalls && read(release_fd, &c, 1) == 1)
        mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    while (read(release_fd, &c, 1) > 0) {
    }
    return 0;
}

std::vector<abi_row> abi_test(const pf_syscalls& sys, const std::string& program,
                              const std::string& workdir) {
    return table(sys, program, workdir).run();
}

} // namespace pfcheck
