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

// The task a record belongs to: a fork record is its parent's doing.
pid_t record_order::owner(const record& r) const {
    switch (r.what) {
    case record::fork:
        return r.parent_tid;
    case record::comm:
        return r.tid;
    case record::sample:
        break;
    }
    return r.fault.tid;
}

void record_order::apply(record& r, std::vector<fault_sample>& out) {
    ++settled_;
    switch (r.what) {
    case record::comm:
        comm_of_[r.tid] = r.comm_name;
        if (r.exec) {
            exec_comm_of_[r.tid] = r.comm_name;
            loading_.insert(r.tid);
            ++execs_;
        }
        return;
    case record::fork: {
        comm_of_[r.tid] = lookup(comm_of_, r.parent_tid);
        exec_comm_of_[r.tid] = lookup(exec_comm_of_, r.parent_tid);
        known_.insert(r.tid);
        // What the child did before its fork record was read, in its order.
        auto it = waiting_.find(r.tid);
        if (it == waiting_.end())
            return;
        std::vector<record> held = std::move(it->second);
        waiting_.erase(it);
        for (auto& h : held)
            apply(h, out);
        return;
    }
    case record::sample:
        break;
    }
    fault_sample& f = r.fault;
    f.comm = lookup(comm_of_, f.tid);
    f.exec_comm = lookup(exec_comm_of_, f.tid);
    f.exec_serial = execs_;
    if (f.user())
        loading_.erase(f.tid);
    f.in_exec = loading_.count(f.tid) != 0;
    f.order = settled_;
    out.push_back(std::move(f));
}

void record_order::settle(std::vector<fault_sample>& out) {
    std::stable_sort(queue_.begin(), queue_.end(),
                     [](const record& a, const record& b) { return a.time < b.time; });
    for (auto& r : queue_) {
        pid_t who = owner(r);
        if (known_.count(who))
            apply(r, out);
        else
            waiting_[who].push_back(std::move(r));
    }
    queue_.clear();
}

void record_order::finish(std::vector<fault_sample>& out) {
    settle(out);
    // Tasks no fork record ever named: their records as they came, unnamed.
    auto rest = std::move(waiting_);
    waiting_.clear();
    for (auto& [tid, held] : rest) {
        known_.insert(tid);
        for (auto& r : held)
            apply(r, out);
    }
}

} // namespace observer
