// SPDX-License-Identifier: GPL-2.0-or-later
#include "observer/order.hpp"

#include <algorithm>

namespace observer {

namespace {

std::string lookup(const std::map<pid_t, std::string>& names, pid_t tid) {
    auto it = names.find(tid);
    return it == names.end() ? std::string() : it->second;
}

} // namespace

void record_order::name(fault_sample& f) {
    ++settled_;
    f.comm = lookup(comm_of_, f.tid);
    f.exec_comm = lookup(exec_comm_of_, f.tid);
    f.exec_serial = execs_;
    if (f.user())
        loading_.erase(f.tid);
    f.in_exec = loading_.count(f.tid) != 0;
    f.order = settled_;
}

void record_order::settle(std::vector<fault_sample>& out) {
    std::stable_sort(queue_.begin(), queue_.end(),
                     [](const record& a, const record& b) { return a.time < b.time; });
    // Samples of a task no record has named yet, until one does.
    std::map<pid_t, std::vector<fault_sample>> waiting;
    auto release = [&](pid_t tid) {
        auto it = waiting.find(tid);
        if (it == waiting.end())
            return;
        for (auto& f : it->second) {
            name(f);
            out.push_back(std::move(f));
        }
        waiting.erase(it);
    };
    for (auto& r : queue_) {
        switch (r.what) {
        case record::comm:
            ++settled_;
            comm_of_[r.tid] = r.comm_name;
            if (r.exec) {
                exec_comm_of_[r.tid] = r.comm_name;
                loading_.insert(r.tid);
                ++execs_;
            }
            release(r.tid);
            break;
        case record::fork:
            ++settled_;
            comm_of_[r.tid] = lookup(comm_of_, r.parent_tid);
            exec_comm_of_[r.tid] = lookup(exec_comm_of_, r.parent_tid);
            release(r.tid);
            break;
        case record::sample:
            if (!comm_of_.count(r.fault.tid)) {
                waiting[r.fault.tid].push_back(std::move(r.fault));
                break;
            }
            name(r.fault);
            out.push_back(std::move(r.fault));
            break;
        }
    }
    // Never named in this batch: they keep no name, as before this rule.
    for (auto& [tid, faults] : waiting)
        for (auto& f : faults) {
            name(f);
            out.push_back(std::move(f));
        }
    queue_.clear();
}

} // namespace observer
