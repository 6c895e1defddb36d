// SPDX-License-Identifier: GPL-2.0-or-later
// The oracle's throughput on the host: page events (one page written or read
// by one process) simulated per second, for layouts from 10 to 10^6 pages.
#include "oracle/oracle.hpp"
#include "oracle/script.hpp"

#include <benchmark/benchmark.h>

namespace {

// Populate, fork, the child writes every page, then the parent does: three
// page events per page, two of them CoW faults.
oracle::scenario fork_and_write(int pages) {
    oracle::scenario s;
    s.name = "oracle-bench";
    s.regions = {{"data", pages}};
    s.steps = {oracle::script::writes(0, 0), oracle::script::forks(0, 1), oracle::script::writes(1, 0),
               oracle::script::writes(0, 0)};
    return s;
}

void predict_pages(benchmark::State& state) {
    const auto s = fork_and_write(static_cast<int>(state.range(0)));
    const auto model = oracle::linux_6_1();
    long total = 0;
    for (auto _ : state) {
        auto p = oracle::predict(s, model);
        total = p.total;
        benchmark::DoNotOptimize(p);
    }
    if (total != 2 * state.range(0))
        state.SkipWithError("the oracle predicted a wrong total");
    state.SetItemsProcessed(state.iterations() * 3 * state.range(0));
    state.SetLabel("page events");
}
BENCHMARK(predict_pages)->RangeMultiplier(10)->Range(10, 1000000)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
