// SPDX-License-Identifier: GPL-2.0-or-later
// pfbench: what counting CoW faults costs on the fault path, measured with
// Google Benchmark inside the guest. One process measures one configuration:
//   vanilla         (a) a kernel without the patch: the baseline
//   vanilla-1000vma (a') as (a), with 1,000 extra VMAs: the baseline of (e)
//   untracked       (b) patched, nothing tracked
//   tracked-self    (c) patched, this program's own name tracked
//   tracked-64      (d) patched, 64 names tracked (this one among them)
//   tracked-1000vma (e) as (c), with 1,000 extra VMAs in the process
//   tracked-other   (f) patched, 63 names tracked, not this one
// Every benchmark times only the work it names (manual time), so fork and
// teardown do not blur the figure; items are faults, forks or calls. On two
// or more CPUs, cow_fault_pair times CoW faults while a second process of the
// same name makes its own at once. Under --clock=marks (two vCPUs, QEMU with
// the insn_marks plugin: docs/two-vcpu.md) only cow_fault_pair_marks runs:
// both processes fault at once, each pinned to its own CPU, between marks
// the plugin counts the instructions of.
#include "abi.hpp"
#include "cow_pages.hpp"
#include "insn_marks.h"

#include <algorithm>
#include <atomic>
#include <benchmark/benchmark.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <new>
#include <poll.h>
#include <sched.h>
#include <string>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>
#include <vector>
#if defined(__i386__) || defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace {

using pfcheck::pf_syscalls;

const long page = sysconf(_SC_PAGESIZE);

// --clock=tsc: the time stamp counter read directly. Under QEMU's -icount
// shift=0 it advances by one per guest instruction, exactly, whatever the
// kernel made of its frequency (clock_gettime() scales it by the frequency
// calibrated at boot). A tick is reported as a nanosecond: under icount
// shift=0 both are one instruction.
bool tsc_clock = false;

double now_seconds() {
#if defined(__i386__) || defined(__x86_64__)
    if (tsc_clock)
        return static_cast<double>(__rdtsc()) * 1e-9;
#endif
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

char* map_pages(long pages) {
    void* p = mmap(nullptr, static_cast<std::size_t>(pages * page), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : static_cast<char*>(p);
}

// Waits for child `pid`; its wait status, or -1 when there is none.
int reap(pid_t pid) {
    int status = -1;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

void touch(char* base, long first, long count) {
    for (long i = first; i < first + count; ++i)
        static_cast<volatile char*>(base)[i * page] = 1;
}

// The argument of the program exec_exit runs: pfbench, which exits at once.
const char* const exit_at_once = "--exit-at-once";

// A child process that waits until told to go, or, given `work`, calls it
// over and over until then; stop() tells it and reaps it, as the destructor
// does if need be. Without work it is a sharer: while it lives, each page the
// parent writes is a CoW fault that copies.
class helper {
  public:
    helper() = default;
    helper(const helper&) = delete;
    helper& operator=(const helper&) = delete;
    ~helper() { stop(); }

    bool start(void (*work)() = nullptr) {
        if (pipe(fds_) != 0)
            return false;
        pid_ = fork();
        if (pid_ == 0) {
            close(fds_[1]);
            wait_for_word(work);
            _exit(0);
        }
        close(fds_[0]);
        if (pid_ > 0)
            return true;
        close(fds_[1]);
        return false;
    }
    void stop() {
        if (pid_ <= 0)
            return;
        close(fds_[1]);
        reap(pid_);
        pid_ = -1;
    }

  private:
    void wait_for_word(void (*work)()) {
        pollfd told{fds_[0], POLLIN, 0};
        for (;;) {
            int r = poll(&told, 1, work ? 0 : -1);
            if (r > 0 || (r < 0 && errno != EINTR))
                return;
            if (work && r == 0)
                work();
        }
    }

    int fds_[2] = {-1, -1};
    pid_t pid_ = -1;
};

// Pages a batch prepares at once: writes of small N use a fresh page each time.
constexpr long batch_pages = 2048;

// Times writes of N pages per iteration, taken from batches of fresh pages.
// With `cow`, each batch is populated and then shared with a child, so that
// every timed write is a CoW fault (that copies); without, every timed write
// is a first touch of an anonymous page.
void timed_page_writes(benchmark::State& state, bool cow, const char* label) {
    const long n = state.range(0), region = std::max(n, batch_pages);
    char* base = nullptr;
    helper child;
    auto release = [&] {
        if (base && cow)
            child.stop();
        if (base)
            munmap(base, static_cast<std::size_t>(region * page));
        base = nullptr;
    };
    long cursor = region;
    for (auto _ : state) {
        if (cursor + n > region) {
            release();
            base = map_pages(region);
            if (!base) {
                state.SkipWithError("mmap failed");
                return;
            }
            if (cow) {
                touch(base, 0, region);
                if (!child.start()) {
                    munmap(base, static_cast<std::size_t>(region * page));
                    state.SkipWithError("fork failed");
                    return;
                }
            }
            cursor = 0;
        }
        double t0 = now_seconds();
        touch(base, cursor, n);
        state.SetIterationTime(now_seconds() - t0);
        cursor += n;
    }
    release();
    state.SetItemsProcessed(state.iterations() * n);
    state.SetLabel(label);
}

void cow_fault(benchmark::State& state) {
    timed_page_writes(state, true, "CoW faults");
}

void first_touch(benchmark::State& state) {
    timed_page_writes(state, false, "first-touch faults");
}

// One batch of CoW faults, as cow_fault makes them: the pages written
// while a child shares them. What a rival does until told to stop.
void write_one_batch() {
    char* base = map_pages(batch_pages);
    if (!base)
        return;
    touch(base, 0, batch_pages);
    helper child;
    if (child.start())
        touch(base, 0, batch_pages);
    child.stop();
    munmap(base, static_cast<std::size_t>(batch_pages * page));
}

// The SMP configuration: cow_fault while a rival of the same name (tracked
// or not, as this process) makes CoW faults on the other CPU.
void cow_fault_pair(benchmark::State& state) {
    helper other; // a second process of the same name
    if (!other.start(write_one_batch)) {
        state.SkipWithError("fork of the rival failed");
        return;
    }
    timed_page_writes(state, true, "CoW faults, a rival faulting at once");
    other.stop();
}

// --clock=marks: the pair's windows are counted by the insn_marks plugin
// (guest instructions per vCPU between marks, insn_marks.h), not timed here.
bool marks_clock = false;
// The configuration, as a PF_MARK_RUN names it; -1: none of them.
int config_code = -1;

template <unsigned Id> [[gnu::always_inline]] inline void mark() {
    PF_MARK(Id);
}

// Executes mark (Event, arg) for an argument known only at run time: one
// NOP per possible argument, the one that matches executed.
template <unsigned Event, unsigned... Args>
[[gnu::always_inline]] inline void mark_with(unsigned arg,
                                             std::integer_sequence<unsigned, Args...>) {
    (void)((arg == Args && (mark<PF_MARK_ID(Event, Args)>(), true)) || ...);
}

template <unsigned Event> [[gnu::always_inline]] inline void mark_log2(unsigned arg) {
    mark_with<Event>(arg, std::make_integer_sequence<unsigned, PF_MARK_MAX_LOG2 + 1>{});
}

// Batches of pages whose every write is a CoW fault, as timed_page_writes
// prepares them: populated, then shared with a child.
class cow_batches {
  public:
    explicit cow_batches(long n) : n_(n), region_(std::max(n, batch_pages)) {}
    cow_batches(const cow_batches&) = delete;
    cow_batches& operator=(const cow_batches&) = delete;
    ~cow_batches() { release(); }

    // The next N pages to write; nullptr when a batch cannot be made.
    char* next() {
        if (cursor_ + n_ > region_) {
            release();
            base_ = map_pages(region_);
            if (!base_)
                return nullptr;
            touch(base_, 0, region_);
            if (!sharer_.start()) {
                release();
                return nullptr;
            }
            cursor_ = 0;
        }
        char* p = base_ + cursor_ * page;
        cursor_ += n_;
        return p;
    }

  private:
    void release() {
        sharer_.stop();
        if (base_)
            munmap(base_, static_cast<std::size_t>(region_ * page));
        base_ = nullptr;
        cursor_ = region_;
    }

    long n_, region_, cursor_ = region_;
    char* base_ = nullptr;
    helper sharer_;
};

// The two processes of the pair meet here before each window, so that their
// windows begin together (shared memory; both spin, each on its own CPU,
// outside the windows). A partner that died is noticed: `alive` says.
struct pair_sync {
    std::atomic<unsigned> arrived{0}, generation{0};
    std::atomic<int> stop{0}, twin_failed{0};
};

bool meet(pair_sync* s, bool (*alive)(pid_t), pid_t partner) {
    const unsigned gen = s->generation.load(std::memory_order_acquire);
    if (s->arrived.fetch_add(1, std::memory_order_acq_rel) == 1) {
        s->arrived.store(0, std::memory_order_relaxed);
        s->generation.fetch_add(1, std::memory_order_release);
        return true;
    }
    for (unsigned long spins = 1; s->generation.load(std::memory_order_acquire) == gen; ++spins) {
        _mm_pause();
        if (spins % (1ul << 20) == 0 && !alive(partner))
            return false;
    }
    return true;
}

bool child_alive(pid_t pid) {
    return waitpid(pid, nullptr, WNOHANG) == 0;
}

bool parent_alive(pid_t parent) {
    return getppid() == parent;
}

// Pins the calling process to `cpu`; false unless it runs there now.
bool pin_to(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0 && sched_getcpu() == cpu;
}

// One window: mark, N CoW faults, mark.
void marked_window(char* pages, long n, unsigned log2n) {
    mark_log2<PF_MARK_BEGIN>(log2n);
    touch(pages, 0, n);
    mark_log2<PF_MARK_END>(log2n);
}

// The second process of the pair, on CPU 1: the same rounds as the first,
// until told to stop. Its failures go to the first through `s`.
void twin_rounds(pair_sync* s, pid_t parent, long n, unsigned log2n) {
    if (!pin_to(1))
        s->twin_failed.store(1);
    mark_log2<PF_MARK_RUN>(static_cast<unsigned>(config_code));
    cow_batches pages(n);
    for (;;) {
        char* p = s->twin_failed.load() ? nullptr : pages.next();
        if (!p)
            s->twin_failed.store(s->twin_failed.load() ? s->twin_failed.load() : 2);
        if (!meet(s, parent_alive, parent) || s->stop.load())
            return;
        if (p)
            marked_window(p, n, log2n);
    }
}

// cow_fault_pair under --clock=marks: two processes of the same name (tracked
// or not, as the configuration says), pinned to CPUs 0 and 1, each making N
// CoW faults between a begin and an end mark, at once, every iteration. The
// plugin's log gives the instructions of each window; items are the faults
// of both. The time recorded is the clock's (not the figure).
void cow_fault_pair_marks(benchmark::State& state) {
    const long n = state.range(0);
    unsigned log2n = 0;
    while ((1L << log2n) < n)
        ++log2n;
    if ((1L << log2n) != n || log2n > PF_MARK_MAX_LOG2 || config_code < 0) {
        state.SkipWithError("N must be a power of two up to 2^12, and the configuration known");
        return;
    }
    cpu_set_t original;
    sched_getaffinity(0, sizeof original, &original);
    void* shared =
        mmap(nullptr, sizeof(pair_sync), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) {
        state.SkipWithError("mmap of the shared page failed");
        return;
    }
    auto* s = new (shared) pair_sync;
    const pid_t parent = getpid();
    const pid_t twin = fork();
    if (twin == 0) {
        twin_rounds(s, parent, n, log2n);
        _exit(0);
    }
    std::string failed;
    if (twin < 0)
        failed = "fork of the second process failed";
    else if (!pin_to(0))
        failed = "cannot pin the first process to CPU 0";
    else
        mark_log2<PF_MARK_RUN>(static_cast<unsigned>(config_code));
    {
        cow_batches pages(n);
        for (auto _ : state) {
            char* p = failed.empty() ? pages.next() : nullptr;
            if (!p && failed.empty())
                failed = "mmap or fork of a batch failed";
            if (twin > 0 && !meet(s, child_alive, twin))
                failed = "the second process died";
            else if (const int t = s->twin_failed.load(); t && failed.empty())
                failed = t == 1 ? "cannot pin the second process to CPU 1"
                                : "mmap or fork of a batch failed in the second process";
            if (!failed.empty()) {
                state.SkipWithError(failed.c_str());
                break;
            }
            double t0 = now_seconds();
            marked_window(p, n, log2n);
            state.SetIterationTime(now_seconds() - t0);
        }
    }
    if (twin > 0) {
        s->stop.store(1);
        meet(s, child_alive, twin);
        reap(twin);
    }
    munmap(shared, sizeof(pair_sync));
    sched_setaffinity(0, sizeof original, &original);
    if (!failed.empty())
        return;
    state.SetItemsProcessed(state.iterations() * n * 2);
    state.SetLabel("CoW faults of two processes at once, counted by insn_marks");
}

// Cost of fork + exit + wait of a process with N written pages (the exec and
// mm_release hooks run on this path).
void fork_exit(benchmark::State& state) {
    const long n = state.range(0);
    char* base = map_pages(n);
    if (!base) {
        state.SkipWithError("mmap failed");
        return;
    }
    touch(base, 0, n);
    for (auto _ : state) {
        double t0 = now_seconds();
        pid_t pid = fork();
        if (pid == 0)
            _exit(0);
        reap(pid);
        state.SetIterationTime(now_seconds() - t0);
    }
    munmap(base, static_cast<std::size_t>(n * page));
    state.SetItemsProcessed(state.iterations());
    state.SetLabel("forks");
}

// Cost of fork + execve + exit + wait: the exec hook, which under (c) and
// (d) restarts the record of the tracked name (the child is pfbench too),
// and the exit hook. Registered last: the child becomes the process
// pf_get_info reports.
void exec_exit(benchmark::State& state) {
    for (auto _ : state) {
        double t0 = now_seconds();
        pid_t pid = fork();
        if (pid == 0) {
            execl("/proc/self/exe", "pfbench", exit_at_once, static_cast<char*>(nullptr));
            _exit(127);
        }
        const int status = reap(pid);
        state.SetIterationTime(now_seconds() - t0);
        if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            state.SkipWithError("the exec'd child failed");
            break;
        }
    }
    state.SetItemsProcessed(state.iterations());
    state.SetLabel("fork, exec and exit");
}

// N one-page VMAs that cannot merge (alternating protections): as many as
// mmap gives, in order.
std::vector<void*> map_unmergeable_pages(long n) {
    std::vector<void*> maps;
    for (long i = 0; i < n; ++i) {
        int prot = i % 2 ? PROT_READ : PROT_READ | PROT_WRITE;
        void* p =
            mmap(nullptr, static_cast<std::size_t>(page), prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            break;
        maps.push_back(p);
    }
    return maps;
}

// pf_get_info latency with K separate VMAs in the tracked process.
const pf_syscalls* the_syscalls = nullptr;
std::string own_name;

void time_get_info(benchmark::State& state) {
    pfcheck::pf_stat st{};
    for (auto _ : state) {
        double t0 = now_seconds();
        int err = the_syscalls->get_info(own_name, &st);
        state.SetIterationTime(now_seconds() - t0);
        if (err) {
            state.SkipWithError(("pf_get_info: " + pfcheck::errno_name(err)).c_str());
            break;
        }
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["nb_vma"] = st.nb_vma;
    state.SetLabel("pf_get_info calls");
}

void unmap_pages(const std::vector<void*>& maps) {
    for (void* p : maps)
        munmap(p, static_cast<std::size_t>(page));
}

void get_info(benchmark::State& state) {
    const std::vector<void*> maps = map_unmergeable_pages(state.range(0));
    time_get_info(state);
    unmap_pages(maps);
}

// pf_get_info latency with 128 VMAs and N pages recorded (the issue's
// 10^5): its walk is O(pages + VMAs). Registered last: the pages stay.
void get_info_pages(benchmark::State& state) {
    void* recorded = pfcheck::record_zero_page_cows(state.range(0));
    if (recorded == nullptr) {
        state.SkipWithError("mmap of the pages to record failed");
        return;
    }
    munmap(recorded, static_cast<std::size_t>(state.range(0) * page));
    const std::vector<void*> maps = map_unmergeable_pages(128);
    time_get_info(state);
    unmap_pages(maps);
}

std::string comm() {
    std::ifstream in("/proc/self/comm");
    std::string s;
    std::getline(in, s);
    return s;
}

std::string track(const std::string& config, const pf_syscalls& sys);

// The 1,000 extra VMAs of (a') and (e).
std::string add_vmas(std::vector<void*>& extra_vmas) {
    extra_vmas = map_unmergeable_pages(1000);
    return extra_vmas.size() == 1000 ? "" : "mmap of the 1,000 extra VMAs failed";
}

// The layout pf_get_info reports is that of the last process executed under
// the name while tracked: after set_param, pfbench executes itself again.
// Every configuration does, tracked or not, so that each measures a process
// in the same state: without it, a fork of (c) once cost 7% less than of (a)
// (4.15, 347,900 against 323,900 guest instructions), and a fault's VMA
// lookup on 4.15 depends on the process's history (its VMA cache).
constexpr const char* configured_marker = "PFBENCH_CONFIGURED";

// Puts the kernel in the configuration; returns an error message or "".
std::string configure(const std::string& config, const pf_syscalls& sys,
                      std::vector<void*>& extra_vmas, char** argv) {
    if (!getenv(configured_marker)) {
        if (std::string why = track(config, sys); !why.empty())
            return why;
        setenv(configured_marker, "1", 1);
        execv(argv[0], argv); // by its name: the comm must stay "pfbench"
        return std::string("cannot execute pfbench again: ") + std::strerror(errno);
    }
    return config == "tracked-1000vma" || config == "vanilla-1000vma" ? add_vmas(extra_vmas) : "";
}

// The tracking part of a configuration.
std::string track(const std::string& config, const pf_syscalls& sys) {
    int probe = sys.cleanup();
    if (config == "vanilla" || config == "vanilla-1000vma")
        return probe == ENOSYS ? "" : "the kernel has the syscalls: not a vanilla kernel";
    if (probe == ENOSYS)
        return "the kernel has no pf_* syscalls (ENOSYS)";
    if (config == "untracked")
        return "";
    if (config != "tracked-other")
        if (int e = sys.set_param(own_name))
            return "pf_set_param(" + own_name + "): " + pfcheck::errno_name(e);
    if (config == "tracked-64" || config == "tracked-other")
        for (int i = 1; i < 64; ++i)
            if (int e = sys.set_param("pfb-other-" + std::to_string(i)))
                return "pf_set_param #" + std::to_string(i) + ": " + pfcheck::errno_name(e);
    if (config != "tracked-self" && config != "tracked-64" && config != "tracked-1000vma" &&
        config != "tracked-other")
        return "unknown configuration '" + config + "'";
    return "";
}

} // namespace

int main(int argc, char** argv) {
    if (argc == 2 && std::strcmp(argv[1], exit_at_once) == 0)
        return 0;                                       // exec_exit's child
    std::vector<char*> original(argv, argv + argc + 1); // for the exec after set_param
    benchmark::Initialize(&argc, argv);
    std::string config, nr;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a.rfind("--config=", 0) == 0)
            config = a.substr(9);
        else if (a.rfind("--nr=", 0) == 0)
            nr = a.substr(5);
        else if (a == "--clock=tsc" || a == "--clock=gettime" || a == "--clock=marks") {
            tsc_clock = a == "--clock=tsc";
            marks_clock = a == "--clock=marks";
        } else {
            std::fprintf(
                stderr,
                "usage: pfbench --config=vanilla|vanilla-1000vma|untracked|tracked-self|"
                "tracked-64|tracked-1000vma|tracked-other [--nr=A,B,C]\n"
                "              [--clock=tsc|gettime|marks] [--benchmark_* flags]\n"
                "  --clock=tsc    time with the time stamp counter (one tick per guest\n"
                "                 instruction under QEMU -icount shift=0), not clock_gettime\n"
                "  --clock=marks  two CPUs: only cow_fault_pair_marks, its windows between\n"
                "                 marks that QEMU's insn_marks plugin counts (docs/two-vcpu.md)\n");
            return 2;
        }
    }
    pfcheck::syscall_numbers numbers = pfcheck::default_numbers();
    if (!nr.empty() && !pfcheck::parse_numbers(nr, numbers)) {
        std::fprintf(stderr, "pfbench: --nr takes three numbers\n");
        return 2;
    }
    pf_syscalls sys(numbers);
    the_syscalls = &sys;
    own_name = comm();
    std::vector<void*> extra_vmas;
    if (std::string why = configure(config, sys, extra_vmas, original.data()); !why.empty()) {
        std::fprintf(stderr, "pfbench: configuration %s: %s\n", config.c_str(), why.c_str());
        return 3;
    }
    benchmark::AddCustomContext("pfbench_config", config);
    benchmark::AddCustomContext("pfbench_clock", marks_clock ? "marks"
                                                 : tsc_clock ? "tsc"
                                                             : "clock_gettime");
    if (marks_clock) {
        for (unsigned code = 0; pf_mark_config_name(code); ++code)
            if (config == pf_mark_config_name(code))
                config_code = static_cast<int>(code);
        if (config_code < 0 || sysconf(_SC_NPROCESSORS_ONLN) < 2) {
            std::fprintf(stderr, "pfbench: --clock=marks needs two CPUs and a configuration "
                                 "insn_marks.h names\n");
            return 3;
        }
        // The same faults per repetition as cow_fault_pair: 4,096 per process.
        for (long n : {16L, 4096L})
            benchmark::RegisterBenchmark("cow_fault_pair_marks", cow_fault_pair_marks)
                ->Arg(n)
                ->UseManualTime()
                ->Iterations(std::max(4L, 4096 / n));
        benchmark::RunSpecifiedBenchmarks();
        benchmark::Shutdown();
        sys.cleanup();
        return 0;
    }
    // Fixed iteration counts: about 4,096 faults per repetition whatever N is,
    // and no fork storm for N = 1.
    for (long n : {1L, 16L, 256L, 4096L}) {
        benchmark::RegisterBenchmark("cow_fault", cow_fault)
            ->Arg(n)
            ->UseManualTime()
            ->Iterations(std::max(4L, 4096 / n));
        benchmark::RegisterBenchmark("first_touch", first_touch)
            ->Arg(n)
            ->UseManualTime()
            ->Iterations(std::max(4L, 4096 / n));
    }
    if (sysconf(_SC_NPROCESSORS_ONLN) > 1)
        for (long n : {16L, 4096L})
            benchmark::RegisterBenchmark("cow_fault_pair", cow_fault_pair)
                ->Arg(n)
                ->UseManualTime()
                ->Iterations(std::max(4L, 4096 / n));
    benchmark::RegisterBenchmark("fork_exit", fork_exit)
        ->Arg(256)
        ->UseManualTime()
        ->Iterations(200);
    if (config.rfind("vanilla", 0) != 0 && config != "untracked" && config != "tracked-other")
        for (long k : {1L, 16L, 128L, 1000L})
            benchmark::RegisterBenchmark("get_info", get_info)
                ->Arg(k)
                ->UseManualTime()
                ->Iterations(200);
    if (config == "tracked-self")
        benchmark::RegisterBenchmark("get_info_pages", get_info_pages)
            ->Arg(100000)
            ->UseManualTime()
            ->Iterations(20);
    benchmark::RegisterBenchmark("exec_exit", exec_exit)->UseManualTime()->Iterations(50);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    sys.cleanup();
    return 0;
}
