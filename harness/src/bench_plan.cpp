// SPDX-License-Identifier: GPL-2.0-or-later
#include "bench_plan.hpp"

#include "files.hpp"

namespace fs = std::filesystem;

namespace harness {

namespace {

bench_plan refuse(const std::string& why) {
    return {{}, why, {}};
}

std::string version_of(const tree_facts& t) {
    return t.version ? t.version->text() : "?";
}

// Debian's 6.1: its pristine worktree against the series (today's default).
bench_plan plan_debian(const bench_request& r) {
    if (r.base)
        return refuse("BASE is for KSRC: Debian's 6.1 is its own base (its pristine tree)");
    if (r.series == "none")
        return refuse("SERIES=none without KSRC would compare Debian's vanilla 6.1 with itself");
    auto ref = resolve_series("reference", {}, 6, r.project);
    auto test = resolve_series(r.series, {}, 6, r.project);
    bench_plan p;
    p.kernels.push_back({"vanilla", {}, {}, true, "Debian 6.1 (pristine)"});
    p.kernels.push_back({"patched", {}, test.dir, false, "Debian 6.1 + " + test.name});
    if (test.dir != ref.dir)
        p.kernels.push_back({"reference", {}, ref.dir, false, "Debian 6.1 + " + ref.name});
    else
        p.note = "the kernel under test is pfcheck's reference series";
    return p;
}

} // namespace

bench_plan plan_bench(const bench_request& r) {
    if (!r.ksrc)
        return plan_debian(r);
    const tree_facts& k = *r.ksrc;
    if (!k.version)
        return refuse(k.path.string() + " has no readable kernel Makefile (VERSION, PATCHLEVEL)");
    int major = k.version->major, minor = k.version->minor;
    if (!(major == 4 && minor == 15) && !(major == 6 && minor == 1))
        return refuse("KSRC is " + version_of(k) +
                      ": pfcheck has reference series for 4.15 and 6.1 only");
    auto test = resolve_series(r.series, k.path, major, r.project);
    auto ref = resolve_series("reference", {}, major, r.project);
    // The vanilla base: BASE, or KSRC itself when the series patches it.
    tree_facts base;
    if (r.base)
        base = *r.base;
    else if (!test.dir.empty() && k.wired.empty())
        base = k;
    else if (!test.dir.empty())
        return refuse("KSRC already wires up the course's syscalls (" + k.wired +
                      ") and cannot be its own vanilla base: give BASE=<vanilla " + version_of(k) +
                      " tree>");
    else if (k.wired.empty())
        return refuse("SERIES=none measures KSRC as it is, and it does not wire up the course's "
                      "syscalls: it is vanilla; give SERIES=reference or a series of yours");
    else
        return refuse("KSRC is measured as it is (it wires up the course's syscalls: " + k.wired +
                      "): give its vanilla base, BASE=<vanilla " + version_of(k) + " tree>");
    if (!base.version)
        return refuse(base.path.string() + " has no readable kernel Makefile");
    if (!base.wired.empty())
        return refuse("BASE is not vanilla: it wires up the course's syscalls (" + base.wired +
                      ")");
    if (base.version->text() != k.version->text())
        return refuse("KSRC is " + version_of(k) + " but BASE is " + version_of(base) +
                      ": a kernel is measured against its own base only");
    bench_plan p;
    std::string v = version_of(base);
    p.kernels.push_back(
        {"vanilla", base.path, {}, false, v + " vanilla (" + base.path.string() + ")"});
    p.kernels.push_back(
        {"patched", k.path, test.dir, false, v + " " + k.path.string() + " + " + test.name});
    if (k.path == base.path && test.dir == ref.dir)
        p.note = "the kernel under test is pfcheck's reference series";
    else
        p.kernels.push_back({"reference", base.path, ref.dir, false, v + " + " + ref.name});
    return p;
}

tree_facts facts_of(const fs::path& tree) {
    tree_facts f{.path = fs::absolute(tree).lexically_normal()};
    f.version = parse_kernel_version(read_text(tree / "Makefile"));
    if (f.version)
        f.wired = course_syscalls_in(tree, f.version->major);
    return f;
}

} // namespace harness
