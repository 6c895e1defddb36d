#include "guest_build.hpp"

#include "process.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fstream>
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
    fs::path build = r.project / "build" / ("guest-" + r.arch);
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

bool pack_initramfs(const fs::path& init, const fs::path& out, std::string& why) {
    std::ifstream in(init, std::ios::binary);
    std::vector<char> data((std::istreambuf_iterator<char>(in)), {});
    if (data.empty()) {
        why = "cannot read " + init.string();
        return false;
    }
    archive* a = archive_write_new();
    archive_write_set_format_cpio_newc(a);
    if (archive_write_open_filename(a, out.c_str()) != ARCHIVE_OK) {
        why = std::string("cannot write ") + out.string() + ": " + archive_error_string(a);
        archive_write_free(a);
        return false;
    }
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, "init");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0755);
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    bool ok =
        archive_write_header(a, e) == ARCHIVE_OK &&
        archive_write_data(a, data.data(), data.size()) == static_cast<la_ssize_t>(data.size());
    if (!ok)
        why = std::string("cannot pack the initramfs: ") + archive_error_string(a);
    archive_entry_free(e);
    ok = archive_write_close(a) == ARCHIVE_OK && ok;
    archive_write_free(a);
    return ok;
}

} // namespace harness
