// SPDX-License-Identifier: GPL-2.0-or-later
// The race stress: tracked processes fork, write, exec and exit in a loop
// (each exec with a process of the same name faulting across it) while other
// threads call set_param, get_info and cleanup without pause; then, for the
// last quarter, the names stay and the records restart at every round.
// Every result must be one the contract allows at some moment of the race;
// the kernel must report nothing; and afterwards the caller runs the
// scenarios again, quietly, and they must match the oracle exactly.
#include "stress.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <mutex>
#include <random>
#include <sys/mman.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace pfcheck {

namespace {

constexpr int pages_per_round = 16;
constexpr long page_size = 4096;

// Nanoseconds in 64 bits: a 32-bit long wraps every 4 s.
using ns_t = std::int64_t;

ns_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<ns_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// What is wrong with a pf_stat that no interleaving allows: nb_vma out of
// range, VMAs out of order, a count below zero, the per-VMA counts above the
// total (a fault racing with a restart must land on one side of it), an
// entry past nb_vma that is not zero (stale data). "" when it is consistent.
std::string inconsistency(const pfcheck::pf_stat& st) {
    using pfcheck::max_size;
    if (st.nb_vma < 0 || st.nb_vma > max_size || st.cow_page_faults < 0)
        return "nb_vma " + std::to_string(st.nb_vma) + ", total " +
               std::to_string(st.cow_page_faults);
    long parts = 0;
    for (int v = 0; v < st.nb_vma; ++v) {
        if (st.vma_fault[v] < 0 || st.vma_list_start[v] >= st.vma_list_end[v] ||
            (v > 0 && st.vma_list_end[v - 1] > st.vma_list_start[v]))
            return "VMA " + std::to_string(v) + " out of order or below zero";
        parts += st.vma_fault[v];
    }
    if (parts > st.cow_page_faults)
        return "the per-VMA counts add up to " + std::to_string(parts) + ", more than the total " +
               std::to_string(st.cow_page_faults);
    for (int v = st.nb_vma; v < max_size; ++v)
        if (st.vma_fault[v] || st.vma_list_start[v] || st.vma_list_end[v])
            return "entry " + std::to_string(v) + " past nb_vma is not zero";
    return {};
}

std::string worker_name(int i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "st-%02d", i);
    return buf;
}

void write_pages(char* base) {
    for (int i = 0; i < pages_per_round; ++i) {
        volatile char* b = static_cast<volatile char*>(base) + i * page_size;
        *b = static_cast<char>(*b + 1);
    }
}

// Pages of the image's .bss, one in each of four chunks of 64 page counters:
// pfcheck is static and not position independent, so they have the same
// addresses in every image, in a VMA of the layout each new image reports.
constexpr int restart_pages = 4;
constexpr long chunk_span = 64 * page_size;
alignas(page_size) char restart_area[restart_pages * chunk_span];
constexpr ns_t restart_sibling_ns = 1'000'000'000; // at most: the new image stops it

// Forks a process of the worker's name that writes the restart pages again
// and again, and returns its PID once it has written them once: the worker
// then executes a new image, which restarts the record at the end of the
// exec, while its child faults; the new image stops the child (an exec under
// KASAN can take longer than any fixed time). A fault that the restart
// splits (counted in a page but not in the total) shows as per-VMA counts
// above the total at every later pf_get_info. The child survives the exec.
pid_t fault_across_restart(int stats_fd) {
    int ready[2];
    if (pipe(ready) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(ready[0]);
        close(stats_fd);
        const ns_t until = now_ns() + restart_sibling_ns;
        for (bool told = false; now_ns() < until; told = true) {
            madvise(restart_area, sizeof restart_area, MADV_DONTNEED);
            for (int i = 0; i < restart_pages; ++i) {
                auto* page = static_cast<volatile char*>(restart_area + i * chunk_span);
                (void)*page; // the zero page, read-only
                *page = 1;   // a CoW fault
            }
            if (!told && write(ready[1], "r", 1) != 1)
                break;
        }
        _exit(0);
    }
    close(ready[1]);
    char c;
    if (pid > 0 && read(ready[0], &c, 1) != 1) {
        // The child died before its first fault: the exec goes on without it.
    }
    close(ready[0]);
    return pid;
}

// Reaps the children that ended (the restart faulters of earlier images);
// with `all`, waits for every one.
void reap_children(bool all) {
    for (;;) {
        pid_t pid = waitpid(-1, nullptr, all ? 0 : WNOHANG);
        if (pid > 0 || (pid < 0 && errno == EINTR))
            continue;
        return;
    }
}

// Worker counters travel to the controller as one short line per image.
void report_line(int fd, long forks, long execs, long pages) {
    char line[96];
    int n = std::snprintf(line, sizeof line, "%ld %ld %ld\n", forks, execs, pages);
    if (write(fd, line, static_cast<std::size_t>(n)) < 0) {
        // The controller is gone; the worker's own exit says enough.
    }
}

} // namespace

int stress_worker_main(int argc, char** argv) {
    // pfcheck --stress-worker DEADLINE_NS STATS_FD EXECS_LEFT EXEC_EVERY [FAULTER]
    // EXEC_EVERY 0, the restart phase: each image only starts its faulting
    // child and executes again. FAULTER: the previous image's faulting child.
    if (argc != 6 && argc != 7)
        return 2;
    if (argc == 7 && std::atoi(argv[6]) > 0)
        kill(std::atoi(argv[6]), SIGKILL); // our child, not reaped yet: its PID is ours
    const ns_t deadline = std::atoll(argv[2]);
    const int stats = std::atoi(argv[3]);
    const int execs_left = std::atoi(argv[4]), exec_every = std::atoi(argv[5]);
    long forks = 0, pages = 0;
    // A new image, with a child of the same name faulting across the exec.
    auto execute_again = [&] {
        report_line(stats, forks, 1, pages);
        std::string left = std::to_string(execs_left - 1),
                    faulter = std::to_string(fault_across_restart(stats));
        // By the symlink's path: the comm comes from the executed file's name.
        execl(argv[0], argv[0], argv[1], argv[2], argv[3], left.c_str(), argv[5], faulter.c_str(),
              nullptr);
        return 4;
    };
    std::mt19937 rng(static_cast<unsigned>(getpid()));
    for (int round = 0; now_ns() < deadline; ++round) {
        reap_children(false);
        if (exec_every == 0 && execs_left > 0)
            return execute_again();
        void* p = mmap(nullptr, pages_per_round * page_size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return 3;
        char* base = static_cast<char*>(p);
        write_pages(base); // first touch
        pid_t child = fork();
        if (child == 0) {
            write_pages(base); // CoW in the child
            if (rng() % 4 == 0 && fork() == 0) {
                write_pages(base); // and in a grandchild, orphaned at once
                _exit(0);
            }
            _exit(0);
        }
        if (child > 0) {
            ++forks;
            write_pages(base); // CoW in the parent
            while (waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
            }
        }
        pages += 3 * pages_per_round;
        // Cheap CoW faults, many of them, for the race with cleanup: drop the
        // pages, read them (the zero page, read-only), write them.
        for (int i = 0; i < 8; ++i) {
            madvise(base, pages_per_round * page_size, MADV_DONTNEED);
            for (int j = 0; j < pages_per_round; ++j)
                (void)static_cast<volatile char*>(base)[j * page_size];
            write_pages(base);
            pages += pages_per_round;
        }
        munmap(base, pages_per_round * page_size);
        // Now and then a new image: the exec hook restarts the record.
        if (exec_every > 0 && execs_left > 0 && round % exec_every == exec_every - 1)
            return execute_again();
    }
    report_line(stats, forks, 0, pages);
    reap_children(true);
    return 0;
}

namespace {

// One race, in two phases: the workers (tracked processes that fork, write
// and execute themselves), the callers (threads that make the syscalls), and
// what they saw. Every result must be one that some interleaving allows.
// First, names are tracked and dropped without pause; then, for the last
// quarter, two names stay tracked, their workers do nothing but execute
// themselves, each time with a child faulting across the exec, and one
// caller only reads, so that a record restarts many times between two reads.
class race {
  public:
    race(const pf_syscalls& sys, const stress_options& opt)
        : sys_(sys), opt_(opt), start_(now_ns()),
          deadline_(start_ + static_cast<ns_t>(opt.seconds * 1e9)),
          restarts_from_(deadline_ - static_cast<ns_t>(opt.seconds * 1e9 / 4)) {
        r_.processes = opt.processes;
        r_.caller_threads = opt.caller_threads;
    }

    stress_report run() {
        sys_.cleanup();
        phase(restarts_from_, false);
        if (r_.fatal.empty())
            phase(deadline_, true);
        for (int i = 0; i < opt_.processes; ++i)
            unlink((opt_.workdir + "/" + worker_name(i)).c_str());
        sys_.cleanup();
        r_.calls = calls_;
        r_.max_total_seen = max_total_;
        r_.seconds = static_cast<double>(now_ns() - start_) / 1e9;
        return r_;
    }

  private:
    // In the restart phase, few processes, so that a worker's faulting child
    // runs while the worker executes, and one caller reading.
    static constexpr int churn_exec_every = 8, execs_per_worker = 1000, restart_workers = 2,
                         restart_readers = 1;
    const pf_syscalls& sys_;
    const stress_options& opt_;
    const ns_t start_, deadline_, restarts_from_;
    stress_report r_;
    std::vector<pid_t> workers_;
    std::mutex lock_;
    std::atomic<long> calls_{0}, max_total_{0};

    void phase(ns_t until, bool restarts) {
        int stats[2];
        if (pipe(stats) != 0) {
            r_.fatal = "pipe failed";
            return;
        }
        const int workers = restarts ? std::min(restart_workers, opt_.processes) : opt_.processes;
        for (int i = 0; i < workers; ++i)
            sys_.set_param(worker_name(i));
        start_workers(stats, until, restarts ? 0 : churn_exec_every, workers);
        std::thread reader([&] { read_stats(stats[0], restarts); });
        std::vector<std::thread> callers;
        if (restarts) {
            for (int i = 0; i < restart_readers; ++i)
                callers.emplace_back(
                    [&, i] { poll(static_cast<unsigned>(opt_.seed + i), until, workers); });
        } else {
            callers.emplace_back([&] { churn(until); });
            for (int i = 1; i < opt_.caller_threads; ++i)
                callers.emplace_back([&, i] { call(static_cast<unsigned>(opt_.seed + i), until); });
        }
        for (auto& t : callers)
            t.join();
        reap_workers();
        reader.join();
    }

    // Each worker is executed under its tracked name through a symlink.
    void start_workers(int stats[2], ns_t until, int exec_every, int workers) {
        for (int i = 0; i < workers; ++i) {
            std::string link = opt_.workdir + "/" + worker_name(i);
            unlink(link.c_str());
            if (symlink(opt_.program.c_str(), link.c_str()) != 0) {
                r_.fatal = "symlink " + link + ": " + std::strerror(errno);
                break;
            }
            pid_t pid = fork();
            if (pid == 0) {
                close(stats[0]);
                std::string d = std::to_string(until), fd = std::to_string(stats[1]),
                            n = std::to_string(execs_per_worker),
                            every = std::to_string(exec_every);
                execl(link.c_str(), link.c_str(), "--stress-worker", d.c_str(), fd.c_str(),
                      n.c_str(), every.c_str(), nullptr);
                _exit(127);
            }
            if (pid > 0)
                workers_.push_back(pid);
        }
        close(stats[1]);
    }

    void read_stats(int fd, bool restarts) {
        FILE* in = fdopen(fd, "r");
        long f = 0, e = 0, p = 0;
        while (in && std::fscanf(in, "%ld %ld %ld", &f, &e, &p) == 3) {
            r_.forks += f;
            r_.execs += e;
            r_.restart_execs += restarts ? e : 0;
            r_.pages_written += p;
        }
        if (in)
            std::fclose(in);
    }

    void unexpected(const std::string& what) {
        std::lock_guard<std::mutex> g(lock_);
        ++r_.unexpected;
        if (r_.first_unexpected.size() < 20)
            r_.first_unexpected.push_back(what);
    }

    void tally(const std::map<std::string, long>& seen) {
        std::lock_guard<std::mutex> g(lock_);
        for (const auto& [k, v] : seen)
            r_.by_result[k] += v;
    }

    // One caller only tracks every name and cleans up, without pause: records
    // are freed while the workers' faults look them up.
    void churn(ns_t until) {
        std::map<std::string, long> seen;
        while (now_ns() < until) {
            for (int i = 0; i < opt_.processes; ++i) {
                int e = sys_.set_param(worker_name(i));
                if (e != 0)
                    unexpected("pf_set_param(" + worker_name(i) + ") gave " + errno_name(e));
                ++seen[errno_name(e)];
            }
            int e = sys_.cleanup();
            if (e != 0 && e != EACCES)
                unexpected("pf_cleanup() gave " + errno_name(e));
            ++seen[errno_name(e)];
            calls_ += opt_.processes + 1;
        }
        tally(seen);
    }

    int get_info(const std::string& name) {
        pf_stat st{};
        int e = sys_.get_info(name, &st);
        if (e != 0 && e != EACCES && e != EINVAL)
            unexpected("pf_get_info(" + name + ") gave " + errno_name(e));
        if (e != 0)
            return e;
        if (auto why = inconsistency(st); !why.empty())
            unexpected("pf_get_info(" + name + ") returned an inconsistent pf_stat: " + why);
        long seen_max = max_total_.load();
        while (st.cow_page_faults > seen_max &&
               !max_total_.compare_exchange_weak(seen_max, st.cow_page_faults)) {
        }
        return e;
    }

    // get_info is the slow call (it reads the layout under mmap_lock): the
    // state-changing calls, which race with the fault path, get the larger share.
    void call(unsigned seed, ns_t until) {
        std::mt19937 rng(seed);
        std::map<std::string, long> seen;
        while (now_ns() < until) {
            std::string name = worker_name(static_cast<int>(rng() % opt_.processes));
            unsigned pick = rng() % 100;
            int e;
            if (pick < 40) {
                e = get_info(name);
            } else if (pick < 80) {
                e = sys_.set_param(name);
                if (e != 0)
                    unexpected("pf_set_param(" + name + ") gave " + errno_name(e));
            } else {
                e = sys_.cleanup();
                if (e != 0 && e != EACCES)
                    unexpected("pf_cleanup() gave " + errno_name(e));
            }
            ++seen[errno_name(e)];
            ++calls_;
        }
        tally(seen);
    }

    // The restart phase's callers only read, each pf_get_info checked.
    void poll(unsigned seed, ns_t until, int workers) {
        std::mt19937 rng(seed);
        std::map<std::string, long> seen;
        while (now_ns() < until) {
            ++seen[errno_name(get_info(worker_name(static_cast<int>(rng() % workers))))];
            ++calls_;
        }
        tally(seen);
    }

    void reap_workers() {
        for (pid_t w : workers_) {
            int status = 0;
            while (waitpid(w, &status, 0) < 0 && errno == EINTR) {
            }
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                unexpected("worker " + std::to_string(w) + " ended with status " +
                           std::to_string(status));
        }
        workers_.clear();
    }
};

} // namespace

stress_report run_stress(const pf_syscalls& sys, const stress_options& opt) {
    return race(sys, opt).run();
}

nlohmann::json to_json(const stress_report& r) {
    return {{"processes", r.processes},
            {"caller_threads", r.caller_threads},
            {"seconds", r.seconds},
            {"forks", r.forks},
            {"execs", r.execs},
            {"restart_execs", r.restart_execs},
            {"pages_written", r.pages_written},
            {"calls", r.calls},
            {"by_result", r.by_result},
            {"max_cow_total_seen", r.max_total_seen},
            {"unexpected", r.unexpected},
            {"first_unexpected", r.first_unexpected},
            {"fatal", r.fatal}};
}

std::string summary(const stress_report& r) {
    return std::to_string(r.forks) + " forks, " + std::to_string(r.execs) + " execs (" +
           std::to_string(r.restart_execs) + " in the restart phase), " +
           std::to_string(r.pages_written) + " pages written, " + std::to_string(r.calls) +
           " calls, " + std::to_string(r.unexpected) + " unexpected";
}

} // namespace pfcheck
