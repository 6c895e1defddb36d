// SPDX-License-Identifier: GPL-2.0-or-later
// The guest side: libperf from the 6.1 tree, pfcheck as a static binary for
// the guest's architecture, and the initramfs that holds it as /init.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace harness {

struct guest_request {
    std::string arch;                     // i386 or x86_64
    std::filesystem::path project;        // this repository
    std::filesystem::path libperf_source; // a 6.1 tree (tools/lib/perf)
    std::filesystem::path kernel_headers; // uapi headers of the kernel under test
    std::filesystem::path cache;
    std::filesystem::path log;
    std::string build_name; // build/guest-ARCH[-build_name]: one per kernel header set
};

// Builds pfcheck (and pfbench beside it); returns the path of the static pfcheck.
std::optional<std::filesystem::path> build_guest(const guest_request& r, std::string& why);

// One file of the initramfs: where it goes in the guest, where it comes from.
struct initramfs_file {
    std::string guest_path; // relative: "init", "bin/pfbench"
    std::filesystem::path host_path;
};

// Adds a dynamic program and every shared library it loads (as ldd lists
// them, at the same paths), so that it runs in a guest without a root file system.
bool add_with_libraries(const std::filesystem::path& program, const std::string& guest_path,
                        std::vector<initramfs_file>& files, std::string& why);

// Writes a newc cpio archive holding these files (and their directories).
bool pack_initramfs(const std::vector<initramfs_file>& files, const std::filesystem::path& out,
                    std::string& why);

} // namespace harness
