// SPDX-License-Identifier: GPL-2.0-or-later
// The race stress: tracked processes fork, write, exec and exit in a loop
// while other threads call set_param, get_info and cleanup without pause.
// Every result must be one the contract allows at some moment of the race;
// the kernel must report nothing; and afterwards the caller runs the
// scenarios again, quietly, and they must match the oracle exactly.
#include "stress.hpp"

#include <atomic>
#include <cerrno>
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

long now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
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
        return "the per-VMA counts add up to " + std::to_string(parts) +
               ", more than the total " + std::to_string(st.cow_page_faults);
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
    // pfcheck --stress-worker DEADLINE_NS STATS_FD EXECS_LEFT
    if (argc != 5)
        return 2;
    const long deadline = std::atol(argv[2]);
    const int stats = std::atoi(argv[3]);
    int execs_left = std::atoi(argv[4]);
    long forks = 0, pages = 0;
    std::mt19937 rng(static_cast<unsigned>(getpid()));
    for (int round = 0; now_ns() < deadline; ++round) {
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
        if (execs_left > 0 && round % 8 == 7) {
            report_line(stats, forks, 1, pages);
            std::string left = std::to_string(execs_left - 1);
            // By the symlink's path: the comm comes from the executed file's name.
            execl(argv[0], argv[0], argv[1], argv[2], argv[3], left.c_str(), nullptr);
            return 4;
        }
    }
    report_line(stats, forks, 0, pages);
    return 0;
}

stress_report run_stress(const pf_syscalls& sys, const stress_options& opt) {
    stress_report r;
    r.processes = opt.processes;
    r.caller_threads = opt.caller_threads;
    const long start = now_ns();
    const long deadline = start + static_cast<long>(opt.seconds * 1e9);
    int stats[2];
    if (pipe(stats) != 0) {
        r.fatal = "pipe failed";
        return r;
    }
    sys.cleanup();
    for (int i = 0; i < opt.processes; ++i)
        sys.set_param(worker_name(i));

    // The workers, each executed under its tracked name through a symlink.
    std::vector<pid_t> workers;
    for (int i = 0; i < opt.processes; ++i) {
        std::string link = opt.workdir + "/" + worker_name(i);
        unlink(link.c_str());
        if (symlink(opt.program.c_str(), link.c_str()) != 0) {
            r.fatal = "symlink " + link + ": " + std::strerror(errno);
            break;
        }
        pid_t pid = fork();
        if (pid == 0) {
            close(stats[0]);
            std::string d = std::to_string(deadline), fd = std::to_string(stats[1]);
            execl(link.c_str(), link.c_str(), "--stress-worker", d.c_str(), fd.c_str(), "1000",
                  nullptr);
            _exit(127);
        }
        if (pid > 0)
            workers.push_back(pid);
    }
    close(stats[1]);
    std::thread reader([&] {
        FILE* in = fdopen(stats[0], "r");
        long f = 0, e = 0, p = 0;
        while (in && std::fscanf(in, "%ld %ld %ld", &f, &e, &p) == 3) {
            r.forks += f;
            r.execs += e;
            r.pages_written += p;
        }
        if (in)
            std::fclose(in);
    });

    // The callers: every result must be one that some interleaving allows.
    std::mutex lock;
    auto unexpected = [&](const std::string& what) {
        std::lock_guard<std::mutex> g(lock);
        ++r.unexpected;
        if (r.first_unexpected.size() < 20)
            r.first_unexpected.push_back(what);
    };
    std::atomic<long> calls{0}, max_total{0};
    // One caller only tracks every name and cleans up, without pause: records
    // are freed while the workers' faults look them up.
    auto churner = [&] {
        std::map<std::string, long> seen;
        while (now_ns() < deadline) {
            for (int i = 0; i < opt.processes; ++i) {
                int e = sys.set_param(worker_name(i));
                if (e != 0)
                    unexpected("pf_set_param(" + worker_name(i) + ") gave " + errno_name(e));
                ++seen[errno_name(e)];
            }
            int e = sys.cleanup();
            if (e != 0 && e != EACCES)
                unexpected("pf_cleanup() gave " + errno_name(e));
            ++seen[errno_name(e)];
            calls += opt.processes + 1;
        }
        std::lock_guard<std::mutex> g(lock);
        for (const auto& [k, v] : seen)
            r.by_result[k] += v;
    };
    auto caller = [&](unsigned seed) {
        std::mt19937 rng(seed);
        pf_stat st{};
        std::map<std::string, long> seen;
        while (now_ns() < deadline) {
            std::string name = worker_name(static_cast<int>(rng() % opt.processes));
            // get_info is the slow call (it reads the layout under mmap_lock):
            // the state-changing calls, which race with the fault path, get
            // the larger share.
            unsigned pick = rng() % 100;
            int e;
            if (pick < 40) {
                e = sys.get_info(name, &st);
                if (e != 0 && e != EACCES && e != EINVAL)
                    unexpected("pf_get_info(" + name + ") gave " + errno_name(e));
                if (e == 0) {
                    if (auto why = inconsistency(st); !why.empty())
                        unexpected("pf_get_info(" + name + ") returned an inconsistent pf_stat: " +
                                   why);
                    long seen_max = max_total.load();
                    while (st.cow_page_faults > seen_max &&
                           !max_total.compare_exchange_weak(seen_max, st.cow_page_faults)) {
                    }
                }
            } else if (pick < 80) {
                e = sys.set_param(name);
                if (e != 0)
                    unexpected("pf_set_param(" + name + ") gave " + errno_name(e));
            } else {
                e = sys.cleanup();
                if (e != 0 && e != EACCES)
                    unexpected("pf_cleanup() gave " + errno_name(e));
            }
            ++seen[errno_name(e)];
            ++calls;
        }
        std::lock_guard<std::mutex> g(lock);
        for (const auto& [k, v] : seen)
            r.by_result[k] += v;
    };
    std::vector<std::thread> callers;
    callers.emplace_back(churner);
    for (int i = 1; i < opt.caller_threads; ++i)
        callers.emplace_back(caller, static_cast<unsigned>(opt.seed + i));
    for (auto& t : callers)
        t.join();
    for (pid_t w : workers) {
        int status = 0;
        while (waitpid(w, &status, 0) < 0 && errno == EINTR) {
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            unexpected("worker " + std::to_string(w) + " ended with status " +
                       std::to_string(status));
    }
    reader.join();
    for (int i = 0; i < opt.processes; ++i)
        unlink((opt.workdir + "/" + worker_name(i)).c_str());
    sys.cleanup();
    r.calls = calls;
    r.max_total_seen = max_total;
    r.seconds = static_cast<double>(now_ns() - start) / 1e9;
    return r;
}

nlohmann::json to_json(const stress_report& r) {
    return {{"processes", r.processes},
            {"caller_threads", r.caller_threads},
            {"seconds", r.seconds},
            {"forks", r.forks},
            {"execs", r.execs},
            {"pages_written", r.pages_written},
            {"calls", r.calls},
            {"by_result", r.by_result},
            {"max_cow_total_seen", r.max_total_seen},
            {"unexpected", r.unexpected},
            {"first_unexpected", r.first_unexpected},
            {"fatal", r.fatal}};
}

} // namespace pfcheck
