// SPDX-License-Identifier: GPL-2.0-or-later
#include "guest_build.hpp"

#include "process.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

namespace fs = std::filesystem;

namespace harness {

namespace {

bool step(command c, const fs::path& log, const std::string& what, std::string& why) {
    c.log = log;
    c.append_log = true;
    if (c.timeout.count() == 0)
        c.timeout = std::chrono::seconds(1800);
    auto r = run(c);
    if (r.ok())
        return true;
    why = what + " failed";
    if (!r.error.empty())
        why += ": " + r.error;
    else
        for (const auto& l : r.tail)
            if (l.find("error") != std::string::npos) {
                why += ": " + l;
                break;
            }
    why += " (log: " + log.string() + ")";
    return false;
}

} // namespace

std::optional<fs::path> build_guest(const guest_request& r, std::string& why) {
    bool m32 = r.arch != "x86_64";
    fs::path perf_out = r.cache / ("libperf-" + r.arch) / "build";
    fs::path perf_prefix = r.cache / ("libperf-" + r.arch) / "install";
    fs::create_directories(perf_out);
    if (!fs::exists(perf_prefix / "lib" / "libperf.a") &&
        !fs::exists(perf_prefix / "lib64" / "libperf.a")) {
        say("guest", "libperf for " + r.arch + " from " + r.libperf_source.string());
        command c{"make",
                  {"-C", (r.libperf_source / "tools/lib/perf").string(),
                   "OUTPUT=" + perf_out.string() + "/", "prefix=" + perf_prefix.string(),
                   "install_lib", "install_headers", "install_pkgconfig"}};
        if (m32)
            c.args.insert(c.args.end(), {"CC=gcc -m32", "LD=ld -m elf_i386"});
        if (!step(c, r.log, "building libperf", why))
            return std::nullopt;
    }

    // In the project's own build/: a CMake build tree belongs to one source tree.
    fs::path build = r.project / "build" /
                     ("guest-" + r.arch + (r.build_name.empty() ? "" : "-" + r.build_name));
    say("guest", "pfcheck, static, for " + r.arch);
    std::string flags = m32 ? "-m32" : "";
    command cfg{"cmake",
                {"-S", r.project.string(), "-B", build.string(), "-DPFCHECK_GUEST=ON",
                 "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_CXX_FLAGS=" + flags,
                 "-DCMAKE_C_FLAGS=" + flags, "-DLIBPERF_PREFIX=" + perf_prefix.string(),
                 "-DLIBPERF_BUILD=" + perf_out.string(),
                 "-DKERNEL_HEADERS=" + (r.kernel_headers / "include").string()}};
    if (m32)
        cfg.args.push_back("-DCMAKE_LIBRARY_PATH=/usr/lib/i386-linux-gnu");
    if (!step(cfg, r.log, "configuring the guest build", why))
        return std::nullopt;
    unsigned n = std::thread::hardware_concurrency();
    command b{"cmake", {"--build", build.string(), "-j", std::to_string(n ? n : 2)}};
    if (!step(b, r.log, "building pfcheck for the guest", why))
        return std::nullopt;
    return build / "pfcheck";
}

namespace {

// What the dynamic loader needs for `elf`, read with readelf (running the
// guest's loader, as ldd does, fails where the host cannot execute the guest
// architecture's binaries): its interpreter, its NEEDED libraries, its class.
struct elf_needs {
    std::string interpreter;
    std::vector<std::string> needed;
    bool is32 = false;
};

std::optional<elf_needs> read_needs(const fs::path& elf) {
    auto r = capture("readelf", {"-h", "-l", "-d", "--wide", elf.string()});
    if (!r.ok)
        return std::nullopt;
    elf_needs n;
    std::istringstream in(r.out);
    auto inside = [](const std::string& line, const std::string& open) {
        auto a = line.find(open), b = line.find(']', a);
        return a == std::string::npos || b == std::string::npos
                   ? std::string()
                   : line.substr(a + open.size(), b - a - open.size());
    };
    for (std::string line; std::getline(in, line);) {
        if (line.find("Class:") != std::string::npos)
            n.is32 = line.find("ELF32") != std::string::npos;
        if (auto i = inside(line, "[Requesting program interpreter: "); !i.empty())
            n.interpreter = i;
        if (line.find("(NEEDED)") != std::string::npos)
            n.needed.push_back(inside(line, "Shared library: ["));
    }
    return n;
}

// Where Debian's loader looks for a library of that class.
std::optional<fs::path> find_library(const std::string& name, bool is32) {
    const char* triplet = is32 ? "i386-linux-gnu" : "x86_64-linux-gnu";
    for (const std::string dir : {"/lib/", "/usr/lib/"})
        if (fs::path p = dir + triplet + "/" + name; fs::exists(p))
            return p;
    return std::nullopt;
}

} // namespace

bool add_with_libraries(const fs::path& program, const std::string& guest_path,
                        std::vector<initramfs_file>& files, std::string& why) {
    files.push_back({guest_path, program});
    std::set<std::string> seen;
    std::vector<fs::path> todo{program};
    while (!todo.empty()) {
        fs::path elf = todo.back();
        todo.pop_back();
        auto n = read_needs(elf);
        if (!n) {
            why = "readelf " + elf.string() + " failed (is binutils installed?)";
            return false;
        }
        if (!n->interpreter.empty() && seen.insert(n->interpreter).second)
            files.push_back({n->interpreter.substr(1), n->interpreter});
        for (const auto& lib : n->needed) {
            auto path = find_library(lib, n->is32);
            if (!path) {
                why = elf.string() + " needs " + lib + ", which is not installed for the guest's " +
                      "architecture (" + (n->is32 ? "i386" : "amd64") + ")";
                return false;
            }
            if (seen.insert(path->string()).second) {
                files.push_back({path->string().substr(1), *path});
                todo.push_back(*path);
            }
        }
    }
    return true;
}

bool pack_initramfs(const std::vector<initramfs_file>& files, const fs::path& out,
                    std::string& why) {
    archive* a = archive_write_new();
    archive_write_set_format_cpio_newc(a);
    if (archive_write_open_filename(a, out.c_str()) != ARCHIVE_OK) {
        why = std::string("cannot write ") + out.string() + ": " + archive_error_string(a);
        archive_write_free(a);
        return false;
    }
    bool ok = true;
    std::set<std::string> dirs;
    auto add = [&](const std::string& name, unsigned type, int perm,
                   const std::vector<char>& data) {
        archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, name.c_str());
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, perm);
        archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
        ok = ok && archive_write_header(a, e) == ARCHIVE_OK &&
             (data.empty() || archive_write_data(a, data.data(), data.size()) ==
                                  static_cast<la_ssize_t>(data.size()));
        archive_entry_free(e);
    };
    for (const auto& f : files) {
        // The kernel's unpacker does not make parent directories: list them first.
        fs::path parent = fs::path(f.guest_path).parent_path(), so_far;
        for (const auto& part : parent) {
            so_far /= part;
            if (dirs.insert(so_far.string()).second)
                add(so_far.string(), AE_IFDIR, 0755, {});
        }
        std::ifstream in(f.host_path, std::ios::binary);
        std::vector<char> data((std::istreambuf_iterator<char>(in)), {});
        if (data.empty()) {
            why = "cannot read " + f.host_path.string();
            ok = false;
            break;
        }
        add(f.guest_path, AE_IFREG, 0755, data);
    }
    if (!ok && why.empty())
        why = std::string("cannot pack the initramfs: ") + archive_error_string(a);
    ok = archive_write_close(a) == ARCHIVE_OK && ok;
    archive_write_free(a);
    return ok;
}

} // namespace harness
