// SPDX-License-Identifier: GPL-2.0-or-later
#include "workloads/uffd.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

namespace workloads {

#if defined(UFFDIO_WRITEPROTECT) && defined(UFFD_FEATURE_WP_HUGETLBFS_SHMEM) &&                    \
    defined(__NR_userfaultfd)

namespace {

constexpr long page_size = 4096;

std::string errno_text(const char* what) {
    return std::string(what) + ": " + std::strerror(errno);
}

// An open userfaultfd with write-protect faults enabled, or -1 and the reason.
int open_uffd(bool shared, std::string& why) {
    int fd = static_cast<int>(syscall(__NR_userfaultfd, O_CLOEXEC));
    if (fd < 0) {
        why = errno_text("userfaultfd") + " (CONFIG_USERFAULTFD off?)";
        return -1;
    }
    uffdio_api api{};
    api.api = UFFD_API;
    api.features = UFFD_FEATURE_PAGEFAULT_FLAG_WP | (shared ? UFFD_FEATURE_WP_HUGETLBFS_SHMEM : 0);
    if (ioctl(fd, UFFDIO_API, &api) != 0) {
        why = errno_text("UFFDIO_API") + ": this kernel has no userfaultfd write-protect" +
              (shared ? " for shmem" : "");
        close(fd);
        return -1;
    }
    return fd;
}

bool protect(int fd, char* start, std::size_t len, bool on) {
    uffdio_writeprotect wp{};
    wp.range.start = reinterpret_cast<std::uintptr_t>(start);
    wp.range.len = len;
    wp.mode = on ? UFFDIO_WRITEPROTECT_MODE_WP : 0;
    return ioctl(fd, UFFDIO_WRITEPROTECT, &wp) == 0;
}

std::string register_wp(int fd, char* start, std::size_t len) {
    uffdio_register reg{};
    reg.range.start = reinterpret_cast<std::uintptr_t>(start);
    reg.range.len = len;
    reg.mode = UFFDIO_REGISTER_MODE_WP;
    if (ioctl(fd, UFFDIO_REGISTER, &reg) != 0)
        return errno_text("UFFDIO_REGISTER (write-protect mode)");
    return "";
}

} // namespace

std::string uffd_wp_unavailable(bool shared) {
    std::string why;
    int fd = open_uffd(shared, why);
    if (fd < 0)
        return why;
    // Register a scratch page of the kind the scenario uses.
    int memfd = -1;
    void* p;
    if (shared) {
        memfd = static_cast<int>(syscall(__NR_memfd_create, "pfcheck-uffd", 0));
        p = memfd >= 0 && ftruncate(memfd, page_size) == 0
                ? mmap(nullptr, page_size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0)
                : MAP_FAILED;
    } else {
        p = mmap(nullptr, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    }
    if (p == MAP_FAILED)
        why = errno_text("mmap of a scratch page");
    else
        why = register_wp(fd, static_cast<char*>(p), page_size);
    if (p != MAP_FAILED)
        munmap(p, page_size);
    if (memfd >= 0)
        close(memfd);
    close(fd);
    return why;
}

std::string uffd_wp_write(char* start, int pages, bool shared) {
    std::string why;
    int fd = open_uffd(shared, why);
    if (fd < 0)
        return why;
    const std::size_t len = static_cast<std::size_t>(pages) * page_size;
    if (std::string e = register_wp(fd, start, len); !e.empty()) {
        close(fd);
        return e;
    }
    if (!protect(fd, start, len, true)) {
        close(fd);
        return errno_text("UFFDIO_WRITEPROTECT");
    }
    // Each write blocks in the kernel until the handler lifts the protection
    // of its page; the kernel then retries the fault.
    std::string handler_error;
    std::thread handler([&] {
        for (int done = 0; done < pages;) {
            uffd_msg msg{};
            ssize_t n = read(fd, &msg, sizeof msg);
            if (n < 0 && errno == EINTR)
                continue;
            if (n != sizeof msg) {
                handler_error = errno_text("read from the userfaultfd");
                return;
            }
            if (msg.event != UFFD_EVENT_PAGEFAULT ||
                !(msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP))
                continue;
            char* page = reinterpret_cast<char*>(msg.arg.pagefault.address & ~(page_size - 1));
            if (!protect(fd, page, page_size, false)) {
                handler_error = errno_text("UFFDIO_WRITEPROTECT (resolve)");
                return;
            }
            ++done;
        }
    });
    for (int i = 0; i < pages; ++i) {
        volatile char* b = reinterpret_cast<volatile char*>(start + i * page_size);
        *b = static_cast<char>(*b + 1);
    }
    handler.join();
    uffdio_range range{reinterpret_cast<std::uintptr_t>(start), len};
    ioctl(fd, UFFDIO_UNREGISTER, &range);
    close(fd);
    return handler_error;
}

#else

std::string uffd_wp_unavailable(bool) {
    return "pfcheck was built against kernel headers without userfaultfd write-protect";
}

std::string uffd_wp_write(char*, int, bool) {
    return uffd_wp_unavailable(false);
}

#endif

} // namespace workloads
