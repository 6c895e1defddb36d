// SPDX-License-Identifier: GPL-2.0-or-later
// make submission without a kernel: what it refuses, before any build, and
// what it packages, with the kernel run replaced by a stub.
#include "exit_codes.hpp"
#include "fake_kernel.hpp"
#include "files.hpp"
#include "kernel_tree.hpp"
#include "submission.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <set>

namespace fs = std::filesystem;
using namespace harness;
using namespace fake;

namespace {

struct scratch : temp_dir {
    scratch() : temp_dir("submission") {}

    // A student's repository: vanilla 4.15 as the root commit (`base`),
    // then `commits` commits of theirs (the first wires up the syscalls).
    fs::path student_repo(int commits = 2, const std::string& base = "4.15.0") {
        fs::path repo = dir / "linux-4.15-mine";
        fake_tree(repo, base, vanilla_32);
        git(repo, {"init", "-q"});
        commit_all(repo, "Linux " + base);
        for (int i = 0; i < commits; ++i) {
            if (i == 0)
                write(repo / "arch/x86/entry/syscalls/syscall_32.tbl", wired_32);
            else
                write(repo / ("mm/pf_stat_" + std::to_string(i) + ".c"),
                      "/* part " + std::to_string(i) + " */\n");
            commit_all(repo, "pf_stat: part " + std::to_string(i));
        }
        return repo;
    }

    fs::path report(const std::string& name, const std::string& text = "%PDF-1.5\n...\n") {
        write(dir / name, text);
        return dir / name;
    }

    options opts() const {
        options o;
        o.cache = dir / "cache";
        o.results = dir / "results";
        o.project = project;
        return o;
    }
};

// A stub for run_all: records what it was asked, answers `code`.
struct stub_run {
    int code = exit_code::passed;
    int failed = 0;
    std::optional<options> seen;
    run_result operator()(const options& o) {
        seen = o;
        run_result r;
        r.code = code;
        r.c.failed = failed;
        r.reason = code == exit_code::not_judged ? "patch: the patch series does not apply" : "";
        return r;
    }
};

std::set<std::string> tar_members(const fs::path& archive) {
    auto listed = capture("tar", {"-tzf", archive.string()});
    BOOST_REQUIRE(listed.ok);
    std::set<std::string> all;
    std::istringstream lines(listed.out);
    for (std::string l; std::getline(lines, l);)
        if (!l.empty())
            all.insert(l);
    return all;
}

int submit(scratch& s, submission_request req, stub_run& stub) {
    return run_submission(req, s.opts(), [&](options o) { return stub(o); });
}

} // namespace

BOOST_AUTO_TEST_SUITE(submission)

BOOST_AUTO_TEST_CASE(the_report_must_be_a_pdf_or_a_text) {
    scratch s;
    BOOST_TEST(check_report({}).find("no report") == 0u);
    BOOST_TEST(check_report(s.report("report.docx", "PK...")).find("neither .pdf nor .txt") !=
               std::string::npos);
    BOOST_TEST(check_report(s.dir / "missing.pdf").find("no report at") == 0u);
    BOOST_TEST(check_report(s.report("renamed.pdf", "PK\x03\x04")).find("not a PDF") !=
               std::string::npos);
    BOOST_TEST(check_report(s.report("empty.txt", "")).find("is empty") != std::string::npos);
    BOOST_TEST(check_report(s.report("report.pdf")).empty());
    BOOST_TEST(check_report(s.report("REPORT.TXT", "my report\n")).empty());
}

// Each refusal: status 2 with the reason, before the kernel run, and no archive.
struct refusal_case {
    scratch& s;
    std::string why;
    bool operator()(submission_request req) {
        req.archive = s.dir / "patch.tar.gz";
        refusal no;
        if (prepare_submission(req, s.opts(), no)) {
            why = "(prepared)";
            return false;
        }
        why = no.why;
        stub_run stub;
        int code = submit(s, req, stub);
        return no.code == exit_code::usage && code == exit_code::usage && !stub.seen &&
               !fs::exists(req.archive);
    }
};

BOOST_AUTO_TEST_CASE(no_report_or_a_report_of_the_wrong_kind) {
    scratch s;
    auto repo = s.student_repo();
    refusal_case refused{s};
    BOOST_TEST(refused({.ksrc = repo}));
    BOOST_TEST(refused.why.find("no report") == 0u);
    BOOST_TEST(refused({.ksrc = repo, .report = s.report("report.docx", "PK")}));
    BOOST_TEST(refused.why.find("neither .pdf nor .txt") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_base_that_is_not_vanilla_4_15) {
    scratch s;
    auto report = s.report("report.pdf");
    refusal_case refused{s};
    auto repo = s.student_repo(2, "4.14.0");
    BOOST_TEST(refused({.ksrc = repo, .report = report}));
    BOOST_TEST(refused.why.find("is Linux 4.14.0, not 4.15.0") != std::string::npos);
    BOOST_TEST(refused.why.find("BASE=") != std::string::npos);
    // BASE pointing at a commit that already wires up the syscalls.
    fs::remove_all(repo);
    repo = s.student_repo(2);
    BOOST_TEST(refused({.ksrc = repo, .base = "HEAD~1", .report = report}));
    BOOST_TEST(refused.why.find("already wires up the course's syscalls") != std::string::npos);
    // SERIES=dir onto a KSRC that is not vanilla.
    fs::create_directories(s.dir / "mine");
    write(s.dir / "mine/0001-a.patch", "From 0\n");
    BOOST_TEST(refused({.ksrc = repo, .series = (s.dir / "mine").string(), .report = report}));
    BOOST_TEST(refused.why.find("not vanilla 4.15") != std::string::npos);
    BOOST_TEST(refused({.ksrc = repo, .base = "no-such-commit", .report = report}));
    BOOST_TEST(refused.why.find("neither a directory nor a commit") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(no_commits_on_top_of_the_base) {
    scratch s;
    auto repo = s.student_repo(0);
    refusal_case refused{s};
    BOOST_TEST(refused({.ksrc = repo, .report = s.report("report.txt", "my report\n")}));
    BOOST_TEST(refused.why.find("no commits on top of the root commit") == 0u);
}

BOOST_AUTO_TEST_CASE(no_series_to_be_found) {
    scratch s;
    auto report = s.report("report.pdf");
    refusal_case refused{s};
    fake_tree(s.dir / "plain", "4.15.0", wired_32); // not a git repository
    BOOST_TEST(refused({.ksrc = s.dir / "plain", .report = report}));
    BOOST_TEST(refused.why.find("is not a git repository") != std::string::npos);
    BOOST_TEST(refused({.report = report}));
    BOOST_TEST(refused.why.find("it needs your kernel") == 0u);
    BOOST_TEST(refused({.ksrc = s.dir / "plain", .series = "none", .report = report}));
    BOOST_TEST(refused.why.find("SERIES=none packages nothing") == 0u);
    fs::create_directories(s.dir / "empty");
    fake_tree(s.dir / "vanilla", "4.15.0", vanilla_32);
    BOOST_TEST(refused(
        {.ksrc = s.dir / "vanilla", .series = (s.dir / "empty").string(), .report = report}));
    BOOST_TEST(refused.why.find("no .patch files") == 0u);
}

// The archive holds patch/*.patch and the report, nothing else.
BOOST_AUTO_TEST_CASE(the_archive_holds_the_patches_and_the_report) {
    scratch s;
    write(s.dir / "series/0002-b.patch", "From b\n");
    write(s.dir / "series/0001-a.patch", "From a\n");
    write(s.dir / "series/notes.txt", "not a patch\n");
    std::string why;
    auto members = package_submission(s.dir / "series", s.report("report.pdf"), s.dir / "stage",
                                      s.dir / "out/patch.tar.gz", why);
    BOOST_REQUIRE_MESSAGE(members.has_value(), why);
    std::vector<std::string> expected = {"patch/", "patch/0001-a.patch", "patch/0002-b.patch",
                                         "patch/report.pdf"};
    BOOST_TEST(*members == expected, boost::test_tools::per_element());
    auto listed = tar_members(s.dir / "out/patch.tar.gz");
    BOOST_TEST(listed == std::set<std::string>(expected.begin(), expected.end()),
               boost::test_tools::per_element());
}

// KSRC's commits on top of its root commit: format-patch, a pristine base,
// the kernel run (a stub), the archive; failed checks still write it.
BOOST_AUTO_TEST_CASE(the_commits_of_ksrc_are_checked_then_packaged) {
    scratch s;
    auto repo = s.student_repo(2);
    git(repo, {"config", "diff.noprefix", "true"}); // a student's taste must not break git am
    submission_request req{
        .ksrc = repo, .report = s.report("report.pdf"), .archive = s.dir / "patch.tar.gz"};
    stub_run stub{.code = exit_code::failed, .failed = 2};
    BOOST_TEST(submit(s, req, stub) == exit_code::failed);
    BOOST_REQUIRE(stub.seen.has_value());
    const options& o = *stub.seen;
    BOOST_TEST(o.arch == "i386");
    BOOST_TEST(o.out_name == "submission");
    // The base the course applies to: vanilla, none of the student's changes.
    BOOST_TEST(parse_kernel_version(read_text(o.ksrc / "Makefile"))->is(4, 15, 0));
    BOOST_TEST(course_syscalls_in(o.ksrc, 4).empty());
    BOOST_TEST(!fs::exists(o.ksrc / "mm"));
    // The series: the two commits, as git format-patch writes them.
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(o.series))
        names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    std::vector<std::string> expected = {"0001-pf_stat-part-0.patch", "0002-pf_stat-part-1.patch"};
    BOOST_TEST(names == expected, boost::test_tools::per_element());
    BOOST_TEST(read_text(o.series / names[0]).find("+385\ti386\tpf_set_param") !=
               std::string::npos);
    BOOST_TEST(read_text(o.series / names[0])
                   .find("diff --git a/arch/x86/entry/syscalls/syscall_32.tbl b/arch") !=
               std::string::npos);
    auto members = tar_members(req.archive);
    BOOST_TEST(members == (std::set<std::string>{"patch/", "patch/" + names[0], "patch/" + names[1],
                                                 "patch/report.pdf"}),
               boost::test_tools::per_element());

    // Patches that do not apply (or build, or boot): no archive, status 3.
    fs::remove(req.archive);
    stub_run broken{.code = exit_code::not_judged};
    BOOST_TEST(submit(s, req, broken) == exit_code::not_judged);
    BOOST_TEST(!fs::exists(req.archive));

    // Every check passed.
    stub_run fine;
    BOOST_TEST(submit(s, req, fine) == exit_code::passed);
    BOOST_TEST(fs::exists(req.archive));
}

// The reference series is packaged only when asked for by name.
BOOST_AUTO_TEST_CASE(the_reference_series_only_by_name) {
    scratch s;
    fake_tree(s.dir / "vanilla", "4.15.0", vanilla_32);
    submission_request req{.ksrc = s.dir / "vanilla",
                           .series = "reference",
                           .report = s.report("report.txt", "report\n"),
                           .archive = s.dir / "patch.tar.gz"};
    stub_run stub;
    BOOST_TEST(submit(s, req, stub) == exit_code::passed);
    BOOST_REQUIRE(stub.seen.has_value());
    BOOST_TEST(stub.seen->ksrc == fs::canonical(s.dir / "vanilla"));
    std::size_t reference = 0;
    for (const auto& e : fs::directory_iterator(project / "patch/linux-4.15"))
        reference += e.path().extension() == ".patch";
    BOOST_TEST(tar_members(req.archive).size() == reference + 2); // patch/, the report
}

BOOST_AUTO_TEST_SUITE_END()
