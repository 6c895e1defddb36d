// SPDX-License-Identifier: GPL-2.0-or-later
// perf's software fault events, counted for a process tree (libperf).
#include "observer/observer.hpp"

#include <linux/perf_event.h>

extern "C" {
#include <perf/core.h>
#include <perf/cpumap.h>
#include <perf/evsel.h>
#include <perf/threadmap.h>
}

namespace observer {

namespace {

// The one table of counted events.
struct event_row {
    const char* name;
    std::uint64_t config;
    bool user_only; // exclude_kernel: faults taken in kernel mode are not counted
    bool from_exec; // enabled at the root's exec, else at once
};
constexpr event_row events[] = {
    {"page-faults", PERF_COUNT_SW_PAGE_FAULTS, false, true},
    {"minor-faults", PERF_COUNT_SW_PAGE_FAULTS_MIN, false, true},
    {"major-faults", PERF_COUNT_SW_PAGE_FAULTS_MAJ, false, true},
    {"page-faults:u", PERF_COUNT_SW_PAGE_FAULTS, true, true},
    {"minor-faults:u", PERF_COUNT_SW_PAGE_FAULTS_MIN, true, true},
    {"major-faults:u", PERF_COUNT_SW_PAGE_FAULTS_MAJ, true, true},
    {"minor-faults:fork", PERF_COUNT_SW_PAGE_FAULTS_MIN, false, false},
    {"major-faults:fork", PERF_COUNT_SW_PAGE_FAULTS_MAJ, false, false},
};

} // namespace

struct fault_counters::impl {
    perf_cpu_map* cpus = nullptr;
    perf_thread_map* threads = nullptr;
    std::map<std::string, perf_evsel*> open; // by name

    ~impl() {
        for (auto& [name, e] : open) {
            perf_evsel__close(e);
            perf_evsel__delete(e);
        }
        if (cpus)
            perf_cpu_map__put(cpus);
        if (threads)
            perf_thread_map__put(threads);
    }

    std::optional<std::uint64_t> read(const std::string& name) {
        auto it = open.find(name);
        if (it == open.end())
            return std::nullopt;
        std::uint64_t total = 0;
        for (int cpu = 0; cpu < perf_cpu_map__nr(cpus); ++cpu) {
            perf_counts_values v{};
            if (perf_evsel__read(it->second, cpu, 0, &v) != 0)
                return std::nullopt;
            total += v.val;
        }
        return total;
    }
};

fault_counters::fault_counters(std::unique_ptr<impl> p) : p_(std::move(p)) {}
fault_counters::~fault_counters() = default;

std::unique_ptr<fault_counters> fault_counters::attach(pid_t pid, std::string& why) {
    auto p = std::make_unique<impl>();
    p->cpus = perf_cpu_map__new(nullptr);
    p->threads = perf_thread_map__new_array(1, &pid);
    if (!p->cpus || !p->threads) {
        why = "libperf cannot allocate its maps";
        return nullptr;
    }
    for (const auto& row : events) {
        perf_event_attr attr{};
        attr.size = sizeof attr;
        attr.type = PERF_TYPE_SOFTWARE;
        attr.config = row.config;
        attr.disabled = row.from_exec;
        attr.enable_on_exec = row.from_exec;
        attr.inherit = 1;
        attr.exclude_kernel = row.user_only;
        perf_evsel* e = perf_evsel__new(&attr);
        if (e && perf_evsel__open(e, p->cpus, p->threads) == 0) {
            p->open[row.name] = e;
            continue;
        }
        if (e)
            perf_evsel__delete(e);
        why += std::string(why.empty() ? "" : "; ") + "cannot open " + row.name;
    }
    if (p->open.empty())
        return nullptr;
    return std::unique_ptr<fault_counters>(new fault_counters(std::move(p)));
}

std::map<std::string, std::uint64_t> fault_counters::since_exec() {
    std::map<std::string, std::uint64_t> out;
    for (const auto& row : events)
        if (row.from_exec)
            if (auto v = p_->read(row.name))
                out[row.name] = *v;
    return out;
}

std::optional<fault_counters::split> fault_counters::before_exec() {
    auto min_all = p_->read("minor-faults:fork"), maj_all = p_->read("major-faults:fork");
    auto min_exec = p_->read("minor-faults"), maj_exec = p_->read("major-faults");
    if (!min_all || !maj_all || !min_exec || !maj_exec)
        return std::nullopt;
    return split{*min_all - *min_exec, *maj_all - *maj_exec};
}

} // namespace observer
