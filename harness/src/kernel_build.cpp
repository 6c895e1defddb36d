// SPDX-License-Identifier: GPL-2.0-or-later
#include "kernel_build.hpp"

#include "files.hpp"
#include "process.hpp"

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;

namespace harness {

namespace {

std::string jobs() {
    unsigned n = std::thread::hardware_concurrency();
    return "-j" + std::to_string(n ? n + 1 : 2);
}

// Lines a build prints that say what went wrong.
bool is_error_line(const std::string& l) {
    return l.find("error:") != std::string::npos || l.find("Error ") != std::string::npos ||
           l.find("undefined reference") != std::string::npos;
}

// What every make of this build shares: the tree, the architecture, the
// build directory, and ccache when it is installed.
struct make_context {
    const build_request& r;
    std::string arch;
    fs::path build_dir;
    std::map<std::string, std::string> env;

    command make(const std::vector<std::string>& targets, int timeout_seconds) const {
        std::vector<std::string> a = {"-C", r.tree.src.string(), "ARCH=" + arch,
                                      "O=" + build_dir.string()};
        a.insert(a.end(), targets.begin(), targets.end());
        command c{"make", a};
        c.env = env;
        c.log = r.log;
        c.append_log = true;
        c.timeout = std::chrono::seconds(timeout_seconds);
        return c;
    }
};

// Says which requested options the tree does not have or could not take.
void say_missing_options(const std::string& fragments, const fs::path& config_file) {
    std::string config = read_text(config_file);
    std::istringstream in(fragments);
    for (std::string line; std::getline(in, line);)
        if (line.rfind("CONFIG_", 0) == 0 && config.find("\n" + line + "\n") == std::string::npos)
            say("config", "not in the final .config: " + line);
}

// tinyconfig and the fragments, merged; only when the fragments, the tree or
// the series changed (the series decides which Kconfig symbols exist:
// CONFIG_PF_STAT).
bool configure(const make_context& m, std::string& why) {
    const auto& r = m.r;
    std::string frag_text;
    for (const auto& f : r.fragments) {
        if (!fs::exists(f)) {
            why = "missing config fragment " + f.string();
            return false;
        }
        frag_text += read_text(f);
    }
    std::string stamp = sha1_hex(frag_text + r.tree.version + m.arch +
                                 read_text(r.tree.src.parent_path() / "series.stamp"));
    fs::path stamp_file = m.build_dir / "pfcheck-config.stamp";
    if (fs::exists(m.build_dir / ".config") && read_text(stamp_file) == stamp)
        return true;
    say("config", "tinyconfig + " + std::to_string(r.fragments.size()) + " fragments for " +
                      m.arch + " (" + r.tree.version + ")");
    if (!run(m.make({"tinyconfig"}, 300)).ok()) {
        why = "make tinyconfig failed (log: " + r.log.string() + ")";
        return false;
    }
    std::vector<std::string> merge = {"-m", "-O", m.build_dir.string(),
                                      (m.build_dir / ".config").string()};
    for (const auto& f : r.fragments)
        merge.push_back(fs::absolute(f).string());
    command mc{(r.tree.src / "scripts/kconfig/merge_config.sh").string(), merge, r.tree.src};
    mc.env = {{"ARCH", m.arch}};
    mc.log = r.log;
    mc.append_log = true;
    if (!run(mc).ok() || !run(m.make({"olddefconfig"}, 300)).ok()) {
        why = "merging the config fragments failed (log: " + r.log.string() + ")";
        return false;
    }
    say_missing_options(frag_text, m.build_dir / ".config");
    std::ofstream(stamp_file) << stamp;
    return true;
}

// make bzImage, with progress every 250 files and the first errors kept.
bool compile(const make_context& m, std::string& why) {
    say("build", "bzImage for " + m.arch + " in " + m.build_dir.string() +
                     " (minutes from clean, seconds when warm)");
    std::string cc = m.env.empty() ? "gcc" : "ccache gcc";
    auto c = m.make({jobs(), "CC=" + cc, "HOSTCC=" + cc, "bzImage"}, 3600);
    int compiled = 0;
    std::vector<std::string> errors;
    c.on_line = [&](const std::string& l) {
        if (l.rfind("  CC", 0) == 0 && ++compiled % 250 == 0)
            say("build", std::to_string(compiled) + " files compiled");
        if (is_error_line(l) && errors.size() < 5)
            errors.push_back(l);
    };
    auto res = run(c);
    if (!res.ok()) {
        why = res.timed_out ? "the kernel build timed out"
                            : "the kernel does not build: " +
                                  (errors.empty() ? std::string("make failed") : errors.front());
        why += " (log: " + m.r.log.string() + ")";
        return false;
    }
    say("build", std::to_string(compiled) + " files compiled; kernel ready");
    return true;
}

} // namespace

std::optional<kernel_image> build_kernel(const build_request& r, std::string& why) {
    kernel_image img;
    img.build_dir = r.cache / "builds" / (r.tree.id + "-" + r.arch + "-" + r.variant);
    fs::create_directories(img.build_dir);
    make_context m{r, r.arch == "x86_64" ? "x86_64" : "i386", img.build_dir, {}};
    if (!capture("ccache", {"--version"}).ok)
        say("build", "ccache is not installed: building without it");
    else
        m.env = {{"CCACHE_DIR", (r.cache / "ccache").string()}};
    if (!configure(m, why) || !compile(m, why))
        return std::nullopt;
    img.bzimage = img.build_dir / "arch/x86/boot/bzImage";
    img.headers = img.build_dir / "pfcheck-headers";
    auto hc = m.make({"headers_install", "INSTALL_HDR_PATH=" + img.headers.string()}, 600);
    if (!run(hc).ok()) {
        why = "make headers_install failed (log: " + r.log.string() + ")";
        return std::nullopt;
    }
    return img;
}

} // namespace harness
