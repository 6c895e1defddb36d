// The guest side: libperf from the 6.1 tree, pfcheck as a static binary for
// the guest's architecture, and the initramfs that holds it as /init.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace harness {

struct guest_request {
    std::string arch;                     // i386 or x86_64
    std::filesystem::path project;        // this repository
    std::filesystem::path libperf_source; // a 6.1 tree (tools/lib/perf)
    std::filesystem::path kernel_headers; // uapi headers of the kernel under test
    std::filesystem::path cache;
    std::filesystem::path log;
};

// Builds pfcheck; returns the path of the static binary.
std::optional<std::filesystem::path> build_guest(const guest_request& r, std::string& why);

// Writes a newc cpio archive holding `init` as /init.
bool pack_initramfs(const std::filesystem::path& init, const std::filesystem::path& out,
                    std::string& why);

} // namespace harness
