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
// same name makes its own at once.
#include "abi.hpp"
#include "cow_pages.hpp"

#include <algorithm>
#include <benchmark/benchmark.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <poll.h>
#include <string>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
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
        else if (a == "--clock=tsc" || a == "--clock=gettime")
            tsc_clock = a == "--clock=tsc";
        else {
            std::fprintf(
                stderr,
                "usage: pfbench --config=vanilla|vanilla-1000vma|untracked|tracked-self|"
                "tracked-64|tracked-1000vma|tracked-other [--nr=A,B,C] [--clock=tsc|gettime]\n"
                "              [--benchmark_* flags]\n"
                "  --clock=tsc  time with the time stamp counter (one tick per guest\n"
                "               instruction under QEMU -icount shift=0), not clock_gettime\n");
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
    benchmark::AddCustomContext("pfbench_clock", tsc_clock ? "tsc" : "clock_gettime");
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
