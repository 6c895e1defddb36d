// SPDX-License-Identifier: GPL-2.0-or-later
// Grading a class without a kernel: hostile archives refused and nothing
// written outside, the statement's layout, the rubric's arithmetic, and a
// class graded with a stub runner (resumed without grading twice).
#include "grading.hpp"
#include "process.hpp"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace harness;

namespace {

struct scratch {
    fs::path dir;
    scratch() {
        dir = fs::temp_directory_path() / ("pfcheck-grading-" + std::to_string(getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir / "src");
    }
    ~scratch() { fs::remove_all(dir); }
    void write(const std::string& rel, const std::string& text) const {
        fs::create_directories((dir / "src" / rel).parent_path());
        std::ofstream(dir / "src" / rel) << text;
    }
    // tar -czf NAME.tar.gz with these arguments, run in src/.
    fs::path tar(const std::string& name, std::vector<std::string> args) const {
        fs::path out = dir / "class" / (name + ".tar.gz");
        fs::create_directories(out.parent_path());
        args.insert(args.begin(), {"-czf", out.string()});
        BOOST_REQUIRE(capture("tar", args, dir / "src").ok);
        return out;
    }
};

const std::string format_patch = "From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 "
                                 "00:00:00 2001\nFrom: A Student <a@b.c>\nSubject: [PATCH] x\n";

void good_layout(const scratch& s) {
    s.write("patch/0001-a.patch", format_patch);
    s.write("patch/report.txt", "my report\n");
}

} // namespace

BOOST_AUTO_TEST_SUITE(grading)

// Each hostile member is refused with its reason, and nothing is left behind.
BOOST_AUTO_TEST_CASE(hostile_archives_are_refused) {
    scratch s;
    good_layout(s);
    s.write("big", std::string(4096, 'x'));
    fs::create_symlink("/etc/passwd", s.dir / "src" / "link");
    BOOST_REQUIRE(capture("mkfifo", {(s.dir / "src" / "fifo").string()}).ok);
    unpack_limits small{.file_bytes = 2048, .total_bytes = 3000, .members = 4};
    struct {
        fs::path tarball;
        const char* says;
    } cases[] = {
        {s.tar("traversal", {"-P", "--transform", "s,^big,../../evil,", "big"}),
         "a path outside the submission"},
        {s.tar("absolute", {"-P", "--transform", "s,^big,/tmp/evil,", "big"}),
         "a path outside the submission"},
        {s.tar("symlink", {"link"}), "a link or a device"},
        {s.tar("fifo", {"fifo"}), "a link or a device"},
        {s.tar("huge", {"big"}), "is over"},
        {s.tar("many", {"patch", "patch", "patch"}), "more than 4 members"},
    };
    for (const auto& c : cases) {
        fs::path dest = s.dir / "out" / c.tarball.stem();
        auto why = safe_unpack(c.tarball, dest, small);
        BOOST_TEST(why.find(c.says) != std::string::npos, c.tarball.filename() << ": " << why);
        BOOST_TEST(fs::is_empty(dest));
    }
    BOOST_TEST(!fs::exists(s.dir / "evil"));
    BOOST_TEST(!fs::exists(s.dir / "out" / "evil"));
    std::ofstream(s.dir / "class" / "garbage.tar.gz") << "not an archive";
    BOOST_TEST(!safe_unpack(s.dir / "class" / "garbage.tar.gz", s.dir / "out" / "g").empty());
    // A good one unpacks.
    BOOST_TEST(safe_unpack(s.tar("good", {"patch"}), s.dir / "out" / "good") == "");
    BOOST_TEST(fs::exists(s.dir / "out" / "good" / "patch" / "0001-a.patch"));
}

BOOST_AUTO_TEST_CASE(the_layout_is_the_statements) {
    scratch s;
    good_layout(s);
    auto l = check_layout(s.dir / "src");
    BOOST_TEST(l.problems.empty());
    BOOST_TEST(l.patches.size() == 1u);
    BOOST_TEST(l.report.filename() == "report.txt");
    s.write("patch/0002-b.patch", "diff --git a/x b/x\n");
    l = check_layout(s.dir / "src");
    BOOST_TEST_REQUIRE(l.problems.size() == 1u);
    BOOST_TEST(l.problems[0].find("0002-b.patch is not a git format-patch") == 0u);
    BOOST_TEST(check_layout(s.dir / "src" / "patch").problems.front().find("no patch/") == 0u);
}

BOOST_AUTO_TEST_CASE(the_rubric_weighs_families) {
    rubric r{{{"errno", 30}, {"scenarios", 70}}};
    BOOST_TEST(score_of({{"errno", {30, 0}}, {"scenarios", {35, 35}}}, r) == 65.0);
    BOOST_TEST(score_of({{"errno", {0, 0}}, {"scenarios", {10, 0}}}, r) == 70.0);
    std::string why;
    auto repo = load_rubric(fs::path(PFCHECK_SOURCE_DIR) / "grading" / "rubric.json", why);
    BOOST_TEST_REQUIRE(repo.has_value(), why);
    BOOST_TEST(repo->total() == 100.0);
}

// A class of five, graded with a stub runner: each outcome, its feedback,
// the table; a second run grades nothing again.
BOOST_AUTO_TEST_CASE(a_class_is_graded_and_resumed) {
    scratch s;
    good_layout(s);
    s.tar("alice", {"patch"});
    s.tar("bob", {"patch"});
    s.tar("carol", {"patch"});
    s.write("notes.txt", "no patches here\n");
    s.tar("dave", {"notes.txt"});
    s.tar("eve", {"-P", "--transform", "s,^notes.txt,../../escaped,", "notes.txt"});
    // A job slot's copy of the base, where git am left its log.
    fs::path tree = s.dir / "cache" / "trees" / "debian-6.1-slot1";
    fs::create_directories(tree);
    std::ofstream(tree / "git.log") << "error: patch failed: mm/memory.c:10\n";
    int runs = 0;
    auto stub = [&](options o) {
        ++runs;
        run_result r;
        std::string who = o.results.filename().string();
        if (who == "bob")
            return run_result{exit_code::not_judged,
                              {},
                              "patch: git am failed on 0001-a.patch: " + tree.string() +
                                  "/src/mm/memory.c does not match (log: " + tree.string() +
                                  "/git.log)"};
        r.c.judged = true;
        r.c.passed_by[check_kind::abi] = 30;
        r.c.passed_by[check_kind::scenario] = who == "alice" ? 40 : 20;
        r.c.failed_by[check_kind::scenario] = who == "alice" ? 0 : 20;
        if (who == "carol") {
            r.c.bugs = {{"first_touch"}, {"no_exec_reset"}};
            r.c.failures.push_back({check_kind::scenario, "reexec", "expected 8, got 16"});
        }
        return r;
    };
    grade_request req{.submissions = s.dir / "class",
                      .out = s.dir / "grades",
                      .rubric_file = fs::path(PFCHECK_SOURCE_DIR) / "grading" / "rubric.json",
                      .commit = "abc"};
    BOOST_TEST(run_grade(req, options{}, stub) == exit_code::passed);
    BOOST_TEST(runs == 3);
    std::string csv;
    {
        std::ifstream in(req.out / "grades.csv");
        csv.assign(std::istreambuf_iterator<char>(in), {});
    }
    BOOST_TEST(csv.find("alice,graded,100.0") != std::string::npos, csv);
    BOOST_TEST(csv.find("bob,does not apply,0.0") != std::string::npos, csv);
    // Paths are the student's: inside the tree relative to its source, the
    // tree's log copied beside the run; the same table from any engine, job
    // slot or directory.
    BOOST_TEST(csv.find("failed on 0001-a.patch: mm/memory.c does not match (log: "
                        "bob/run/git.log)") != std::string::npos,
               csv);
    BOOST_TEST(fs::exists(req.out / "bob" / "run" / "git.log"));
    BOOST_TEST(csv.find("carol,graded,65.0,first_touch no_exec_reset") != std::string::npos, csv);
    BOOST_TEST(csv.find("dave,malformed,0.0") != std::string::npos, csv);
    BOOST_TEST(csv.find("eve,malformed,0.0") != std::string::npos, csv);
    std::ifstream fb(req.out / "carol" / "feedback.md");
    std::string feedback(std::istreambuf_iterator<char>(fb), {});
    BOOST_TEST(feedback.find("counts first-touch writes") != std::string::npos);
    BOOST_TEST(feedback.find("scenario reexec: expected 8, got 16") != std::string::npos);
    BOOST_TEST(!fs::exists(s.dir / "escaped"));
    BOOST_TEST(fs::exists(req.out / "class.md"));
    // Resumed: nothing is graded again, the table is the same.
    BOOST_TEST(run_grade(req, options{}, stub) == exit_code::passed);
    BOOST_TEST(runs == 3);
    // A new pfcheck commit grades again.
    req.commit = "def";
    run_grade(req, options{}, stub);
    BOOST_TEST(runs == 6);
}

BOOST_AUTO_TEST_SUITE_END()
