// SPDX-License-Identifier: GPL-2.0-or-later
// A FUSE file system served by pfcheck itself, with one read-only file of
// one page whose reads wait until release(): a page of a file that an
// unprivileged user's own FUSE server (fusermount3) could stall as long as
// it likes. A get_user_pages() that faults on it holds the mmap lock of the
// address space until the page is served.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pfcheck {

class fuse_file {
  public:
    fuse_file(const fuse_file&) = delete;
    fuse_file& operator=(const fuse_file&) = delete;
    std::string error; // why it is unavailable; empty when mounted

    // Mounts the file system on `mount_point` (created, removed at the end).
    explicit fuse_file(std::string mount_point);
    ~fuse_file();

    std::string path() const { return mount_point_ + "/f"; }
    // Whether a read of the file's page arrived (and waits) within `seconds`.
    bool read_requested(int seconds);
    // Serves every read that waits, and every read from now on.
    void release();

  private:
    std::string mount_point_;
    int dev_ = -1;
    bool mounted_ = false;
    std::atomic<bool> stop_{false};
    std::thread server_;
    std::mutex lock_; // guards the fields below
    bool released_ = false;
    std::vector<std::pair<unsigned long long, unsigned>> held_; // (unique, size)
    unsigned reads_ = 0;
    std::condition_variable read_arrived_;

    void serve();
    void answer(const void* request);
    void reply(unsigned long long unique, int error, const void* body, std::size_t size);
    void reply_read(unsigned long long unique, unsigned size);
};

} // namespace pfcheck
