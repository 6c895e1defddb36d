// SPDX-License-Identifier: GPL-2.0-or-later
#include "kernel_tree.hpp"

#include "files.hpp"
#include "lock.hpp"
#include "process.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <sstream>
#include <sys/stat.h>
#include <utime.h>

namespace fs = std::filesystem;

namespace harness {

namespace {

const std::vector<std::string> git_identity = {"-c", "user.name=pfcheck", "-c",
                                               "user.email=pfcheck@localhost"};
constexpr const char* base_tag = "pfcheck-base";

std::vector<std::string> git_args(std::vector<std::string> rest) {
    std::vector<std::string> a = git_identity;
    a.insert(a.end(), rest.begin(), rest.end());
    return a;
}

bool git(const fs::path& dir, const std::vector<std::string>& args, std::string& why,
         const fs::path& log = {}) {
    command c{"git", git_args(args), dir};
    c.log = log;
    c.append_log = true;
    auto r = run(c);
    if (!r.ok()) {
        why = "git " + args.front() + " failed in " + dir.string();
        if (!r.tail.empty())
            why += ": " + r.tail.back();
        return false;
    }
    return true;
}

bool read_version(kernel_tree& t, std::string& why) {
    auto v = parse_kernel_version(read_text(t.src / "Makefile"));
    if (!v) {
        why = t.src.string() + " does not look like a kernel tree (no VERSION in its Makefile)";
        return false;
    }
    t.major = v->major;
    t.minor = v->minor;
    t.version =
        std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->sub);
    return true;
}

// The first entry of a syscall table that `wired` accepts, as "NR NAME".
std::string first_entry(const std::string& table,
                        const std::function<bool(long, const std::string&)>& wired) {
    std::istringstream lines(table);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream fields(line);
        std::string nr, abi, name;
        if (!(fields >> nr >> abi >> name) || nr.empty() || nr[0] == '#')
            continue;
        long n = -1;
        try {
            n = std::stol(nr);
        } catch (const std::exception&) {
            continue;
        }
        if (wired(n, name))
            return nr + " " + name;
    }
    return {};
}

// Make `dir` a git repository whose tag pfcheck-base is its current content.
bool snapshot(const fs::path& dir, std::string& why) {
    auto log = dir.parent_path() / "git.log";
    if (!fs::exists(dir / ".git") && !git(dir, {"init", "-q"}, why, log))
        return false;
    // Debian's tree ignores everything at its top level: add regardless.
    if (!git(dir, {"add", "-f", "-A", "."}, why, log))
        return false;
    auto status = capture("git", {"status", "--porcelain"}, dir);
    if (!status.out.empty() || !capture("git", {"rev-parse", "HEAD"}, dir).ok) {
        if (!git(dir, {"commit", "-q", "--allow-empty", "-m", "pristine kernel source"}, why, log))
            return false;
    }
    return git(dir, {"tag", "-f", base_tag}, why, log);
}

// The series' .patch files in order, then the extra ones.
std::optional<std::vector<fs::path>>
list_patches(const fs::path& series, const std::vector<fs::path>& extra, std::string& why) {
    std::vector<fs::path> patches;
    if (!series.empty()) {
        if (!fs::is_directory(series)) {
            why = "no patch series at " + series.string();
            return std::nullopt;
        }
        for (const auto& e : fs::directory_iterator(series))
            if (e.path().extension() == ".patch")
                patches.push_back(e.path());
        std::sort(patches.begin(), patches.end());
        if (patches.empty()) {
            why = series.string() + " holds no .patch files";
            return std::nullopt;
        }
    }
    for (const auto& p : extra) {
        if (!fs::is_regular_file(p)) {
            why = "no patch at " + p.string();
            return std::nullopt;
        }
        patches.push_back(p);
    }
    return patches;
}

// The base commit and the patches' names and contents: equal when the tree
// would end up the same.
std::string series_fingerprint(const kernel_tree& t, const std::vector<fs::path>& patches) {
    std::string all = capture("git", {"rev-parse", base_tag}, t.src).out;
    for (const auto& p : patches)
        all += p.filename().string() + read_text(p);
    return sha1_hex(all);
}

// A file the applied series touched: its content, and its times.
struct kept_file {
    std::string hash;
    struct stat st;
};

// The files the applied series touched, to keep their times if the new
// series leaves them as they are.
std::map<std::string, kept_file> applied_files(const kernel_tree& t) {
    std::map<std::string, kept_file> before;
    auto changed = capture("git", {"diff", "--name-only", base_tag, "HEAD"}, t.src);
    std::istringstream names(changed.out);
    for (std::string name; std::getline(names, name);) {
        fs::path p = t.src / name;
        struct stat st {};
        if (::stat(p.c_str(), &st) == 0)
            before[name] = {capture("git", {"hash-object", p.string()}).out, st};
    }
    return before;
}

void keep_times(const kernel_tree& t, const std::map<std::string, kept_file>& before) {
    for (const auto& [name, k] : before) {
        fs::path p = t.src / name;
        if (fs::exists(p) && capture("git", {"hash-object", p.string()}).out == k.hash) {
            utimbuf times{k.st.st_atime, k.st.st_mtime};
            ::utime(p.c_str(), &times);
        }
    }
}

// git am of every patch; on failure the tree goes back to its base, and
// `why` names the patch that failed.
bool git_am(const kernel_tree& t, const std::vector<fs::path>& patches, const fs::path& log,
            std::string& why) {
    std::vector<std::string> am = {"am", "-q"};
    for (const auto& p : patches)
        am.push_back(p.string());
    command c{"git", git_args(am), t.src};
    c.log = log;
    c.append_log = true;
    auto r = run(c);
    if (r.ok())
        return true;
    std::string failed;
    for (const auto& line : r.tail)
        if (line.rfind("Patch failed at", 0) == 0 || line.rfind("error:", 0) == 0)
            failed += (failed.empty() ? "" : "; ") + line;
    capture("git", {"am", "--abort"}, t.src);
    git(t.src, {"reset", "-q", "--hard", base_tag}, why, log);
    why = "the patch series does not apply to " + t.version + ": " +
          (failed.empty() ? "git am failed" : failed) + " (log: " + log.string() + ")";
    return false;
}

} // namespace

std::string slot_suffix(int slot) {
    return slot > 0 ? "-slot" + std::to_string(slot) : "";
}

std::string user_tree_id(const fs::path& ksrc, int slot) {
    std::error_code ec;
    fs::path abs = fs::canonical(ksrc, ec);
    return "user-" + sha1_hex((ec ? fs::absolute(ksrc) : abs).string()).substr(0, 8) +
           slot_suffix(slot);
}

std::optional<kernel_tree> debian_tree(const fs::path& cache, std::string& why) {
    const fs::path tarball = "/usr/src/linux-source-6.1.tar.xz";
    kernel_tree t;
    t.id = "debian-6.1";
    fs::path root = cache / "trees" / t.id;
    t.src = root / "src";
    // Every run reads this tree (libperf's source): the first unpacks it, alone.
    run_lock unpacking(cache / "locks" / "unpack-debian-6.1.lock", "unpacking Debian's 6.1 tree");
    if (!fs::exists(t.src / ".git" / "refs" / "tags" / base_tag)) {
        if (!fs::exists(tarball)) {
            why = tarball.string() + " is missing: install the linux-source-6.1 package";
            return std::nullopt;
        }
        say("source", "unpacking " + tarball.string() + " (about 20 s, once)");
        fs::remove_all(root);
        fs::create_directories(root);
        command c{"tar", {"-xf", tarball.string(), "-C", root.string()}};
        c.timeout = std::chrono::seconds(600);
        auto r = run(c);
        if (!r.ok()) {
            why =
                "cannot unpack " + tarball.string() + (r.tail.empty() ? "" : ": " + r.tail.back());
            return std::nullopt;
        }
        fs::rename(root / "linux-source-6.1", t.src);
        say("source", "recording the pristine tree in git (about 30 s, once)");
        if (!snapshot(t.src, why))
            return std::nullopt;
    }
    if (!read_version(t, why))
        return std::nullopt;
    return t;
}

namespace {

// A git worktree of Debian's tree at the base tag, DEBIAN + suffix, made once.
std::optional<kernel_tree> worktree_of(const kernel_tree& debian, const fs::path& cache,
                                       const std::string& suffix, const std::string& what,
                                       std::string& why) {
    kernel_tree t = debian;
    t.id = debian.id + suffix;
    fs::path root = cache / "trees" / t.id;
    t.src = root / "src";
    if (!fs::exists(t.src / "Makefile")) {
        say("source", "a worktree of " + debian.id + " for " + what + " (once)");
        fs::remove_all(root);
        fs::create_directories(root);
        capture("git", {"worktree", "prune"}, debian.src);
        if (!git(debian.src, {"worktree", "add", "-q", "--detach", t.src.string(), base_tag}, why,
                 root / "git.log"))
            return std::nullopt;
    }
    return t;
}

} // namespace

std::optional<kernel_tree> pristine_tree(const kernel_tree& debian, const fs::path& cache,
                                         std::string& why) {
    return worktree_of(debian, cache, "-vanilla", "the vanilla kernel", why);
}

std::optional<kernel_tree> slot_tree(const kernel_tree& debian, const fs::path& cache, int slot,
                                     std::string& why) {
    if (slot <= 0)
        return debian;
    return worktree_of(debian, cache, slot_suffix(slot), "job slot " + std::to_string(slot), why);
}

std::optional<kernel_tree> user_tree(const fs::path& ksrc, const fs::path& cache, std::string& why,
                                     int slot) {
    std::error_code ec;
    fs::path abs = fs::canonical(ksrc, ec);
    if (ec || !fs::exists(abs / "Makefile")) {
        why = "KSRC=" + ksrc.string() + " is not a kernel tree (no Makefile there)";
        return std::nullopt;
    }
    kernel_tree t;
    t.id = user_tree_id(abs, slot);
    fs::path root = cache / "trees" / t.id;
    t.src = root / "src";
    fs::create_directories(t.src);
    // Without -t: a file rewritten because its content changed gets a new
    // modification time, and make sees it; identical files are left alone.
    say("source", "syncing " + abs.string() + " into the cache");
    // The tree's own .gitignore files name its build products: leave them out,
    // so that an in-tree build there does not break the out-of-tree one here.
    command c{"rsync",
              {"-rlc", "--delete", "--exclude=.git", "--filter=:- .gitignore", abs.string() + "/",
               t.src.string() + "/"}};
    c.timeout = std::chrono::seconds(1200);
    auto r = run(c);
    if (!r.ok()) {
        why = r.error.empty() ? "rsync from " + abs.string() + " failed" : r.error;
        return std::nullopt;
    }
    // The synced content is the new base; the series goes on top of it.
    if (fs::exists(t.src / ".git") && !git(t.src, {"checkout", "-q", "-B", "pfcheck"}, why))
        return std::nullopt;
    if (!snapshot(t.src, why) || !read_version(t, why))
        return std::nullopt;
    fs::remove(root / "series.stamp");
    return t;
}

bool apply_series(const kernel_tree& t, const fs::path& series, std::string& why,
                  const std::vector<fs::path>& extra) {
    auto patches = list_patches(series, extra, why);
    if (!patches)
        return false;
    std::string fingerprint = series_fingerprint(t, *patches);
    fs::path stamp = t.src.parent_path() / "series.stamp";
    if (read_text(stamp) == fingerprint &&
        capture("git", {"status", "--porcelain"}, t.src).out.empty()) {
        say("patch", "series already applied: nothing to do");
        return true;
    }
    auto before = applied_files(t);
    auto log = t.src.parent_path() / "git.log";
    capture("git", {"am", "--abort"}, t.src);
    if (!git(t.src, {"reset", "-q", "--hard", base_tag}, why, log) ||
        !git(t.src, {"clean", "-q", "-fdx"}, why, log))
        return false;
    if (!patches->empty()) {
        say("patch", "applying " + std::to_string(patches->size()) + " patches (" +
                         (series.empty() ? std::string("no series") : series.filename().string()) +
                         (extra.empty() ? "" : " + " + std::to_string(extra.size()) + " extra") +
                         ")");
        if (!git_am(t, *patches, log, why)) {
            fs::remove(stamp);
            return false;
        }
    }
    keep_times(t, before);
    std::ofstream(stamp) << fingerprint;
    return true;
}

std::string kernel_version::text() const {
    return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(sub) + extra;
}

std::optional<kernel_version> parse_kernel_version(const std::string& mk) {
    kernel_version v;
    auto field = [&](const char* name) -> std::optional<std::string> {
        std::smatch m;
        std::regex re(std::string("(^|\\n)") + name + "[ \\t]*=[ \\t]*([^\\n]*)");
        if (!std::regex_search(mk, m, re))
            return std::nullopt;
        std::string value = m[2];
        while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
            value.pop_back();
        return value;
    };
    auto number = [&](const char* name, int& out) {
        auto f = field(name);
        if (!f || f->empty() || !std::isdigit(static_cast<unsigned char>((*f)[0])))
            return false;
        out = std::stoi(*f);
        return true;
    };
    if (!number("VERSION", v.major) || !number("PATCHLEVEL", v.minor))
        return std::nullopt;
    number("SUBLEVEL", v.sub);
    v.extra = field("EXTRAVERSION").value_or("");
    return v;
}

std::string course_syscalls_in(const std::string& tbl32, const std::string& tbl64, int major) {
    auto pf = [](const std::string& name) { return name.rfind("pf_", 0) == 0; };
    std::string e = first_entry(tbl32, [&](long nr, const std::string& name) {
        return pf(name) || (major == 4 && nr >= 385 && nr <= 387);
    });
    if (!e.empty())
        return "syscall_32.tbl: " + e;
    e = first_entry(tbl64, [&](long, const std::string& name) { return pf(name); });
    return e.empty() ? "" : "syscall_64.tbl: " + e;
}

std::string course_syscalls_in(const fs::path& src, int major) {
    fs::path dir = src / "arch/x86/entry/syscalls";
    return course_syscalls_in(read_text(dir / "syscall_32.tbl"), read_text(dir / "syscall_64.tbl"),
                              major);
}

namespace {
// A directory's absolute path in one spelling: "./patch/x/" and "patch/x" are one.
fs::path normal_dir(const fs::path& p) {
    fs::path n = fs::absolute(p).lexically_normal();
    return n.has_filename() ? n : n.parent_path();
}
} // namespace

series_choice resolve_series(const std::string& given, const fs::path& inspect, int major,
                             const fs::path& project) {
    std::string version = major < 5 ? "linux-4.15" : "linux-6.1";
    fs::path reference = normal_dir(project) / "patch" / version;
    series_choice c;
    if (given == "none")
        return {{}, "none (the tree as given)", {}};
    if (given == "reference")
        return {reference, "patch/" + version, {}};
    if (!given.empty()) {
        c.dir = normal_dir(given);
        c.name = c.dir.lexically_relative(normal_dir(project)).string();
        return c;
    }
    std::string wired = inspect.empty() ? "" : course_syscalls_in(inspect, major);
    if (!wired.empty())
        return {{},
                "none (the tree as given)",
                "KSRC already wires up the course's syscalls (" + wired +
                    "): judged as it is, no patch applied (SERIES=reference tests pfcheck's "
                    "series instead)"};
    c = {reference, "patch/" + version, {}};
    if (!inspect.empty())
        c.note = "KSRC does not wire up the course's syscalls: applying pfcheck's reference "
                 "series patch/" +
                 version + " (SERIES=dir applies your own patches)";
    return c;
}

} // namespace harness
