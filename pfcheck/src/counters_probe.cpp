// SPDX-License-Identifier: GPL-2.0-or-later
#include "counters_probe.hpp"

#include "abi.hpp"

#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sstream>
#include <unistd.h>

namespace pfcheck::counters {

namespace {

constexpr const char* vmstat_keys[] = {"pgfault", "pgmajfault"};
// /proc/PID/stat: fields 10 and 12 (1-based) are min_flt and maj_flt.
constexpr int stat_min_flt = 10, stat_maj_flt = 12;

// Reads a /proc file into a buffer of its own, so that reading allocates
// nothing (the runner's faults between two reads are what vmstat's slack is).
std::string read_proc(const char* path) {
    static char buf[16384];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return {};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

std::optional<std::pair<long, long>> faults_of(pid_t pid) {
    std::string text = read_proc(("/proc/" + std::to_string(pid) + "/stat").c_str());
    auto close_paren = text.rfind(')'); // comm may hold spaces
    if (close_paren == std::string::npos)
        return std::nullopt;
    std::istringstream in(text.substr(close_paren + 2));
    std::string field;
    long min = -1, maj = -1;
    for (int i = 3; i <= stat_maj_flt && in >> field; ++i) {
        if (i == stat_min_flt)
            min = std::atol(field.c_str());
        if (i == stat_maj_flt)
            maj = std::atol(field.c_str());
    }
    if (min < 0 || maj < 0)
        return std::nullopt;
    return std::make_pair(min, maj);
}

reading value(long v) {
    return {.value = v};
}

reading missing(const std::string& why) {
    return {.unavailable = why};
}

} // namespace

std::map<std::string, long> read_vmstat() {
    std::map<std::string, long> out;
    std::istringstream in(read_proc("/proc/vmstat"));
    std::string key;
    long v = 0;
    while (in >> key >> v)
        for (const char* k : vmstat_keys)
            if (key == k)
                out[key] = v;
    return out;
}

void probe::start(pid_t root) {
    perf_ = observer::fault_counters::attach(root, perf_why_);
    root_ = faults_of(root);
    if (!root_)
        root_why_ = "cannot read /proc/" + std::to_string(root) + "/stat";
    getrusage(RUSAGE_SELF, &self_);
    getrusage(RUSAGE_CHILDREN, &children_);
    vmstat_ = read_vmstat();
}

measurement probe::finish() {
    auto vmstat = read_vmstat();
    rusage self{}, children{};
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    measurement m{.release = kernel_release(), .machine = kernel_machine()};

    std::optional<observer::fault_counters::split> early;
    std::string early_why = "perf is needed to measure the root's faults before its exec: " +
                            (perf_why_.empty() ? std::string("no event") : perf_why_);
    if (perf_) {
        early = perf_->before_exec();
        auto seen = perf_->since_exec();
        for (const auto& c : table())
            if (c.from == source::perf) {
                auto it = seen.find(c.id);
                m.counters[c.id] = it != seen.end()
                                       ? value(static_cast<long>(it->second))
                                       : missing("perf could not open it: " + perf_why_);
            }
    } else {
        for (const auto& c : table())
            if (c.from == source::perf)
                m.counters[c.id] = missing("perf: " + perf_why_);
    }

    // The tree: every process reaped by the runner (the subreaper), less the
    // root's faults before its exec.
    auto tree = [&](long after, long before, long root_part, long early_part) {
        return value(after - before - root_part - early_part);
    };
    if (!root_)
        m.counters["min_flt"] = m.counters["maj_flt"] = missing(root_why_);
    else if (!early)
        m.counters["min_flt"] = m.counters["maj_flt"] = missing(early_why);
    else {
        m.counters["min_flt"] = tree(children.ru_minflt, children_.ru_minflt, root_->first,
                                     static_cast<long>(early->minor));
        m.counters["maj_flt"] = tree(children.ru_majflt, children_.ru_majflt, root_->second,
                                     static_cast<long>(early->major));
    }

    // Global: less the runner's own faults and the root's before its exec.
    long runner = (self.ru_minflt - self_.ru_minflt) + (self.ru_majflt - self_.ru_majflt);
    long runner_major = self.ru_majflt - self_.ru_majflt;
    for (const char* key : vmstat_keys) {
        bool major = std::strcmp(key, "pgmajfault") == 0;
        if (!vmstat.count(key) || !vmstat_.count(key))
            m.counters[key] = missing(std::string("/proc/vmstat has no ") + key +
                                      " (CONFIG_VM_EVENT_COUNTERS off?)");
        else if (!early)
            m.counters[key] = missing(early_why);
        else
            m.counters[key] =
                value(vmstat[key] - vmstat_[key] - (major ? runner_major : runner) -
                      static_cast<long>(major ? early->major : early->minor + early->major));
    }
    return m;
}

} // namespace pfcheck::counters
