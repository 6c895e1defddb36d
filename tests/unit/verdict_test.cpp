// SPDX-License-Identifier: GPL-2.0-or-later
// The diff on synthetic evidence: a right kernel passes; a wrong answer
// fails with the problem said plainly.
#include "synthetic.hpp"
#include "verdict.hpp"
#include "workloads/catalogue.hpp"

#include <boost/test/unit_test.hpp>

using namespace pfcheck;

namespace {

bool mentions(const std::vector<std::string>& lines, const std::string& word) {
    for (const auto& l : lines)
        if (l.find(word) != std::string::npos)
            return true;
    return false;
}

pf_stat& kernel_of(evidence& e) {
    return *e.kernel.at(e.s->name).stat;
}

// The index of the first VMA of the scenario's regions in the kernel's answer.
int first_region_vma(const pf_stat& k) {
    for (int i = 0; i < k.nb_vma; ++i)
        if (k.vma_list_start[i] >= synthetic::base)
            return i;
    return -1;
}

} // namespace

BOOST_AUTO_TEST_SUITE(verdicts)

BOOST_AUTO_TEST_CASE(agreement_passes) {
    auto v = judge(synthetic::make("parent_first"));
    BOOST_TEST(v.pass);
    BOOST_TEST(v.problems.empty());
    BOOST_TEST(*v.kernel_total == 18);
    BOOST_TEST(*v.perf_total == 18);
    BOOST_TEST(v.oracle_total == 16);
}

// Every scenario of the catalogue passes on a kernel that follows the contract.
BOOST_AUTO_TEST_CASE(every_scenario_passes_on_a_correct_kernel) {
    for (const auto& s : workloads::catalogue()) {
        BOOST_TEST_CONTEXT(s.name) {
            auto v = judge(synthetic::make(s.name));
            BOOST_TEST(v.pass);
            for (const auto& p : v.problems)
                BOOST_TEST_MESSAGE(p);
        }
    }
}

// A kernel that counts first touches as CoW: 16 where none are predicted.
BOOST_AUTO_TEST_CASE(extra_counts_fail) {
    auto e = synthetic::make("first_touch");
    auto& k = kernel_of(e);
    k.vma_fault[first_region_vma(k)] += 16;
    k.cow_page_faults += 16;
    auto v = judge(e);
    BOOST_TEST(!v.pass);
    BOOST_TEST(mentions(v.problems, "kernel 16, oracle 0"));
}

BOOST_AUTO_TEST_CASE(nb_vma_above_128_fails) {
    auto e = synthetic::make("parent_first");
    kernel_of(e).nb_vma = 200;
    auto v = judge(e);
    BOOST_TEST(!v.pass);
    BOOST_TEST(mentions(v.problems, "outside 0..128"));
}

BOOST_AUTO_TEST_CASE(wrong_layout_fails) {
    auto e = synthetic::make("parent_first");
    kernel_of(e).vma_list_end[1] += 4096;
    auto v = judge(e);
    BOOST_TEST(!v.pass);
    BOOST_TEST(mentions(v.problems, "reported layout"));
}

// Entries past nb_vma reach user space: they must be zero.
BOOST_AUTO_TEST_CASE(stale_entries_fail) {
    auto e = synthetic::make("parent_first");
    kernel_of(e).vma_list_start[100] = 0x08048000;
    auto v = judge(e);
    BOOST_TEST(!v.pass);
    BOOST_TEST(mentions(v.problems, "stale"));
}

BOOST_AUTO_TEST_CASE(parts_above_the_total_fail) {
    auto e = synthetic::make("parent_first");
    kernel_of(e).cow_page_faults = 1;
    auto v = judge(e);
    BOOST_TEST(!v.pass);
    BOOST_TEST(mentions(v.problems, "more than the total"));
}

// Without perf the kernel is still compared with the oracle, and the verdict
// says perf was unavailable instead of passing in silence.
BOOST_AUTO_TEST_CASE(perf_unavailable_is_said) {
    auto e = synthetic::make("parent_first");
    e.perf.reset();
    e.perf_unavailable = "no tracefs";
    auto v = judge(e);
    BOOST_TEST(v.pass);
    BOOST_TEST(v.perf_status == "unavailable: no tracefs");
    BOOST_TEST(!v.perf_total.has_value());
    auto& k = kernel_of(e);
    k.vma_fault[first_region_vma(k)] = 3;
    BOOST_TEST(!judge(e).pass);
}

// A fault that died of SIGSEGV is no CoW fault.
BOOST_AUTO_TEST_CASE(segv_writes_are_excluded) {
    auto e = synthetic::make("readonly_segv");
    auto v = judge(e);
    BOOST_TEST(v.pass);
    auto marked = perf_events(*e.perf, e.query);
    BOOST_TEST(std::count_if(marked.begin(), marked.end(),
                             [](const oracle::fault_event& f) { return f.segv; }) == 1);
    e.query.segv_writes.clear();
    auto events = perf_events(*e.perf, e.query);
    BOOST_TEST(std::none_of(events.begin(), events.end(),
                            [](const oracle::fault_event& f) { return f.segv; }));
}

BOOST_AUTO_TEST_CASE(a_failed_get_info_fails_the_scenario) {
    auto e = synthetic::make("parent_first");
    e.kernel[e.s->name] = {std::nullopt, 22};
    auto v = judge(e);
    BOOST_TEST(!v.pass);
    BOOST_TEST(mentions(v.problems, "EINVAL"));
}

// Every tracked name is judged: a wrong count on the second name fails too.
BOOST_AUTO_TEST_CASE(other_names_are_judged) {
    for (const auto& s : workloads::catalogue()) {
        if (oracle::tracked_names(s).size() < 2)
            continue;
        BOOST_TEST_CONTEXT(s.name) {
            auto e = synthetic::make(s.name);
            auto other = oracle::tracked_names(s)[1];
            auto& a = e.kernel[other];
            if (!a.stat)
                continue;
            a.stat->cow_page_faults += 5;
            auto v = judge(e);
            BOOST_TEST(!v.pass);
            BOOST_TEST(mentions(v.problems, "[" + other + "]"));
        }
    }
}

// perf's kernel-mode faults: on a process's memory they stay, even where its
// layout is gone (a child killed by SIGSEGV, the image before an exec: the
// kernel writing the child's tid at fork is one); on the kernel's, they go.
BOOST_AUTO_TEST_CASE(kernel_mode_faults_on_user_memory_stay) {
    observer::observation o;
    o.kernel_faults = true;
    auto kernel_write = [&](pid_t pid, std::uint64_t address) {
        o.faults.push_back({.pid = pid,
                            .tid = pid,
                            .address = address,
                            .error_code = observer::pf_write | observer::pf_prot});
    };
    kernel_write(4242, 0x09315428); // a pid with no layout: a user address
    kernel_write(4242, sizeof(void*) == 4 ? 0xc1000040 : 0xffffffff81000040); // the kernel's
    workloads::query_point q;
    auto events = perf_events(o, q);
    BOOST_TEST_REQUIRE(events.size() == 1u);
    BOOST_TEST(events[0].address == 0x09315428u);
    BOOST_TEST(!events[0].user);
}

BOOST_AUTO_TEST_SUITE_END()
