// SPDX-License-Identifier: GPL-2.0-or-later
// Runner side and process side of the scenario protocol. Every scenario
// process waits on its own command pipe; the runner sends one command, and the
// process answers on the shared answer pipe before the runner sends the next.
#include "workloads/executor.hpp"

#include "workloads/catalogue.hpp"
#include "workloads/uffd.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <linux/limits.h>
#include <map>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sstream>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

namespace workloads {

using oracle::action;

namespace {

constexpr std::uint64_t page_size = 4096;
constexpr std::uint64_t table_span = 4u << 20; // one page table maps 4 MiB on i386

enum class internal_op : std::int32_t {
    reap = 100, // waitpid(pid_arg): the actor is the parent of an exited process
};

struct command {
    std::int32_t what = 0;
    std::int32_t region = -1, first = 0, count = 0, child = -1, prot = 0, threads = 0;
    std::int32_t to_slot = -1;
    std::int32_t pid_arg = 0;
    char name[16] = {};
};
static_assert(sizeof(command) < PIPE_BUF, "a command must be written atomically");

struct answer_header {
    std::int32_t ok = 1;
    std::int32_t pid = 0;
    std::int32_t child_pid = 0;
    std::uint32_t payload = 0; // bytes of text that follow: an error or a maps file
};

bool write_all(int fd, const void* data, std::size_t n) {
    auto p = static_cast<const char*>(data);
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

// Reads exactly n bytes; with a timeout (ms, -1 for none) on each wait.
bool read_all(int fd, void* data, std::size_t n, int timeout_ms) {
    auto p = static_cast<char*>(data);
    while (n > 0) {
        if (timeout_ms >= 0) {
            pollfd pfd{fd, POLLIN, 0};
            int r = ::poll(&pfd, 1, timeout_ms);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return false;
        }
        ssize_t got = ::read(fd, p, n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        p += got;
        n -= static_cast<std::size_t>(got);
    }
    return true;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// ---------------------------------------------------------------- process side

struct process_context {
    const oracle::scenario* s = nullptr;
    int id = 0;
    std::uint64_t base = 0;
    std::vector<int> cmd_fds;
    int answer_fd = -1;
    std::string self;              // the path this image was executed from
    std::vector<std::string> argv; // to execute again
    std::vector<int> region_slot;  // where each region is now
};

process_context ctx;

std::uint64_t stride() {
    return static_cast<std::uint64_t>(oracle::slot_stride_pages(*ctx.s)) * page_size;
}

char* page_address(int region, int page) {
    return reinterpret_cast<char*>(ctx.base + ctx.region_slot[region] * stride() +
                                   static_cast<std::uint64_t>(page) * page_size);
}

void answer(bool ok, int child_pid = 0, const std::string& text = {}) {
    answer_header h;
    h.ok = ok ? 1 : 0;
    h.pid = getpid();
    h.child_pid = child_pid;
    h.payload = static_cast<std::uint32_t>(text.size());
    write_all(ctx.answer_fd, &h, sizeof h);
    if (!text.empty())
        write_all(ctx.answer_fd, text.data(), text.size());
}

std::string errno_text(const char* what) {
    return std::string(what) + ": " + std::strerror(errno);
}

// Map every region in its home slot, inside a PROT_NONE reservation whose
// remains are the guards between slots.
std::string map_regions() {
    const auto& s = *ctx.s;
    std::uint64_t total = static_cast<std::uint64_t>(oracle::slot_count(s)) * stride();
    if (ctx.base == 0) {
        void* r = mmap(nullptr, total + table_span, PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (r == MAP_FAILED)
            return errno_text("reserve");
        // Through uintptr_t: GCC sign-extends a 32-bit pointer cast straight to 64 bits.
        auto start = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(r));
        std::uint64_t aligned = (start + table_span - 1) / table_span * table_span;
        if (aligned > start)
            munmap(r, aligned - start);
        std::uint64_t tail = start + total + table_span - (aligned + total);
        if (tail)
            munmap(reinterpret_cast<void*>(aligned + total), tail);
        ctx.base = aligned;
    } else {
        void* want = reinterpret_cast<void*>(ctx.base);
        void* r = mmap(want, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (r != want)
            return "cannot reserve the slots at the same address after exec";
    }
    ctx.region_slot.clear();
    for (std::size_t i = 0; i < s.regions.size(); ++i) {
        const auto& reg = s.regions[i];
        ctx.region_slot.push_back(static_cast<int>(i));
        std::size_t len = static_cast<std::size_t>(reg.pages) * page_size;
        int prot = PROT_READ | (reg.prot == oracle::protection::read_write ? PROT_WRITE : 0);
        void* addr = page_address(static_cast<int>(i), 0);
        void* got = MAP_FAILED;
        if (reg.kind == oracle::region_kind::anon_private) {
            got = mmap(addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        } else {
            // A memory file whose pages are all in the page cache.
            int fd = static_cast<int>(syscall(SYS_memfd_create, reg.name.c_str(), 0));
            if (fd < 0)
                return errno_text("memfd_create");
            std::vector<char> page(page_size, 'p');
            for (int p = 0; p < reg.pages; ++p)
                if (!write_all(fd, page.data(), page.size()))
                    return errno_text("fill file");
            int flags = (reg.kind == oracle::region_kind::shared ? MAP_SHARED : MAP_PRIVATE);
            got = mmap(addr, len, prot, flags | MAP_FIXED, fd, 0);
            close(fd);
        }
        if (got != addr)
            return errno_text("map region");
    }
    return {};
}

[[gnu::noinline]] void touch_stack(int pages) {
    volatile char frame[page_size];
    frame[0] = 1;
    frame[page_size - 1] = 1;
    asm volatile("" : : "r"(frame) : "memory"); // keep the frame: it is the point
    if (pages > 1)
        touch_stack(pages - 1);
}

struct thread_job {
    char* first;
    int pages;
};

void* thread_writer(void* arg) {
    auto* job = static_cast<thread_job*>(arg);
    for (int i = 0; i < job->pages; ++i)
        *reinterpret_cast<volatile char*>(job->first + i * page_size) = 1;
    return nullptr;
}

std::string make_argv_and_exec() {
    // A forked process inherited its parent's arguments: give the new image its own id.
    for (std::size_t i = 1; i + 1 < ctx.argv.size(); ++i)
        if (ctx.argv[i] == "--id")
            ctx.argv[i + 1] = std::to_string(ctx.id);
    std::vector<char*> args;
    for (auto& a : ctx.argv)
        args.push_back(a.data());
    args.push_back(nullptr);
    execv(ctx.self.c_str(), args.data());
    return errno_text("execv");
}

// Runs one command; returns false when the process must stop reading.
bool perform(const command& c) {
    const auto& s = *ctx.s;
    auto what = static_cast<action>(c.what);
    int first = c.first;
    int last = 0;
    if (c.region >= 0 && c.region < static_cast<int>(s.regions.size()))
        last = c.count == 0 ? s.regions[c.region].pages : c.first + c.count;
    auto range_len = [&] { return static_cast<std::size_t>(last - first) * page_size; };

    if (c.what == static_cast<std::int32_t>(internal_op::reap)) {
        int status = 0;
        pid_t r = waitpid(c.pid_arg, &status, 0);
        answer(r == c.pid_arg, 0, r == c.pid_arg ? "" : errno_text("waitpid"));
        return true;
    }

    switch (what) {
    case action::write:
        for (int i = first; i < last; ++i)
            *reinterpret_cast<volatile char*>(page_address(c.region, i)) = 1;
        answer(true);
        return true;
    case action::read:
        for (int i = first; i < last; ++i)
            (void)*reinterpret_cast<volatile char*>(page_address(c.region, i));
        answer(true);
        return true;
    case action::fork: {
        pid_t pid = fork();
        if (pid < 0) {
            answer(false, 0, errno_text("fork"));
            return true;
        }
        if (pid == 0) {
            ctx.id = c.child;
            answer(true); // the child now reads its own pipe
            return true;
        }
        answer(true, pid);
        return true;
    }
    case action::exit: {
        // The runner keeps the layout of the reported process as it exits.
        answer(true, 0, read_file("/proc/self/maps"));
        _exit(0);
    }
    case action::exec: {
        std::string err = make_argv_and_exec();
        answer(false, 0, err);
        return true;
    }
    case action::rename: {
        char name[16] = {};
        std::memcpy(name, c.name, sizeof name - 1);
        bool ok = prctl(PR_SET_NAME, name, 0, 0, 0) == 0;
        answer(ok, 0, ok ? "" : errno_text("prctl"));
        return true;
    }
    case action::mprotect: {
        int prot = PROT_READ |
                   (c.prot == static_cast<int>(oracle::protection::read_write) ? PROT_WRITE : 0);
        bool ok = mprotect(page_address(c.region, first), range_len(), prot) == 0;
        answer(ok, 0, ok ? "" : errno_text("mprotect"));
        return true;
    }
    case action::munmap: {
        bool ok = munmap(page_address(c.region, first), range_len()) == 0;
        answer(ok, 0, ok ? "" : errno_text("munmap"));
        return true;
    }
    case action::madvise_dontneed: {
        bool ok = madvise(page_address(c.region, first), range_len(), MADV_DONTNEED) == 0;
        answer(ok, 0, ok ? "" : errno_text("madvise"));
        return true;
    }
    case action::mremap: {
        char* from = page_address(c.region, 0);
        std::size_t len = static_cast<std::size_t>(s.regions[c.region].pages) * page_size;
        auto* to = reinterpret_cast<char*>(ctx.base + c.to_slot * stride());
        void* got = mremap(from, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to);
        bool ok = got == to;
        if (ok)
            ctx.region_slot[c.region] = c.to_slot;
        answer(ok, 0, ok ? "" : errno_text("mremap"));
        return true;
    }
    case action::thread_write: {
        thread_job job{page_address(c.region, first), last - first};
        for (int t = 0; t < c.threads; ++t) {
            pthread_t th;
            if (pthread_create(&th, nullptr, thread_writer, &job) != 0) {
                answer(false, 0, "pthread_create failed");
                return true;
            }
            pthread_join(th, nullptr);
        }
        answer(true);
        return true;
    }
    case action::vfork_write: {
        char* start = page_address(c.region, first);
        int pages = last - first;
        pid_t pid = vfork();
        if (pid == 0) {
            for (int i = 0; i < pages; ++i)
                *reinterpret_cast<volatile char*>(start + i * page_size) = 1;
            _exit(0);
        }
        int status = 0;
        bool ok = pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status);
        answer(ok, 0, ok ? "" : "vfork child failed");
        return true;
    }
    case action::write_expect_segv: {
        char* target = page_address(c.region, first);
        pid_t pid = fork();
        if (pid == 0) {
            signal(SIGSEGV, SIG_DFL);
            *reinterpret_cast<volatile char*>(target) = 1;
            _exit(0); // not reached when the VMA is read-only
        }
        int status = 0;
        bool ok = pid > 0 && waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
                  WTERMSIG(status) == SIGSEGV;
        char where[32];
        std::snprintf(where, sizeof where, "%llx",
                      static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(target)));
        answer(ok, pid, ok ? where : "the write to a read-only VMA did not raise SIGSEGV");
        return true;
    }
    case action::uffd_wp_write: {
        bool shared = s.regions[c.region].kind == oracle::region_kind::shared;
        std::string err = uffd_wp_write(page_address(c.region, first), last - first, shared);
        answer(err.empty(), 0, err);
        return true;
    }
    case action::kernel_write: {
        int fds[2];
        if (pipe(fds) != 0) {
            answer(false, 0, errno_text("pipe"));
            return true;
        }
        bool ok = true;
        for (int i = first; ok && i < last; ++i) {
            char byte = 'k';
            ok =
                ::write(fds[1], &byte, 1) == 1 && ::read(fds[0], page_address(c.region, i), 1) == 1;
        }
        close(fds[0]);
        close(fds[1]);
        answer(ok, 0, ok ? "" : errno_text("read into the page"));
        return true;
    }
    case action::grow_stack:
        touch_stack(c.count);
        answer(true);
        return true;
    case action::grow_heap: {
        void* old = sbrk(static_cast<intptr_t>(c.count * page_size));
        bool ok = old != reinterpret_cast<void*>(-1);
        for (int i = 0; ok && i < c.count; ++i)
            static_cast<volatile char*>(old)[i * page_size] = 1;
        answer(ok, 0, ok ? "" : errno_text("sbrk"));
        return true;
    }
    }
    answer(false, 0, "unknown command");
    return true;
}

// ----------------------------------------------------------------- runner side

struct process_record {
    pid_t pid = 0;
    int parent = -1; // -1: the runner
    bool alive = false;
};

class runner {
  public:
    runner(const oracle::scenario& s, std::string program, std::string workdir, hooks& h,
           int timeout_ms)
        : s_(s), program_(std::move(program)), workdir_(std::move(workdir)), h_(h),
          timeout_ms_(timeout_ms) {}

    execution run() {
        execution out;
        if (!setup(out))
            return out;
        if (!start_root(out)) {
            teardown();
            return out;
        }
        for (std::size_t i = 0; i < s_.steps.size() && out.errors.empty(); ++i) {
            if (!wait_until_quiet(out, "before step " + std::to_string(i)))
                break;
            perform_step(static_cast<int>(i), s_.steps[i], out);
            h_.after_step();
        }
        if (out.errors.empty() && wait_until_quiet(out, "before the query"))
            query(out);
        teardown();
        return out;
    }

  private:
    const oracle::scenario& s_;
    std::string program_, workdir_;
    hooks& h_;
    int timeout_ms_;
    std::vector<int> cmd_read_, cmd_write_;
    int answer_read_ = -1, answer_write_ = -1;
    std::map<int, process_record> procs_;
    int reported_ = 0;
    std::string reported_maps_at_exit_;
    std::vector<std::pair<pid_t, std::uint64_t>> segv_writes_;
    std::uint64_t base_ = 0;
    pid_t group_ = 0;
    std::string link_;

    int max_id() const {
        int most = 0;
        for (const auto& st : s_.steps)
            most = std::max({most, st.actor, st.child});
        return most;
    }

    bool setup(execution& out) {
        link_ = workdir_ + "/" + s_.name;
        unlink(link_.c_str());
        if (symlink(program_.c_str(), link_.c_str()) != 0) {
            out.errors.push_back(errno_text(("cannot create " + link_).c_str()));
            return false;
        }
        int n = max_id() + 1;
        for (int i = 0; i < n; ++i) {
            int fds[2];
            if (pipe(fds) != 0) {
                out.errors.push_back(errno_text("pipe"));
                return false;
            }
            cmd_read_.push_back(fds[0]);
            cmd_write_.push_back(fds[1]);
        }
        int fds[2];
        if (pipe(fds) != 0) {
            out.errors.push_back(errno_text("pipe"));
            return false;
        }
        answer_read_ = fds[0];
        answer_write_ = fds[1];
        // Orphans come back to the runner, which reaps them.
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        return true;
    }

    std::vector<std::string> process_args(int id) const {
        std::string fds;
        for (int fd : cmd_read_)
            fds += (fds.empty() ? "" : ",") + std::to_string(fd);
        char base[32];
        std::snprintf(base, sizeof base, "%llx", static_cast<unsigned long long>(base_));
        return {link_,
                "--scenario-process",
                s_.name,
                "--id",
                std::to_string(id),
                "--base",
                base,
                "--cmd-fds",
                fds,
                "--answer-fd",
                std::to_string(answer_write_)};
    }

    bool receive(answer_header& h, std::string& text, const std::string& what, execution& out) {
        if (!read_all(answer_read_, &h, sizeof h, timeout_ms_)) {
            out.errors.push_back(what + ": no answer within " + std::to_string(timeout_ms_) +
                                 " ms");
            return false;
        }
        text.assign(h.payload, '\0');
        if (h.payload && !read_all(answer_read_, text.data(), h.payload, timeout_ms_)) {
            out.errors.push_back(what + ": truncated answer");
            return false;
        }
        if (!h.ok) {
            out.errors.push_back(what + ": " + text);
            return false;
        }
        return true;
    }

    bool start_root(execution& out) {
        int go[2];
        if (pipe2(go, O_CLOEXEC) != 0) {
            out.errors.push_back(errno_text("pipe"));
            return false;
        }
        auto args = process_args(0);
        pid_t pid = fork();
        if (pid == 0) {
            char c;
            setpgid(0, 0); // the scenario's processes form one group, killed as one
            close(go[1]);
            if (read(go[0], &c, 1) != 1)
                _exit(126);
            std::vector<char*> argv;
            for (auto& a : args)
                argv.push_back(a.data());
            argv.push_back(nullptr);
            execv(link_.c_str(), argv.data());
            _exit(127);
        }
        close(go[0]);
        if (pid < 0) {
            close(go[1]);
            out.errors.push_back(errno_text("fork"));
            return false;
        }
        setpgid(pid, pid);
        group_ = pid;
        procs_[0] = {pid, -1, true};
        bool attach = h_.before_exec(pid);
        if (!attach) {
            close(go[1]);
            out.errors.push_back("the observer could not attach to the scenario");
            return false;
        }
        char c = 'g';
        write_all(go[1], &c, 1);
        close(go[1]);
        answer_header h;
        std::string text;
        if (!receive(h, text, "scenario start", out))
            return false;
        base_ = std::strtoull(text.c_str(), nullptr, 16);
        return true;
    }

    bool send(int id, const command& c, const std::string& what, execution& out) {
        if (!write_all(cmd_write_[id], &c, sizeof c)) {
            out.errors.push_back(what + ": cannot send the command");
            return false;
        }
        return true;
    }

    void reap(int id, execution& out, const std::string& what) {
        auto& rec = procs_[id];
        int parent = rec.parent;
        if (parent >= 0 && procs_[parent].alive) {
            command c;
            c.what = static_cast<std::int32_t>(internal_op::reap);
            c.pid_arg = rec.pid;
            answer_header h;
            std::string text;
            if (send(parent, c, what, out))
                receive(h, text, what + " (reap)", out);
        } else {
            int status = 0;
            waitpid(rec.pid, &status, 0);
        }
        for (auto& [cid, child] : procs_)
            if (child.alive && child.parent == id)
                child.parent = -1; // reparented to the runner, the subreaper
    }

    // True once the process sleeps in read() on its command pipe, per
    // /proc/PID/syscall. A process that has answered may still run a little
    // user code before it blocks, and that code can take CoW faults (its
    // pages are shared after a fork); no step starts, and the kernel is not
    // asked, until every process is quiet.
    bool blocked_on_command(int id) const {
        std::string text = read_file("/proc/" + std::to_string(procs_.at(id).pid) + "/syscall");
        std::istringstream in(text);
        long nr = -1;
        std::string fd;
        if (!(in >> nr >> fd))
            return false; // "running", or gone
        return nr == SYS_read && std::strtol(fd.c_str(), nullptr, 16) == cmd_read_[id];
    }

    bool wait_until_quiet(execution& out, const std::string& what) {
        timespec start{}, now{};
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (auto& [id, p] : procs_) {
            while (p.alive && !blocked_on_command(id)) {
                clock_gettime(CLOCK_MONOTONIC, &now);
                long ms =
                    (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
                if (ms > timeout_ms_) {
                    out.errors.push_back(what + ": P" + std::to_string(id) +
                                         " did not go back to waiting for commands");
                    return false;
                }
                sched_yield(); // let it run to its read()
            }
        }
        return true;
    }

    void perform_step(int index, const oracle::step& st, execution& out) {
        std::string what = "step " + std::to_string(index) + " (P" + std::to_string(st.actor) +
                           " " + oracle::to_string(st.what) + ")";
        auto it = procs_.find(st.actor);
        if (it == procs_.end() || !it->second.alive) {
            out.errors.push_back(what + ": the process is not alive");
            return;
        }
        command c;
        c.what = static_cast<std::int32_t>(st.what);
        c.region = st.region;
        c.first = st.first;
        c.count = st.count;
        c.child = st.child;
        c.prot = static_cast<std::int32_t>(st.prot);
        c.threads = st.threads;
        c.to_slot = st.to_slot;
        std::strncpy(c.name, st.name.c_str(), sizeof c.name - 1);
        if (!send(st.actor, c, what, out))
            return;
        answer_header h;
        std::string text;
        if (!receive(h, text, what, out))
            return;
        switch (st.what) {
        case action::fork: {
            // Parent and child both answer, in either order.
            answer_header other;
            std::string more;
            if (!receive(other, more, what + " (second answer)", out))
                return;
            pid_t child = h.child_pid ? h.child_pid : other.child_pid;
            procs_[st.child] = {child, st.actor, true};
            break;
        }
        case action::exit:
            if (st.actor == reported_)
                reported_maps_at_exit_ = text;
            it->second.alive = false;
            reap(st.actor, out, what);
            break;
        case action::write_expect_segv:
            segv_writes_.emplace_back(h.child_pid, std::strtoull(text.c_str(), nullptr, 16));
            break;
        case action::exec:
            // The new image answers once it has mapped its regions.
            reported_ = st.actor;
            reported_maps_at_exit_.clear();
            h_.after_exec_step();
            break;
        default:
            break;
        }
    }

    void query(execution& out) {
        query_point q;
        auto& rec = procs_[reported_];
        q.reported_pid = rec.pid;
        if (rec.alive)
            q.maps = read_file("/proc/" + std::to_string(rec.pid) + "/maps");
        else
            q.maps = reported_maps_at_exit_;
        if (s_.query == oracle::query_time::after_exit) {
            for (auto& [id, p] : procs_)
                if (p.alive)
                    out.errors.push_back("P" + std::to_string(id) +
                                         " is alive at an after-exit query: the script must "
                                         "exit every process");
        }
        q.slots.base = base_;
        q.slots.slot_bytes = static_cast<std::uint64_t>(oracle::slot_stride_pages(s_)) * page_size;
        q.slots.page_size = page_size;
        q.segv_writes = segv_writes_;
        h_.at_query(q);
    }

    void teardown() {
        // Whatever state the scenario is in, none of its processes survives it.
        if (group_ > 0)
            kill(-group_, SIGKILL);
        for (auto& [id, p] : procs_)
            p.alive = false;
        // Every scenario process is the runner's child or was reparented to it.
        while (waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
        }
        for (int fd : cmd_read_)
            close(fd);
        for (int fd : cmd_write_)
            close(fd);
        if (answer_read_ >= 0)
            close(answer_read_);
        if (answer_write_ >= 0)
            close(answer_write_);
        unlink(link_.c_str());
    }
};

std::vector<int> parse_fds(const std::string& text) {
    std::vector<int> fds;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ','))
        fds.push_back(std::atoi(item.c_str()));
    return fds;
}

} // namespace

execution execute(const oracle::scenario& s, const std::string& program, const std::string& workdir,
                  hooks& h, int step_timeout_ms) {
    return runner(s, program, workdir, h, step_timeout_ms).run();
}

int scenario_process_main(int argc, char** argv) {
    std::string name;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string key = argv[i], value = argv[i + 1];
        if (key == "--scenario-process")
            name = value;
        else if (key == "--id")
            ctx.id = std::atoi(value.c_str());
        else if (key == "--base")
            ctx.base = std::strtoull(value.c_str(), nullptr, 16);
        else if (key == "--cmd-fds")
            ctx.cmd_fds = parse_fds(value);
        else if (key == "--answer-fd")
            ctx.answer_fd = std::atoi(value.c_str());
    }
    ctx.s = find(name);
    ctx.self = argv[0];
    if (!ctx.s || ctx.answer_fd < 0 || ctx.id < 0 ||
        ctx.id >= static_cast<int>(ctx.cmd_fds.size())) {
        std::fprintf(stderr, "pfcheck: bad scenario process arguments\n");
        return 2;
    }
    std::string err = map_regions();
    // Arguments for an exec step: same process, same slots.
    char base[32];
    std::snprintf(base, sizeof base, "%llx", static_cast<unsigned long long>(ctx.base));
    ctx.argv.assign(argv, argv + argc);
    for (std::size_t i = 1; i + 1 < ctx.argv.size(); i += 2)
        if (ctx.argv[i] == "--base")
            ctx.argv[i + 1] = base;
    answer(err.empty(), 0, err.empty() ? std::string(base) : err);
    if (!err.empty())
        return 1;
    for (;;) {
        command c;
        if (!read_all(ctx.cmd_fds[ctx.id], &c, sizeof c, -1))
            _exit(3); // the runner is gone
        perform(c);
    }
}

} // namespace workloads
