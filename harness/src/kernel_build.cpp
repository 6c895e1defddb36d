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

} // namespace

std::optional<kernel_image> build_kernel(const build_request& r, std::string& why) {
    kernel_image img;
    img.build_dir = r.cache / "builds" / (r.tree.id + "-" + r.arch + "-" + r.variant);
    fs::create_directories(img.build_dir);
    std::string arch = r.arch == "x86_64" ? "x86_64" : "i386";
    const std::vector<std::string> base = {"-C", r.tree.src.string(), "ARCH=" + arch,
                                           "O=" + img.build_dir.string()};
    std::map<std::string, std::string> env;
    if (!capture("ccache", {"--version"}).ok)
        say("build", "ccache is not installed: building without it");
    else
        env = {{"CCACHE_DIR", (r.cache / "ccache").string()}};
    std::string cc = env.empty() ? "gcc" : "ccache gcc";

    // Configure only when the fragments or the tree changed.
    std::string frag_text;
    for (const auto& f : r.fragments) {
        if (!fs::exists(f)) {
            why = "missing config fragment " + f.string();
            return std::nullopt;
        }
        frag_text += read_text(f);
    }
    // The series decides which Kconfig symbols exist (CONFIG_PF_STAT): a new
    // series needs the fragments merged again.
    std::string stamp = sha1_hex(frag_text + r.tree.version + arch +
                                 read_text(r.tree.src.parent_path() / "series.stamp"));
    fs::path stamp_file = img.build_dir / "pfcheck-config.stamp";
    if (!fs::exists(img.build_dir / ".config") || read_text(stamp_file) != stamp) {
        say("config", "tinyconfig + " + std::to_string(r.fragments.size()) + " fragments for " +
                          arch + " (" + r.tree.version + ")");
        auto make = [&](std::vector<std::string> extra) {
            std::vector<std::string> a = base;
            a.insert(a.end(), extra.begin(), extra.end());
            command c{"make", a};
            c.env = env;
            c.log = r.log;
            c.append_log = true;
            c.timeout = std::chrono::seconds(300);
            return run(c);
        };
        if (!make({"tinyconfig"}).ok()) {
            why = "make tinyconfig failed (log: " + r.log.string() + ")";
            return std::nullopt;
        }
        std::vector<std::string> merge = {"-m", "-O", img.build_dir.string(),
                                          (img.build_dir / ".config").string()};
        for (const auto& f : r.fragments)
            merge.push_back(fs::absolute(f).string());
        command m{(r.tree.src / "scripts/kconfig/merge_config.sh").string(), merge, r.tree.src};
        m.env = {{"ARCH", arch}};
        m.log = r.log;
        m.append_log = true;
        if (!run(m).ok() || !make({"olddefconfig"}).ok()) {
            why = "merging the config fragments failed (log: " + r.log.string() + ")";
            return std::nullopt;
        }
        // Say which requested options the tree does not have or could not take.
        std::string config = read_text(img.build_dir / ".config");
        std::istringstream in(frag_text);
        std::vector<std::string> missing;
        for (std::string line; std::getline(in, line);)
            if (line.rfind("CONFIG_", 0) == 0 &&
                config.find("\n" + line + "\n") == std::string::npos)
                missing.push_back(line);
        for (const auto& m2 : missing)
            say("config", "not in the final .config: " + m2);
        std::ofstream(stamp_file) << stamp;
    }

    say("build", "bzImage for " + arch + " in " + img.build_dir.string() +
                     " (minutes from clean, seconds when warm)");
    std::vector<std::string> a = base;
    a.insert(a.end(), {jobs(), "CC=" + cc, "HOSTCC=" + cc, "bzImage"});
    command c{"make", a};
    c.env = env;
    c.log = r.log;
    c.append_log = true;
    c.timeout = std::chrono::seconds(3600);
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
        why += " (log: " + r.log.string() + ")";
        return std::nullopt;
    }
    say("build", std::to_string(compiled) + " files compiled; kernel ready");
    img.bzimage = img.build_dir / "arch/x86/boot/bzImage";

    img.headers = img.build_dir / "pfcheck-headers";
    std::vector<std::string> h = base;
    h.insert(h.end(), {"headers_install", "INSTALL_HDR_PATH=" + img.headers.string()});
    command hc{"make", h};
    hc.log = r.log;
    hc.append_log = true;
    hc.timeout = std::chrono::seconds(600);
    if (!run(hc).ok()) {
        why = "make headers_install failed (log: " + r.log.string() + ")";
        return std::nullopt;
    }
    return img;
}

} // namespace harness
