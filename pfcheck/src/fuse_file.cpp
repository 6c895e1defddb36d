// SPDX-License-Identifier: GPL-2.0-or-later
// The smallest FUSE server that serves one file: the requests of
// <linux/fuse.h> that opening, mapping and reading it take, in the kernel's
// own protocol on /dev/fuse (no libfuse in the static guest program).
#include "fuse_file.hpp"

#include "hostile_memory.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <linux/fuse.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

namespace pfcheck {

namespace {

constexpr std::uint64_t file_node = 2;         // the one file, "f", in the root
constexpr unsigned request_buffer = 64 * 1024; // more than max_write and a header
constexpr std::uint64_t valid_seconds = 3600;  // attributes and entries never expire
constexpr int poll_ms = 100;                   // how soon the server sees stop_
std::string failed(const char* what) {
    return std::string(what) + ": " + std::strerror(errno);
}

fuse_attr attributes(std::uint64_t node) {
    fuse_attr a{};
    a.ino = node;
    a.nlink = node == file_node ? 1 : 2;
    a.mode = node == file_node ? S_IFREG | 0444 : S_IFDIR | 0755;
    a.size = node == file_node ? page : 0;
    a.blocks = a.size / 512;
    a.blksize = page;
    return a;
}

} // namespace

fuse_file::fuse_file(std::string mount_point) : mount_point_(std::move(mount_point)) {
    if (access("/dev/fuse", F_OK) != 0)
        mknod("/dev/fuse", S_IFCHR | 0666, makedev(10, 229));
    dev_ = open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (dev_ < 0) {
        error = failed("/dev/fuse") + " (this kernel has no FUSE: CONFIG_FUSE_FS)";
        return;
    }
    if (mkdir(mount_point_.c_str(), 0755) != 0 && errno != EEXIST) {
        error = failed(("mkdir " + mount_point_).c_str());
        return;
    }
    std::string options =
        "fd=" + std::to_string(dev_) + ",rootmode=40000,user_id=0,group_id=0,allow_other";
    if (mount("pfcheck", mount_point_.c_str(), "fuse", MS_NOSUID | MS_NODEV, options.c_str()) !=
        0) {
        error = failed("mount fuse");
        return;
    }
    mounted_ = true;
    server_ = std::thread([this] { serve(); });
}

fuse_file::~fuse_file() {
    release();
    if (mounted_)
        umount2(mount_point_.c_str(), MNT_DETACH);
    stop_ = true;
    if (server_.joinable())
        server_.join();
    if (dev_ >= 0)
        close(dev_); // aborts the connection: whatever still waits fails
    rmdir(mount_point_.c_str());
}

bool fuse_file::read_requested(int seconds) {
    std::unique_lock<std::mutex> hold(lock_);
    return read_arrived_.wait_for(hold, std::chrono::seconds(seconds),
                                  [this] { return reads_ > 0; });
}

void fuse_file::release() {
    std::vector<std::pair<unsigned long long, unsigned>> held;
    {
        std::lock_guard<std::mutex> hold(lock_);
        released_ = true;
        held.swap(held_);
    }
    for (auto [unique, size] : held)
        reply_read(unique, size);
}

void fuse_file::serve() {
    std::vector<char> buf(request_buffer);
    while (!stop_) {
        pollfd pfd{.fd = dev_, .events = POLLIN, .revents = 0};
        if (poll(&pfd, 1, poll_ms) <= 0)
            continue;
        ssize_t n = read(dev_, buf.data(), buf.size());
        if (n < 0 && (errno == EINTR || errno == ENOENT || errno == EAGAIN))
            continue; // ENOENT: a request interrupted before it was read
        if (n < static_cast<ssize_t>(sizeof(fuse_in_header)))
            return; // ENODEV: unmounted
        answer(buf.data());
    }
}

void fuse_file::answer(const void* request) {
    const auto* in = static_cast<const fuse_in_header*>(request);
    const void* arg = in + 1;
    switch (in->opcode) {
    case FUSE_INIT: {
        const auto* init = static_cast<const fuse_init_in*>(arg);
        fuse_init_out out{};
        out.major = FUSE_KERNEL_VERSION;
        out.minor = FUSE_KERNEL_MINOR_VERSION;
        out.max_readahead = init->max_readahead;
        out.max_write = page;
        return reply(in->unique, 0, &out, sizeof out);
    }
    case FUSE_LOOKUP: {
        if (in->nodeid != FUSE_ROOT_ID || std::strcmp(static_cast<const char*>(arg), "f") != 0)
            return reply(in->unique, -ENOENT, nullptr, 0);
        fuse_entry_out out{};
        out.nodeid = file_node;
        out.generation = 1;
        out.entry_valid = out.attr_valid = valid_seconds;
        out.attr = attributes(file_node);
        return reply(in->unique, 0, &out, sizeof out);
    }
    case FUSE_GETATTR: {
        fuse_attr_out out{};
        out.attr_valid = valid_seconds;
        out.attr = attributes(in->nodeid);
        return reply(in->unique, 0, &out, sizeof out);
    }
    case FUSE_OPEN: {
        fuse_open_out out{};
        out.fh = 1;
        return reply(in->unique, 0, &out, sizeof out);
    }
    case FUSE_READ: {
        const auto* read = static_cast<const fuse_read_in*>(arg);
        unsigned size = read->offset >= static_cast<std::uint64_t>(page)
                            ? 0
                            : std::min<unsigned>(read->size, page - read->offset);
        {
            std::lock_guard<std::mutex> hold(lock_);
            ++reads_;
            read_arrived_.notify_all();
            if (!released_) {
                held_.emplace_back(in->unique, size);
                return;
            }
        }
        return reply_read(in->unique, size);
    }
    case FUSE_FLUSH:
    case FUSE_RELEASE:
        return reply(in->unique, 0, nullptr, 0);
    case FUSE_FORGET:
    case FUSE_BATCH_FORGET:
    case FUSE_INTERRUPT:
        return; // no answer is expected
    default:
        return reply(in->unique, -ENOSYS, nullptr, 0);
    }
}

void fuse_file::reply(unsigned long long unique, int error, const void* body, std::size_t size) {
    fuse_out_header out{};
    out.len = static_cast<std::uint32_t>(sizeof out + size);
    out.error = error;
    out.unique = unique;
    iovec iov[2] = {{&out, sizeof out}, {const_cast<void*>(body), size}};
    // A request interrupted meanwhile is ENOENT: nothing waits for it.
    (void)!writev(dev_, iov, body ? 2 : 1);
}

void fuse_file::reply_read(unsigned long long unique, unsigned size) {
    std::vector<char> zeros(size, 0);
    reply(unique, 0, zeros.data(), zeros.size());
}

} // namespace pfcheck
