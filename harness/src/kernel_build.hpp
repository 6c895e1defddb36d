// SPDX-License-Identifier: GPL-2.0-or-later
// Configuring and building a minimal guest kernel out of tree, with ccache.
#pragma once

#include "kernel_tree.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace harness {

struct kernel_image {
    std::filesystem::path bzimage;
    std::filesystem::path headers; // installed uapi headers (for the guest build)
    std::filesystem::path build_dir;
};

struct build_request {
    kernel_tree tree;
    std::string arch;                             // i386 or x86_64
    std::vector<std::filesystem::path> fragments; // applied in order on tinyconfig
    std::filesystem::path cache;
    std::filesystem::path log;
    std::string variant = "default"; // separates build directories (e.g. "debug")
};

std::optional<kernel_image> build_kernel(const build_request& r, std::string& why);

} // namespace harness
