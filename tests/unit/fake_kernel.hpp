// SPDX-License-Identifier: GPL-2.0-or-later
// Fake kernel trees for the harness's tests: a Makefile and the syscall
// tables, in temporary directories and git repositories.
#pragma once

#include "process.hpp"

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace fake {

namespace fs = std::filesystem;

inline const fs::path project =
    fs::path(PFCHECK_FIXTURES).parent_path().parent_path().parent_path();

inline const std::string vanilla_32 = "# 32-bit system call numbers\n"
                                      "383\ti386\tstatx\t\t\tsys_statx\n"
                                      "384\ti386\tarch_prctl\t\tsys_arch_prctl\n";
inline const std::string vanilla_64 = "332\tcommon\tstatx\t\t\tsys_statx\n";
inline const std::string wired_32 = vanilla_32 + "385\ti386\tpf_set_param\t\tsys_pf_set_param\n"
                                                 "386\ti386\tpf_get_info\t\tsys_pf_get_info\n"
                                                 "387\ti386\tpf_cleanup\t\tsys_pf_cleanup\n";

inline std::string makefile(const std::string& version, const std::string& extra = "") {
    std::istringstream parts(version);
    std::string ma, mi, su;
    std::getline(parts, ma, '.');
    std::getline(parts, mi, '.');
    std::getline(parts, su, '.');
    return "# SPDX-License-Identifier: GPL-2.0\nVERSION = " + ma + "\nPATCHLEVEL = " + mi +
           "\nSUBLEVEL = " + su + "\nEXTRAVERSION =" + (extra.empty() ? "" : " " + extra) +
           "\nNAME = Fearless Coyote\n";
}

inline void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

// A fake kernel tree: its Makefile and syscall tables.
inline void fake_tree(const fs::path& dir, const std::string& version, const std::string& tbl32,
                      const std::string& tbl64 = vanilla_64) {
    write(dir / "Makefile", makefile(version));
    write(dir / "arch/x86/entry/syscalls/syscall_32.tbl", tbl32);
    write(dir / "arch/x86/entry/syscalls/syscall_64.tbl", tbl64);
}

inline void git(const fs::path& repo, std::vector<std::string> args) {
    std::vector<std::string> all = {"-C", repo.string(),
                                    "-c", "user.name=Student",
                                    "-c", "user.email=student@example.org",
                                    "-c", "commit.gpgsign=false"};
    all.insert(all.end(), args.begin(), args.end());
    auto r = harness::capture("git", all);
    BOOST_REQUIRE_MESSAGE(r.ok, "git " + args.front() + ": " + r.out);
}

inline void commit_all(const fs::path& repo, const std::string& message) {
    git(repo, {"add", "-A", "."});
    git(repo, {"commit", "-q", "-m", message});
}

// A temporary directory, removed with everything in it.
struct temp_dir {
    fs::path dir;
    explicit temp_dir(const std::string& what)
        : dir(fs::temp_directory_path() / ("pfcheck-" + what + "-" + std::to_string(getpid()))) {
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    ~temp_dir() { fs::remove_all(dir); }
};

} // namespace fake
