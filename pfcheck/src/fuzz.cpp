// SPDX-License-Identifier: GPL-2.0-or-later
// The syscall fuzzer. It runs in rounds: first, alone, a few calls that change
// the tracking state (cleanup, set_param of new names, filling the table to
// 64, calls before any set_param); then every thread at once fires hostile
// calls that leave the state as it is, each checked against the errno the
// model (fuzz_model.hpp, i.e. docs/semantics.md) predicts for that state.
#include "fuzz.hpp"

#include "fuzz_model.hpp"
#include "hostile_memory.hpp"

#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <random>
#include <thread>

namespace pfcheck {

namespace {

using fuzz::call;
using fuzz::name_arg;
using fuzz::op;

// Names the fuzzer tracks: "fz00" to "fz99" (more than the 64 allowed).
std::string pool_name(int i) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "fz%02d", i % 100);
    return buf;
}

// Lengths worth trying: the edges of 1..15, and sizes that wrap when signed.
std::size_t hostile_length(std::mt19937_64& rng) {
    static const std::size_t lengths[] = {0,
                                          1,
                                          4,
                                          15,
                                          16,
                                          17,
                                          4096,
                                          static_cast<std::size_t>(-1),
                                          static_cast<std::size_t>(-16),
                                          SIZE_MAX / 2};
    return lengths[rng() % (sizeof lengths / sizeof lengths[0])];
}

// One thread's memory: its arena, a read-only copy of the pool, a buffer.
struct thread_memory {
    arena mem;
    char buffer[64] = {};
    pf_stat out{};
    bool ok = false;

    thread_memory() {
        if (!mem.ok || mprotect(mem.readonly(), page, PROT_READ | PROT_WRITE) != 0)
            return;
        for (int i = 0; i < 100; ++i)
            std::memcpy(mem.readonly() + 4 * i, pool_name(i).data(), 4);
        ok = mprotect(mem.readonly(), page, PROT_READ) == 0;
    }
};

// The arguments of one call: where the name points, and its description.
struct built_call {
    call c;
    const char* name_ptr = nullptr;
    pf_stat* pf = nullptr;
};

// A name argument of one of the hostile kinds.
void build_name(built_call& b, thread_memory& m, std::mt19937_64& rng, const fuzz::state& frozen) {
    name_arg& n = b.c.name;
    constexpr std::size_t plenty = 1 << 20; // readable far beyond any valid length
    switch (rng() % 8) {
    case 0: // NULL
        n.null = true;
        n.len = hostile_length(rng);
        break;
    case 1: // unmapped
        b.name_ptr = m.mem.unmapped();
        n.len = hostile_length(rng);
        break;
    case 2: // a kernel address
        b.name_ptr = kernel_address();
        n.len = hostile_length(rng);
        break;
    case 3: { // a valid name on a read-only page, no terminator
        int i = static_cast<int>(rng() % 100);
        b.name_ptr = m.mem.readonly() + 4 * i;
        n.readable = static_cast<std::size_t>(page - 4 * i);
        n.len = rng() % 4 ? 4 : hostile_length(rng);
        n.bytes.assign(b.name_ptr, std::min<std::size_t>(16, n.readable));
        break;
    }
    case 4: { // a tracked (or pool) name in a buffer followed by junk, exact length
        std::string name = pool_name(static_cast<int>(rng() % 100));
        if (!frozen.tracked.empty() && rng() % 2) {
            auto it = frozen.tracked.begin();
            std::advance(it, static_cast<long>(rng() % frozen.tracked.size()));
            name = *it;
        }
        std::memset(m.buffer, 'X', sizeof m.buffer);
        std::memcpy(m.buffer, name.data(), name.size());
        b.name_ptr = m.buffer;
        n.readable = plenty;
        n.len = name.size();
        n.bytes.assign(m.buffer, 16);
        break;
    }
    case 5: { // a NUL inside the given length
        std::memcpy(m.buffer, "fz\0z-nul-inside", 16);
        b.name_ptr = m.buffer;
        n.readable = plenty;
        n.len = 3 + rng() % 13;
        n.bytes.assign(m.buffer, 16);
        break;
    }
    case 6: { // ends at the last byte before an unmapped page; sometimes runs over
        std::string name = pool_name(static_cast<int>(rng() % 100));
        b.name_ptr = m.mem.at_page_end(name.data(), name.size());
        n.readable = name.size();
        n.len = name.size() + (rng() % 3 ? 0 : 1 + rng() % 12);
        n.bytes = name;
        break;
    }
    default: { // random bytes, NULs included
        for (auto& ch : m.buffer)
            ch = static_cast<char>(rng() % 4 ? 'a' + rng() % 26 : rng() % 256);
        b.name_ptr = m.buffer;
        n.readable = plenty;
        n.len = rng() % 3 ? rng() % 18 : hostile_length(rng);
        n.bytes.assign(m.buffer, 16);
        break;
    }
    }
}

void build_pf(built_call& b, thread_memory& m, std::mt19937_64& rng) {
    b.c.pf_writable = false;
    switch (rng() % 6) {
    case 0:
        b.pf = nullptr;
        break;
    case 1:
        b.pf = reinterpret_cast<pf_stat*>(m.mem.readonly());
        break;
    case 2:
        b.pf = m.mem.straddling();
        break;
    case 3:
        b.pf = reinterpret_cast<pf_stat*>(const_cast<char*>(kernel_address()));
        break;
    default:
        b.pf = &m.out;
        b.c.pf_writable = true;
    }
}

int perform(const pf_syscalls& sys, const built_call& b) {
    switch (b.c.what) {
    case op::set_param:
        return sys.set_param(b.c.name.null ? nullptr : b.name_ptr, b.c.name.len);
    case op::get_info:
        return sys.get_info(b.c.name.null ? nullptr : b.name_ptr, b.c.name.len, b.pf);
    case op::cleanup:
        return sys.cleanup();
    }
    return -1;
}

// Keeps the counts and the first mismatches; shared by the threads.
struct tally {
    std::mutex lock;
    fuzz_report* report;
    void record(const call& c, int expected, int got, bool concurrent) {
        std::lock_guard<std::mutex> g(lock);
        ++report->calls;
        ++report->by_result[errno_name(got)];
        if (expected == got)
            return;
        ++report->mismatches;
        if (report->first_mismatches.size() < 20)
            report->first_mismatches.push_back(
                fuzz::describe(c) + (concurrent ? " [concurrent]" : " [alone]") + ": expected " +
                errno_name(expected) + ", got " + errno_name(got));
    }
};

// A state-preserving hostile call for the concurrent phase.
built_call concurrent_call(thread_memory& m, std::mt19937_64& rng, const fuzz::state& frozen) {
    for (;;) {
        built_call b;
        unsigned pick = rng() % 10;
        b.c.what = pick < 4 ? op::set_param : (pick < 9 ? op::get_info : op::cleanup);
        if (b.c.what != op::cleanup)
            build_name(b, m, rng, frozen);
        if (b.c.what == op::get_info)
            build_pf(b, m, rng);
        // Only calls that cannot change the state: a cleanup that must fail, a
        // set_param that must fail or names a tracked name.
        int e = fuzz::expected_errno(b.c, frozen);
        fuzz::state after = frozen;
        fuzz::apply(b.c, e, after);
        if (after.initialised == frozen.initialised && after.tracked == frozen.tracked)
            return b;
    }
}

// The state-changing calls of a round, made alone.
void sequential_phase(const pf_syscalls& sys, thread_memory& m, std::mt19937_64& rng,
                      fuzz::state& s, tally& t) {
    auto make = [&](op what, const std::string& name) {
        built_call b;
        b.c.what = what;
        std::memset(m.buffer, 0, sizeof m.buffer);
        std::memcpy(m.buffer, name.data(), name.size());
        b.name_ptr = m.buffer;
        b.c.name.readable = sizeof m.buffer;
        b.c.name.len = name.size();
        b.c.name.bytes = name;
        b.pf = &m.out;
        return b;
    };
    auto one = [&](const built_call& b) {
        int expected = fuzz::expected_errno(b.c, s);
        int got = perform(sys, b);
        t.record(b.c, expected, got, false);
        fuzz::apply(b.c, got, s); // follow the kernel, so that one bug is reported once
    };
    switch (rng() % 6) {
    case 0: // cleanup, sometimes twice in a row
        one(make(op::cleanup, ""));
        if (rng() % 2)
            one(make(op::cleanup, ""));
        break;
    case 1: // calls after a cleanup: get_info before any set_param, then set_param
        one(make(op::cleanup, ""));
        one(make(op::get_info, pool_name(static_cast<int>(rng() % 100))));
        one(make(op::set_param, pool_name(static_cast<int>(rng() % 100))));
        break;
    case 2: // fill the table to the limit, and one more
        for (int i = 0; s.tracked.size() <= fuzz::max_names && i < 100; ++i)
            one(make(op::set_param, pool_name(i)));
        break;
    default: // a few new names
        for (int i = 0; i < 3; ++i)
            one(make(op::set_param, pool_name(static_cast<int>(rng() % 100))));
    }
}

} // namespace

fuzz_report run_fuzz(const pf_syscalls& sys, const fuzz_options& opt) {
    fuzz_report report;
    report.seed = opt.seed;
    report.threads = opt.threads;
    tally t{{}, &report};
    const int threads = std::max(1, opt.threads);
    const long per_round = 512; // concurrent calls per thread per round
    std::vector<std::unique_ptr<thread_memory>> memory;
    for (int i = 0; i < threads; ++i) {
        memory.push_back(std::make_unique<thread_memory>());
        if (!memory.back()->ok) {
            report.fatal = "cannot set up the fuzzer's memory (mmap/mprotect failed)";
            return report;
        }
    }
    // Start from a known state: whatever was tracked, nothing is.
    sys.cleanup();
    fuzz::state frozen;
    std::mt19937_64 main_rng(opt.seed);
    std::atomic<bool> done{false};
    std::atomic<long> issued{0};
    auto start = std::chrono::steady_clock::now();
    long last_progress = 0;
    // Between rounds, the completion step runs alone: the sequential phase.
    auto between_rounds = [&]() noexcept {
        sequential_phase(sys, *memory[0], main_rng, frozen, t);
        long n = issued.load();
        if (n >= opt.calls)
            done = true;
        if (n - last_progress >= opt.calls / 10) {
            last_progress = n;
            std::fprintf(stderr, "fuzz: %ld/%ld calls, %ld mismatches\n", n, opt.calls,
                         report.mismatches);
        }
    };
    std::barrier sync(threads, between_rounds);
    auto worker = [&](int index) {
        std::mt19937_64 rng(opt.seed * 1000003u + static_cast<unsigned>(index));
        thread_memory& m = *memory[static_cast<std::size_t>(index)];
        while (!done) {
            for (long i = 0; i < per_round; ++i) {
                built_call b = concurrent_call(m, rng, frozen);
                int expected = fuzz::expected_errno(b.c, frozen);
                t.record(b.c, expected, perform(sys, b), true);
            }
            issued += per_round;
            sync.arrive_and_wait();
        }
    };
    // Round 0 starts from the sequential phase too.
    between_rounds();
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i)
        pool.emplace_back(worker, i);
    worker(0);
    for (auto& th : pool)
        th.join();
    sys.cleanup();
    report.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return report;
}

nlohmann::json to_json(const fuzz_report& r) {
    return {{"seed", r.seed},
            {"threads", r.threads},
            {"calls", r.calls},
            {"mismatches", r.mismatches},
            {"first_mismatches", r.first_mismatches},
            {"by_result", r.by_result},
            {"seconds", r.seconds},
            {"fatal", r.fatal}};
}

} // namespace pfcheck
