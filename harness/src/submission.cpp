// SPDX-License-Identifier: GPL-2.0-or-later
#include "submission.hpp"

#include "files.hpp"
#include "kernel_tree.hpp"
#include "process.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace harness {

namespace {

// Where the report goes in the archive: beside the patches.
constexpr const char* archive_dir = "patch";

std::string trimmed(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.pop_back();
    return s;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    return s;
}

// git's output in `repo`, trimmed; nullopt when git fails.
std::optional<std::string> git_out(const fs::path& repo, const std::vector<std::string>& args) {
    std::vector<std::string> all = {"-C", repo.string()};
    all.insert(all.end(), args.begin(), args.end());
    auto r = capture("git", all);
    if (!r.ok)
        return std::nullopt;
    return trimmed(r.out);
}

std::optional<refusal> refuse(const std::string& why, int code = exit_code::usage) {
    return refusal{code, why};
}

// The .patch files of `dir`, in order.
std::vector<fs::path> patches_in(const fs::path& dir) {
    std::vector<fs::path> all;
    if (fs::is_directory(dir))
        for (const auto& e : fs::directory_iterator(dir))
            if (e.path().extension() == ".patch" && e.is_regular_file())
                all.push_back(e.path());
    std::sort(all.begin(), all.end());
    return all;
}

// The base must be vanilla 4.15: its Makefile says 4.15.0 and its syscall
// tables know nothing of pf_*. `what` names it in the refusal.
std::optional<refusal> check_vanilla(const std::string& makefile, const std::string& tbl32,
                                     const std::string& tbl64, const std::string& what,
                                     const std::string& hint) {
    auto v = parse_kernel_version(makefile);
    if (!v)
        return refuse(what + " is not a kernel tree (no VERSION in its Makefile)" + hint);
    if (!v->is(4, 15, 0) || !v->extra.empty())
        return refuse(what + " is Linux " + v->text() +
                      ", not 4.15.0: the course applies your patches to vanilla 4.15" + hint);
    std::string wired = course_syscalls_in(tbl32, tbl64, v->major);
    if (!wired.empty())
        return refuse(what + " already wires up the course's syscalls (" + wired +
                      "): it is not vanilla 4.15" + hint);
    return std::nullopt;
}

std::optional<refusal> check_vanilla_tree(const fs::path& tree, const std::string& what,
                                          const std::string& hint) {
    if (!fs::is_regular_file(tree / "Makefile"))
        return refuse(what + " is not a kernel tree (no Makefile there)" + hint);
    fs::path tables = tree / "arch/x86/entry/syscalls";
    return check_vanilla(read_text(tree / "Makefile"), read_text(tables / "syscall_32.tbl"),
                         read_text(tables / "syscall_64.tbl"), what, hint);
}

std::optional<refusal> check_vanilla_commit(const fs::path& repo, const std::string& commit,
                                            const std::string& what, const std::string& hint) {
    auto file = [&](const std::string& path) {
        return git_out(repo, {"show", commit + ":" + path}).value_or("");
    };
    return check_vanilla(file("Makefile"), file("arch/x86/entry/syscalls/syscall_32.tbl"),
                         file("arch/x86/entry/syscalls/syscall_64.tbl"), what, hint);
}

// A pristine copy of `commit` of `repo`, once per commit, in the cache
// (git archive: the student's repository is only read).
std::optional<fs::path> extract_commit(const fs::path& repo, const std::string& commit,
                                       const fs::path& cache, refusal& no) {
    fs::path root = cache / "trees" / ("base-" + commit.substr(0, 12));
    fs::path src = root / "src";
    if (fs::exists(root / "complete"))
        return src;
    say("submission",
        "a pristine copy of the base " + commit.substr(0, 12) + " in " + root.string() + " (once)");
    fs::remove_all(root);
    fs::create_directories(src);
    command c{"bash",
              {"-c",
               "set -o pipefail; git -C \"$1\" archive --format=tar \"$2\" | tar -x -C \"$3\"",
               "extract", repo.string(), commit, src.string()}};
    c.log = root / "extract.log";
    c.timeout = std::chrono::seconds(1800);
    auto r = run(c);
    if (!r.ok()) {
        no = {exit_code::not_judged, "cannot copy the base " + commit.substr(0, 12) + " of " +
                                         repo.string() + ": " +
                                         (r.tail.empty() ? r.error : r.tail.back())};
        return std::nullopt;
    }
    std::ofstream(root / "complete") << commit << "\n";
    return src;
}

// Copies a directory's patches into `staging`, in order.
std::optional<refusal> stage_patches(const fs::path& from, const fs::path& staging) {
    auto patches = patches_in(from);
    if (patches.empty())
        return refuse("no .patch files in " + from.string());
    fs::remove_all(staging);
    fs::create_directories(staging);
    for (const auto& p : patches)
        fs::copy_file(p, staging / p.filename());
    return std::nullopt;
}

// SERIES=dir or SERIES=reference: the patches as given, on BASE (a vanilla
// tree, or a commit of KSRC) or on KSRC itself, which must then be vanilla.
std::optional<refusal> from_directory(const submission_request& req, const options& o,
                                      const fs::path& staging, prepared_submission& p) {
    fs::path dir = req.series == "reference" ? fs::absolute(o.project) / "patch" / "linux-4.15"
                                             : fs::absolute(req.series);
    if (!fs::is_directory(dir))
        return refuse("SERIES=" + req.series + " is not a directory of patches");
    if (auto no = stage_patches(dir, staging))
        return no;
    p.patches = staging;
    p.origin = std::to_string(patches_in(staging).size()) + " patches from " + dir.string() +
               (req.series == "reference" ? " (pfcheck's reference series, not your work)" : "");
    if (!req.base.empty() && fs::is_directory(req.base)) {
        p.base_tree = fs::canonical(req.base);
        return check_vanilla_tree(p.base_tree, "BASE=" + req.base, "");
    }
    if (req.ksrc.empty())
        return refuse("SERIES=" + req.series +
                      " needs the vanilla Linux 4.15 tree it applies to: KSRC=/path/to/linux-4.15 "
                      "(or BASE=)");
    if (!req.base.empty()) {
        auto sha = git_out(req.ksrc, {"rev-parse", "--verify", "-q", req.base + "^{commit}"});
        if (!sha)
            return refuse("BASE=" + req.base +
                          " is neither a directory nor a commit of KSRC=" + req.ksrc.string());
        if (auto no = check_vanilla_commit(req.ksrc, *sha, "BASE=" + req.base, ""))
            return no;
        refusal no;
        auto tree = extract_commit(req.ksrc, *sha, o.cache, no);
        if (!tree)
            return no;
        p.base_tree = *tree;
        return std::nullopt;
    }
    if (!fs::is_directory(req.ksrc))
        return refuse("KSRC=" + req.ksrc.string() + " is not a directory");
    p.base_tree = fs::canonical(req.ksrc);
    return check_vanilla_tree(p.base_tree, "KSRC=" + req.ksrc.string(),
                              "; with SERIES, KSRC is the vanilla tree the patches apply to "
                              "(or give BASE=/path/to/vanilla-4.15)");
}

// No SERIES: the commits of KSRC on top of its base, through git format-patch.
std::optional<refusal> from_commits(const submission_request& req, const options& o,
                                    const fs::path& staging, prepared_submission& p) {
    if (req.ksrc.empty())
        return refuse("it needs your kernel: make submission KSRC=/path/to/your/linux-4.15 "
                      "REPORT=report.pdf (or SERIES=dir of your patches)");
    if (!fs::is_directory(req.ksrc))
        return refuse("KSRC=" + req.ksrc.string() + " is not a directory");
    auto top = git_out(req.ksrc, {"rev-parse", "--show-toplevel"});
    if (!top)
        return refuse("KSRC=" + req.ksrc.string() +
                      " is not a git repository, so your patches cannot be told from the kernel: "
                      "commit your work on top of vanilla 4.15 in git, or give SERIES=dir "
                      "holding your patches (git format-patch)");
    fs::path repo = *top;
    // The range starts at the base commit: the root commit, or BASE's.
    std::string start, base_name;
    bool base_is_tree = !req.base.empty() && fs::is_directory(req.base);
    if (req.base.empty() || base_is_tree) {
        auto roots = git_out(repo, {"rev-list", "--max-parents=0", "HEAD"});
        if (!roots || roots->empty())
            return refuse("KSRC=" + req.ksrc.string() + " has no commits");
        if (roots->find('\n') != std::string::npos)
            return refuse("KSRC has several root commits: say which one is vanilla 4.15 with "
                          "BASE=<commit>");
        start = *roots;
        base_name = "the root commit " + start.substr(0, 12) + " of KSRC";
    } else {
        auto sha = git_out(repo, {"rev-parse", "--verify", "-q", req.base + "^{commit}"});
        if (!sha)
            return refuse("BASE=" + req.base +
                          " is neither a directory nor a commit of KSRC=" + req.ksrc.string());
        start = *sha;
        base_name = "BASE=" + req.base + " (" + start.substr(0, 12) + ")";
    }
    if (auto no = check_vanilla_commit(
            repo, start, base_name,
            req.base.empty() ? "; give BASE=<the commit of vanilla 4.15> (a tag such as v4.15, "
                               "or a hash)"
                             : ""))
        return no;
    auto count = git_out(repo, {"rev-list", "--count", start + "..HEAD"});
    if (!count || *count == "0")
        return refuse("no commits on top of " + base_name +
                      ": commit your work first (git commit), one commit per patch");
    if (auto merges = git_out(repo, {"rev-list", "--count", "--merges", start + "..HEAD"});
        merges && *merges != "0")
        p.warnings.push_back(*merges + " merge commits on top of the base: git format-patch "
                                       "leaves them out (their changes may not apply)");
    if (auto dirty = git_out(repo, {"status", "--porcelain", "--untracked-files=no"});
        dirty && !dirty->empty())
        p.warnings.push_back("KSRC has changes that are not committed: they are not in the "
                             "submission (git commit them, then run this again)");
    fs::remove_all(staging);
    fs::create_directories(staging);
    // Whatever the student's git configuration says, patches that git am -p1
    // applies, named *.patch.
    if (!git_out(repo,
                 {"-c", "diff.noprefix=false", "-c", "diff.mnemonicPrefix=false", "-c",
                  "diff.relative=false", "-c", "format.suffix=.patch", "format-patch", "-q",
                  "--no-cover-letter", "--no-signature", "-o", staging.string(), start + "..HEAD"}))
        return refuse("git format-patch " + start.substr(0, 12) + "..HEAD failed in " +
                          repo.string(),
                      exit_code::not_judged);
    p.patches = staging;
    p.origin = *count + " commits of " + repo.string() + " on top of " + base_name;
    if (base_is_tree) {
        p.base_tree = fs::canonical(req.base);
        return check_vanilla_tree(p.base_tree, "BASE=" + req.base, "");
    }
    refusal no;
    auto tree = extract_commit(repo, start, o.cache, no);
    if (!tree)
        return no;
    p.base_tree = *tree;
    return std::nullopt;
}

} // namespace

std::string check_report(const fs::path& report) {
    const std::string how = ": make submission ... REPORT=report.pdf (or .txt)";
    if (report.empty())
        return "no report: the course asks for one beside the patches" + how;
    std::string ext = lower(report.extension().string());
    if (ext != ".pdf" && ext != ".txt")
        return "REPORT=" + report.string() + " is neither .pdf nor .txt, the formats the course " +
               "accepts (export it to PDF first)";
    std::error_code ec;
    if (!fs::is_regular_file(report, ec))
        return "no report at " + report.string();
    if (fs::file_size(report, ec) == 0)
        return "REPORT=" + report.string() + " is empty";
    if (ext == ".pdf" && read_text(report).rfind("%PDF-", 0) != 0)
        return "REPORT=" + report.string() + " is not a PDF file (it does not start with %PDF-)";
    return {};
}

std::optional<prepared_submission> prepare_submission(const submission_request& req,
                                                      const options& o, refusal& no) {
    if (auto why = check_report(req.report); !why.empty()) {
        no = {exit_code::usage, why};
        return std::nullopt;
    }
    if (req.series == "none") {
        no = {exit_code::usage, "SERIES=none packages nothing: a submission is your patch series "
                                "(leave SERIES out to take KSRC's commits)"};
        return std::nullopt;
    }
    prepared_submission p;
    fs::path staging = fs::absolute(o.results) / "submission" / "series";
    auto refused =
        req.series.empty() ? from_commits(req, o, staging, p) : from_directory(req, o, staging, p);
    if (refused) {
        no = *refused;
        return std::nullopt;
    }
    return p;
}

std::optional<std::vector<std::string>>
package_submission(const fs::path& patches, const fs::path& report, const fs::path& stage,
                   const fs::path& archive, std::string& why) {
    auto all = patches_in(patches);
    if (all.empty()) {
        why = "no .patch files in " + patches.string();
        return std::nullopt;
    }
    fs::remove_all(stage);
    fs::create_directories(stage / archive_dir);
    for (const auto& p : all)
        fs::copy_file(p, stage / archive_dir / p.filename());
    if (fs::exists(stage / archive_dir / report.filename())) {
        why = "the report's name " + report.filename().string() + " is a patch's";
        return std::nullopt;
    }
    fs::copy_file(report, stage / archive_dir / report.filename());
    fs::path out = fs::absolute(archive);
    if (!out.parent_path().empty())
        fs::create_directories(out.parent_path());
    auto tar = run(command{"tar",
                           {"--sort=name", "--owner=0", "--group=0", "--numeric-owner", "-czf",
                            out.string(), "-C", stage.string(), archive_dir}});
    if (!tar.ok()) {
        why = "tar failed writing " + out.string() +
              (tar.tail.empty() ? std::string() : ": " + tar.tail.back());
        return std::nullopt;
    }
    auto listed = capture("tar", {"-tzf", out.string()});
    if (!listed.ok) {
        why = "cannot read back " + out.string();
        return std::nullopt;
    }
    std::vector<std::string> members;
    std::istringstream lines(listed.out);
    for (std::string l; std::getline(lines, l);)
        if (!l.empty())
            members.push_back(l);
    return members;
}

int run_submission(const submission_request& req, options o,
                   const std::function<run_result(options)>& runner) {
    refusal no;
    auto p = prepare_submission(req, o, no);
    if (!p) {
        std::fprintf(stderr, "pfcheck-harness: submission: refused, nothing written: %s\n",
                     no.why.c_str());
        return no.code;
    }
    say("submission", p->origin);
    for (const auto& w : p->warnings)
        say("warning", w);
    say("submission", "checking them as the course will: git am onto vanilla 4.15 (" +
                          p->base_tree.string() + "), build, boot (i386), every check; " +
                          "profile " + o.profile);
    if (req.prepare_only) {
        say("submission", "--prepare-only: patches in " + p->patches.string() +
                              "; nothing built, no archive written");
        return exit_code::passed;
    }
    o.ksrc = p->base_tree;
    o.series = p->patches;
    o.arch = "i386";
    o.mode = run_mode::check;
    o.scenarios.clear();
    o.out_name = "submission";
    auto r = runner(o);
    fs::path summary = fs::absolute(o.results) / "submission" / "summary.md";
    if (r.code != exit_code::passed && r.code != exit_code::failed) {
        std::fprintf(stderr,
                     "pfcheck-harness: submission: refused, %s not written: %s (the course "
                     "gives no marks to patches that do not apply, build or boot)\n",
                     req.archive.c_str(), r.reason.c_str());
        return exit_code::not_judged;
    }
    std::string why;
    auto members = package_submission(
        p->patches, req.report, fs::absolute(o.results) / "submission" / "stage", req.archive, why);
    if (!members)
        return fail("submission", why).code;
    say("submission", "wrote " + fs::absolute(req.archive).string() + ":");
    for (const auto& m : *members)
        say("submission", "  " + m);
    if (r.code == exit_code::failed) {
        int n = r.c.failed;
        say("submission",
            "but " + (n > 0 ? std::to_string(n) + " checks failed" : r.reason) +
                (r.c.advice.empty() ? ""
                                    : " (and " + std::to_string(r.c.advice.size()) +
                                          " of pfcheck's stricter rules, advice only)") +
                ": read " + summary.string() +
                " before you hand it in (the archive is written anyway: the "
                "course grades what you hand in)");
        return exit_code::failed;
    }
    say("submission", "every check passed" +
                          (r.c.advice.empty() ? std::string()
                                              : " (" + std::to_string(r.c.advice.size()) +
                                                    " advice: pfcheck's stricter rules)") +
                          "; " + summary.string());
    return exit_code::passed;
}

} // namespace harness
