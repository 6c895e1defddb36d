// SPDX-License-Identifier: GPL-2.0-or-later
// The diff on hand-built evidence: a right kernel passes, wrong ones fail with
// the diagnosis that names their mistake.
#include "verdict.hpp"
#include "workloads/catalogue.hpp"

#include <boost/test/unit_test.hpp>

using namespace pfcheck;

namespace {

const char* maps = "08048000-08324000 r-xp 00000000 00:02 4     /init\n"
                   "0832b000-08336000 rw-p 002e2000 00:02 4     /init\n"
                   "b7800000-b7808000 rw-p 00000000 00:00 0 \n"
                   "b7808000-b7c00000 ---p 00000000 00:00 0 \n"
                   "bfa8c000-bfaad000 rw-p 00000000 00:00 0     [stack]\n";

constexpr std::uint64_t base = 0xb7800000;

// Evidence for `name` where the kernel and perf report exactly what the oracle
// predicts, plus `data_faults` faults in the program's data VMA.
evidence agreeing(const std::string& name, long data_faults = 2) {
    evidence e;
    e.s = workloads::find(name);
    BOOST_REQUIRE(e.s);
    e.prediction = oracle::predict(*e.s, oracle::linux_6_1());
    e.layout = oracle::parse_maps(maps);
    e.slots = {base, static_cast<std::uint64_t>(oracle::slot_stride_pages(*e.s)) * 4096, 4096};
    pf_stat k{};
    k.nb_vma = static_cast<int>(e.layout.size());
    observer::observation o;
    for (std::size_t i = 0; i < e.layout.size(); ++i) {
        k.vma_list_start[i] = static_cast<unsigned long>(e.layout[i].start);
        k.vma_list_end[i] = static_cast<unsigned long>(e.layout[i].end);
    }
    auto binned = oracle::bin(e.prediction, e.slots, e.layout);
    for (std::size_t i = 0; i < e.layout.size(); ++i)
        k.vma_fault[i] = binned.per_vma[i];
    k.vma_fault[1] += data_faults;
    k.cow_page_faults = e.prediction.total + data_faults;
    for (const auto& [site, n] : e.prediction.faults)
        for (long j = 0; j < n; ++j)
            o.faults.push_back({10, 10, 0, e.slots.address(site), 0, 7, name});
    for (long j = 0; j < data_faults; ++j)
        o.faults.push_back({11, 11, 0, 0x0832c000, 0, 7, name});
    // Noise perf must ignore: a first touch, another name's fault, a read.
    o.faults.push_back({10, 10, 0, base, 0, 6, name});
    o.faults.push_back({12, 12, 0, base, 0, 7, "pfcheck"});
    o.faults.push_back({10, 10, 0, base, 0, 5, name});
    e.kernel = k;
    e.perf = o;
    return e;
}

bool mentions(const std::vector<std::string>& lines, const std::string& word) {
    for (const auto& l : lines)
        if (l.find(word) != std::string::npos)
            return true;
    return false;
}

} // namespace

BOOST_AUTO_TEST_SUITE(verdicts)

BOOST_AUTO_TEST_CASE(agreement_passes) {
    auto v = judge(agreeing("parent_first"));
    BOOST_TEST(v.pass);
    BOOST_TEST(v.problems.empty());
    BOOST_TEST(*v.kernel_total == 18);
    BOOST_TEST(*v.perf_total == 18);
    BOOST_TEST(v.rows[2].oracle_count.value() == 16);
}

// A kernel that counts first touches as CoW: 16 where none are predicted.
BOOST_AUTO_TEST_CASE(first_touch_counted_is_diagnosed) {
    auto e = agreeing("first_touch");
    e.kernel->vma_fault[2] += 16;
    e.kernel->cow_page_faults += 16;
    auto v = judge(e);
    BOOST_TEST(!v.pass);
    BOOST_TEST(mentions(v.diagnoses, "first-touch"));
}

// A kernel that misses the child's faults reports fewer than predicted.
BOOST_AUTO_TEST_CASE(missing_child_faults_are_diagnosed) {
    auto e = agreeing("child_first");
    e.kernel->vma_fault[2] -= 8;
    e.kernel->cow_page_faults -= 8;
    auto v = judge(e);
    BOOST_TEST(!v.pass);
    BOOST_TEST(mentions(v.diagnoses, "children"));
}

BOOST_AUTO_TEST_CASE(nb_vma_above_128_is_diagnosed) {
    auto e = agreeing("parent_first");
    e.kernel->nb_vma = 200;
    auto v = judge(e);
    BOOST_TEST(!v.pass);
    BOOST_TEST(mentions(v.diagnoses, "above 128"));
}

BOOST_AUTO_TEST_CASE(wrong_layout_is_diagnosed) {
    auto e = agreeing("parent_first");
    e.kernel->vma_list_end[4] += 4096;
    auto v = judge(e);
    BOOST_TEST(!v.pass);
    BOOST_TEST(mentions(v.diagnoses, "layout"));
}

// Counts right in total but each one VMA too early.
BOOST_AUTO_TEST_CASE(shifted_counts_are_diagnosed) {
    auto e = agreeing("parent_first");
    auto& k = *e.kernel;
    for (int i = 0; i + 1 < k.nb_vma; ++i)
        k.vma_fault[i] = k.vma_fault[i + 1];
    k.vma_fault[k.nb_vma - 1] = 0;
    auto v = judge(e);
    BOOST_TEST(!v.pass);
    BOOST_TEST(mentions(v.diagnoses, "shifted"));
}

// Without perf the kernel is still compared with the oracle, and the verdict
// says perf was unavailable instead of passing in silence.
BOOST_AUTO_TEST_CASE(perf_unavailable_is_said) {
    auto e = agreeing("parent_first");
    e.perf.reset();
    e.perf_unavailable = "no tracefs";
    auto v = judge(e);
    BOOST_TEST(v.pass);
    BOOST_TEST(v.perf_status == "unavailable: no tracefs");
    BOOST_TEST(!v.perf_total.has_value());
    e.kernel->vma_fault[2] = 3;
    BOOST_TEST(!judge(e).pass);
}

// A fault that died of SIGSEGV is no CoW fault, even in a VMA that is
// read-only now; one in a VMA made read-only later (RELRO) still is.
BOOST_AUTO_TEST_CASE(segv_writes_are_excluded) {
    observer::observation o;
    o.faults.push_back({20, 20, 0, 0x08048010, 0, 7, "n"});
    o.faults.push_back({21, 21, 0, 0x08048010, 0, 7, "n"});
    auto l = oracle::parse_maps(maps);
    BOOST_TEST(perf_cow_total(o, "n", l, {{20, 0x08048000}}) == 1);
    BOOST_TEST(perf_cow_total(o, "n", l) == 2);
}

BOOST_AUTO_TEST_CASE(a_failed_get_info_fails_the_scenario) {
    auto e = agreeing("parent_first");
    e.kernel.reset();
    e.kernel_errno = 22;
    auto v = judge(e);
    BOOST_TEST(!v.pass);
    BOOST_TEST(mentions(v.problems, "EINVAL"));
}

BOOST_AUTO_TEST_SUITE_END()
