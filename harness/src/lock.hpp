// SPDX-License-Identifier: GPL-2.0-or-later
// Runs that share a kernel tree, a build directory or a guest build must not
// switch them under each other (a mutant compiled as the reference, a verdict
// on the wrong kernel). Each run holds an exclusive lock on what it uses, for
// as long as it uses it; a second run waits, and says whom it waits for.
#pragma once

#include <filesystem>
#include <string>

namespace harness {

class run_lock {
  public:
    // Blocks until the lock at `path` is ours; `what` names what it guards
    // ("the kernel tree debian-6.1"). The file records who holds it.
    run_lock(const std::filesystem::path& path, const std::string& what);
    ~run_lock();
    run_lock(const run_lock&) = delete;
    run_lock& operator=(const run_lock&) = delete;
    run_lock(run_lock&& other) noexcept;

    bool held() const { return fd_ >= 0; }
    const std::string& error() const { return error_; }

  private:
    int fd_ = -1;
    std::string error_;
};

// "pid 1234 (pfcheck-harness run --arch i386 ...), since 2026-11-30T09:50:00Z"
std::string holder_text(const std::filesystem::path& path);

} // namespace harness
