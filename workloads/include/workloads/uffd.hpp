// SPDX-License-Identifier: GPL-2.0-or-later
// Userfaultfd write-protect: the one way to make the kernel retry a write
// fault on a present page (handle_userfault() returns VM_FAULT_RETRY once the
// fault is resolved), so that a kernel counting retries twice shows it.
#pragma once

#include <string>

namespace workloads {

// Whether this kernel write-protects through userfaultfd: anonymous private
// memory, or (shared) shmem. "" when it does, else the reason it does not.
std::string uffd_wp_unavailable(bool shared);

// Write-protects the pages through userfaultfd, writes one byte in each, and
// resolves each write fault from a handler thread. "" or the reason it failed.
std::string uffd_wp_write(char* start, int pages, bool shared);

} // namespace workloads
