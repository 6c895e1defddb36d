// SPDX-License-Identifier: GPL-2.0-or-later
// The scenario process side: map the regions, then perform each command the
// runner sends. Each action is one function, `perform_<action>`, found
// through the table in oracle/actions.inc.
#include "protocol.hpp"
#include "workloads/catalogue.hpp"
#include "workloads/executor.hpp"
#include "workloads/uffd.hpp"

#include <array>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <pthread.h>
#include <sstream>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace workloads {

using namespace protocol;
using oracle::action;
using oracle::page_size;

namespace {

constexpr std::uint64_t table_span = 4u << 20; // one page table maps 4 MiB on i386

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

char* page_address(int region, int page) {
    return reinterpret_cast<char*>(ctx.base + ctx.region_slot[region] * slot_stride_bytes(*ctx.s) +
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

// "" on success, else what failed.
void answer_result(const std::string& err) {
    answer(err.empty(), 0, err);
}

// Reserves the slots: at a 4 MiB boundary the first time, at the same
// address after an exec (the oracle's addresses must not move).
std::string reserve_slots(std::uint64_t total) {
    if (ctx.base != 0) {
        void* want = reinterpret_cast<void*>(ctx.base);
        void* r = mmap(want, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        return r == want ? "" : "cannot reserve the slots at the same address after exec";
    }
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
    return {};
}

// A memory file whose pages are all in the page cache; -1 and `err` on failure.
int cached_file(const oracle::region& reg, std::string& err) {
    int fd = static_cast<int>(syscall(SYS_memfd_create, reg.name.c_str(), 0));
    if (fd < 0) {
        err = errno_text("memfd_create");
        return -1;
    }
    std::vector<char> page(page_size, 'p');
    for (int p = 0; p < reg.pages; ++p)
        if (!write_all(fd, page.data(), page.size())) {
            err = errno_text("fill file");
            close(fd);
            return -1;
        }
    return fd;
}

std::string map_region(int index) {
    const auto& reg = ctx.s->regions[index];
    std::size_t len = static_cast<std::size_t>(reg.pages) * page_size;
    int prot = PROT_READ | (reg.prot == oracle::protection::read_write ? PROT_WRITE : 0);
    void* addr = page_address(index, 0);
    void* got = MAP_FAILED;
    if (reg.kind == oracle::region_kind::anon_private) {
        got = mmap(addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    } else {
        std::string err;
        int fd = cached_file(reg, err);
        if (fd < 0)
            return err;
        int flags = reg.kind == oracle::region_kind::shared ? MAP_SHARED : MAP_PRIVATE;
        got = mmap(addr, len, prot, flags | MAP_FIXED, fd, 0);
        close(fd);
    }
    return got == addr ? "" : errno_text("map region");
}

// Map every region in its home slot, inside a PROT_NONE reservation whose
// remains are the guards between slots.
std::string map_regions() {
    const auto& s = *ctx.s;
    if (auto err = reserve_slots(oracle::slot_count(s) * slot_stride_bytes(s)); !err.empty())
        return err;
    ctx.region_slot.clear();
    for (std::size_t i = 0; i < s.regions.size(); ++i)
        ctx.region_slot.push_back(static_cast<int>(i));
    for (std::size_t i = 0; i < s.regions.size(); ++i)
        if (auto err = map_region(static_cast<int>(i)); !err.empty())
            return err;
    return {};
}

// The pages a command names: [first, last).
struct pages {
    int first = 0, last = 0;
    std::size_t bytes() const { return static_cast<std::size_t>(last - first) * page_size; }
};
pages range_of(const command& c) {
    const auto& s = *ctx.s;
    if (c.region < 0 || c.region >= static_cast<int>(s.regions.size()))
        return {};
    return {c.first, c.count == 0 ? s.regions[c.region].pages : c.first + c.count};
}

void store(char* p) {
    *reinterpret_cast<volatile char*>(p) = 1;
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
        store(job->first + i * page_size);
    return nullptr;
}

// Executes this program again as `name` (the link's name is the new comm).
std::string exec_again(const std::string& name) {
    // A forked process inherited its parent's arguments: give the new image its own id.
    for (std::size_t i = 1; i + 1 < ctx.argv.size(); ++i)
        if (ctx.argv[i] == "--id")
            ctx.argv[i + 1] = std::to_string(ctx.id);
    std::string path = ctx.self;
    if (!name.empty())
        path = ctx.self.substr(0, ctx.self.rfind('/') + 1) + name;
    ctx.argv[0] = path;
    std::vector<char*> args;
    for (auto& a : ctx.argv)
        args.push_back(a.data());
    args.push_back(nullptr);
    execv(path.c_str(), args.data());
    return errno_text(("execv " + path).c_str());
}

// ---- the actions, one function each

void perform_write(const command& c) {
    auto r = range_of(c);
    for (int i = r.first; i < r.last; ++i)
        store(page_address(c.region, i));
    answer(true);
}

void perform_read(const command& c) {
    auto r = range_of(c);
    for (int i = r.first; i < r.last; ++i)
        (void)*reinterpret_cast<volatile char*>(page_address(c.region, i));
    answer(true);
}

void perform_write_expect_segv(const command& c) {
    char* target = page_address(c.region, c.first);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL);
        (void)*reinterpret_cast<volatile char*>(target); // present: the write is a protection fault
        store(target);
        _exit(0); // not reached when the VMA is read-only
    }
    int status = 0;
    bool ok = pid > 0 && waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
              WTERMSIG(status) == SIGSEGV;
    char where[32];
    std::snprintf(where, sizeof where, "%llx",
                  static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(target)));
    answer(ok, pid, ok ? where : "the write to a read-only VMA did not raise SIGSEGV");
}

void perform_fork(const command& c) {
    pid_t pid = fork();
    if (pid < 0)
        return answer(false, 0, errno_text("fork"));
    if (pid == 0) {
        ctx.id = c.child;
        return answer(true); // the child now reads its own pipe
    }
    answer(true, pid);
}

void perform_exit(const command&) {
    // The runner keeps the layout of the process as it exits.
    answer(true, 0, read_file("/proc/self/maps"));
    _exit(0);
}

void perform_exec(const command& c) {
    // The runner keeps the layout this image leaves; the new image answers
    // once it has mapped its regions.
    answer(true, 0, read_file("/proc/self/maps"));
    answer(false, 0, exec_again(c.name));
}

void perform_rename(const command& c) {
    char name[16] = {};
    std::memcpy(name, c.name, sizeof name - 1);
    bool ok = prctl(PR_SET_NAME, name, 0, 0, 0) == 0;
    answer(ok, 0, ok ? "" : errno_text("prctl"));
}

void perform_mprotect(const command& c) {
    auto r = range_of(c);
    int prot =
        PROT_READ | (c.prot == static_cast<int>(oracle::protection::read_write) ? PROT_WRITE : 0);
    bool ok = mprotect(page_address(c.region, r.first), r.bytes(), prot) == 0;
    answer(ok, 0, ok ? "" : errno_text("mprotect"));
}

void perform_munmap(const command& c) {
    auto r = range_of(c);
    bool ok = munmap(page_address(c.region, r.first), r.bytes()) == 0;
    answer(ok, 0, ok ? "" : errno_text("munmap"));
}

void perform_madvise_dontneed(const command& c) {
    auto r = range_of(c);
    bool ok = madvise(page_address(c.region, r.first), r.bytes(), MADV_DONTNEED) == 0;
    answer(ok, 0, ok ? "" : errno_text("madvise"));
}

void perform_mremap(const command& c) {
    char* from = page_address(c.region, 0);
    std::size_t len = static_cast<std::size_t>(ctx.s->regions[c.region].pages) * page_size;
    auto* to = reinterpret_cast<char*>(ctx.base + c.to_slot * slot_stride_bytes(*ctx.s));
    bool ok = mremap(from, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to) == to;
    if (ok)
        ctx.region_slot[c.region] = c.to_slot;
    answer(ok, 0, ok ? "" : errno_text("mremap"));
}

void perform_thread_write(const command& c) {
    auto r = range_of(c);
    thread_job job{page_address(c.region, r.first), r.last - r.first};
    for (int t = 0; t < c.threads; ++t) {
        pthread_t th;
        if (pthread_create(&th, nullptr, thread_writer, &job) != 0)
            return answer(false, 0, "pthread_create failed");
        pthread_join(th, nullptr);
    }
    answer(true);
}

void perform_vfork_write(const command& c) {
    auto r = range_of(c);
    char* start = page_address(c.region, r.first);
    int n = r.last - r.first;
    pid_t pid = vfork();
    if (pid == 0) {
        for (int i = 0; i < n; ++i)
            store(start + i * page_size);
        _exit(0);
    }
    int status = 0;
    bool ok = pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status);
    answer(ok, 0, ok ? "" : "vfork child failed");
}

void perform_grow_stack(const command& c) {
    touch_stack(c.count);
    answer(true);
}

void perform_grow_heap(const command& c) {
    void* old = sbrk(static_cast<intptr_t>(c.count * page_size));
    bool ok = old != reinterpret_cast<void*>(-1);
    for (int i = 0; ok && i < c.count; ++i)
        store(static_cast<char*>(old) + i * page_size);
    answer(ok, 0, ok ? "" : errno_text("sbrk"));
}

void perform_kernel_write(const command& c) {
    auto r = range_of(c);
    int fds[2];
    if (pipe(fds) != 0)
        return answer(false, 0, errno_text("pipe"));
    bool ok = true;
    for (int i = r.first; ok && i < r.last; ++i) {
        char byte = 'k';
        ok = ::write(fds[1], &byte, 1) == 1 && ::read(fds[0], page_address(c.region, i), 1) == 1;
    }
    close(fds[0]);
    close(fds[1]);
    answer(ok, 0, ok ? "" : errno_text("read into the page"));
}

void perform_uffd_wp_write(const command& c) {
    auto r = range_of(c);
    bool shared = ctx.s->regions[c.region].kind == oracle::region_kind::shared;
    answer_result(uffd_wp_write(page_address(c.region, r.first), r.last - r.first, shared));
}

// Steps of the runner never reach a scenario process.
void perform_track(const command&) {
    answer(false, 0, "track is the runner's step, not a process's");
}

void perform_cleanup(const command&) {
    answer(false, 0, "cleanup is the runner's step, not a process's");
}

void perform_reap(const command& c) {
    int status = 0;
    pid_t r = waitpid(c.pid_arg, &status, 0);
    answer(r == c.pid_arg, 0, r == c.pid_arg ? "" : errno_text("waitpid"));
}

void perform(const command& c) {
    using perform_fn = void (*)(const command&);
    static constexpr std::array table = {
#define PFCHECK_ACTION(id, doc) static_cast<perform_fn>(&perform_##id),
#include "oracle/actions.inc"
#undef PFCHECK_ACTION
    };
    if (c.what == static_cast<std::int32_t>(internal_op::reap))
        return perform_reap(c);
    if (c.what < 0 || static_cast<std::size_t>(c.what) >= table.size())
        return answer(false, 0, "unknown command");
    table[static_cast<std::size_t>(c.what)](c);
}

std::vector<int> parse_fds(const std::string& text) {
    std::vector<int> fds;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ','))
        fds.push_back(std::atoi(item.c_str()));
    return fds;
}

bool parse_arguments(int argc, char** argv) {
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
    return ctx.s && ctx.answer_fd >= 0 && ctx.id >= 0 &&
           ctx.id < static_cast<int>(ctx.cmd_fds.size());
}

} // namespace

int scenario_process_main(int argc, char** argv) {
    if (!parse_arguments(argc, argv)) {
        std::fprintf(stderr, "pfcheck: bad scenario process arguments\n");
        return 2;
    }
    std::string before = read_file("/proc/self/maps");
    std::string err = map_regions();
    // Arguments for an exec step: same process, same slots.
    ctx.argv.assign(argv, argv + argc);
    char base[32];
    std::snprintf(base, sizeof base, "%llx", static_cast<unsigned long long>(ctx.base));
    for (std::size_t i = 1; i + 1 < ctx.argv.size(); i += 2)
        if (ctx.argv[i] == "--base")
            ctx.argv[i + 1] = base;
    answer(err.empty(), 0, err.empty() ? startup_payload(ctx.base, before) : err);
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
