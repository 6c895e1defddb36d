// SPDX-License-Identifier: GPL-2.0-or-later
// The order of perf's records, from records written as a two-CPU guest with a
// millisecond clock writes them: ring buffer by ring buffer, time stamps tied.
#include "observer/order.hpp"

#include <boost/test/unit_test.hpp>

namespace {

using observer::record;

record comm(std::uint64_t time, pid_t tid, const char* name, bool exec) {
    record r;
    r.what = record::comm;
    r.time = time;
    r.tid = tid;
    r.comm_name = name;
    r.exec = exec;
    return r;
}

record fork(std::uint64_t time, pid_t parent, pid_t child) {
    record r;
    r.what = record::fork;
    r.time = time;
    r.tid = child;
    r.parent_tid = parent;
    return r;
}

record fault(std::uint64_t time, pid_t tid, std::uint64_t address) {
    record r;
    r.time = time;
    r.fault.pid = r.fault.tid = tid;
    r.fault.address = address;
    r.fault.error_code = observer::pf_user | observer::pf_write | observer::pf_prot;
    return r;
}

} // namespace

BOOST_AUTO_TEST_SUITE(record_ordering)

// The debug run of 2026-11-30: the child ran on CPU 0, its parent forked it on
// CPU 1, in the same jiffy. CPU 0's buffer is read first, so the child's first
// faults came before its fork record and had no name: perf saw 5 faults fewer
// than the kernel, on pfcheck's own data, bss and stack.
BOOST_AUTO_TEST_CASE(a_childs_faults_wait_for_its_fork_record) {
    observer::record_order order(10);
    order.add(comm(100, 10, "shared_writes", true)); // CPU 1, earlier
    order.add(fault(104, 11, 0x781000));             // CPU 0: the child
    order.add(fault(104, 11, 0x78d000));
    order.add(fault(104, 10, 0x7ff000)); // CPU 1: the parent
    order.add(fork(104, 10, 11));
    std::vector<observer::fault_sample> out;
    order.settle(out);
    BOOST_TEST_REQUIRE(out.size() == 3u);
    for (const auto& f : out)
        BOOST_TEST(f.comm == "shared_writes");
    BOOST_TEST(out[0].tid == 10);            // the parent's fault was settled first...
    BOOST_TEST(out[1].address == 0x781000u); // ...then the child's, in their order
    BOOST_TEST(out[2].address == 0x78d000u);
    BOOST_TEST(out[1].order < out[2].order);
}

// One ring buffer keeps its order on a tie: a fault, then a rename, then a
// fault, all in one tick, are named before, after.
BOOST_AUTO_TEST_CASE(ties_in_one_buffer_keep_their_order) {
    observer::record_order order(10);
    order.add(comm(100, 10, "a", true));
    order.add(fault(104, 10, 0x1000));
    order.add(comm(104, 10, "b", false));
    order.add(fault(104, 10, 0x2000));
    std::vector<observer::fault_sample> out;
    order.settle(out);
    BOOST_TEST_REQUIRE(out.size() == 2u);
    BOOST_TEST(out[0].comm == "a");
    BOOST_TEST(out[1].comm == "b");
    BOOST_TEST(out[1].exec_comm == "a");
}

// The child's own records wait with its samples: its exec, read before its
// fork record, still renames it, and the fork record does not undo that.
BOOST_AUTO_TEST_CASE(a_childs_exec_before_its_fork_record_stands) {
    observer::record_order order(10);
    order.add(comm(100, 10, "parent", true));
    order.add(comm(104, 11, "child", true)); // CPU 0: the child's exec
    order.add(fault(104, 11, 0x1000));
    order.add(fork(104, 10, 11)); // CPU 1: its parent's fork
    order.add(fault(105, 11, 0x2000));
    std::vector<observer::fault_sample> out;
    order.finish(out);
    BOOST_TEST_REQUIRE(out.size() == 2u);
    BOOST_TEST(out[0].comm == "child");
    BOOST_TEST(out[1].comm == "child");
    BOOST_TEST(out[1].exec_comm == "child");
}

// A grandchild forked in the tick of its parent's own fork, and a fork record
// read in a later batch than the child's first faults: all named.
BOOST_AUTO_TEST_CASE(records_wait_across_batches_and_generations) {
    observer::record_order order(10);
    order.add(comm(100, 10, "tree", true));
    order.add(fork(104, 11, 12)); // the child forks before its own fork record is read
    order.add(fault(104, 12, 0x3000));
    order.add(fault(104, 11, 0x1000));
    std::vector<observer::fault_sample> out;
    order.settle(out);
    BOOST_TEST(out.empty()); // nothing named yet: nothing given out
    order.add(fork(104, 10, 11));
    order.settle(out);
    BOOST_TEST_REQUIRE(out.size() == 2u);
    for (const auto& f : out)
        BOOST_TEST(f.comm == "tree");
}

// A task no record ever names keeps its faults, nameless, at the end.
BOOST_AUTO_TEST_CASE(a_task_never_named_keeps_its_faults) {
    observer::record_order order(10);
    order.add(fault(5, 42, 0x1000));
    std::vector<observer::fault_sample> out;
    order.settle(out);
    BOOST_TEST(out.empty());
    order.finish(out);
    BOOST_TEST_REQUIRE(out.size() == 1u);
    BOOST_TEST(out[0].comm.empty());
}

BOOST_AUTO_TEST_SUITE_END()
