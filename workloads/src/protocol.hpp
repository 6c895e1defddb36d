// SPDX-License-Identifier: GPL-2.0-or-later
// The scenario protocol, shared by the runner (executor.cpp) and the scenario
// processes (process.cpp): every process waits on its own command pipe; the
// runner sends one command, and the process answers on the shared answer pipe
// before the runner sends the next.
#pragma once

#include "oracle/scenario.hpp"

#include <climits>
#include <cstddef>
#include <cstdint>
#include <string>

namespace workloads::protocol {

// Commands that are not scenario actions.
enum class internal_op : std::int32_t {
    reap = 100, // waitpid(pid_arg): the actor is the parent of an exited process
};

struct command {
    std::int32_t what = 0;
    std::int32_t region = -1, first = 0, count = 0, child = -1, prot = 0, threads = 0;
    std::int32_t to_slot = -1;
    std::int32_t pid_arg = 0;
    char name[16] = {};
};
static_assert(sizeof(command) < PIPE_BUF, "a command must be written atomically");

struct answer_header {
    std::int32_t ok = 1;
    std::int32_t pid = 0;
    std::int32_t child_pid = 0;
    std::uint32_t payload = 0; // bytes of text that follow: an error, a maps file, ...
};

// The first answer of a new image: "BASE\n" then its /proc/self/maps as it
// was before it mapped its regions.
std::string startup_payload(std::uint64_t base, const std::string& maps);
bool parse_startup_payload(const std::string& text, std::uint64_t& base, std::string& maps);

bool write_all(int fd, const void* data, std::size_t n);
// Reads exactly n bytes; with a timeout (ms, -1 for none) on each wait.
bool read_all(int fd, void* data, std::size_t n, int timeout_ms);
std::string read_file(const std::string& path);
std::string errno_text(const char* what);

// Bytes from the start of one slot to the next.
std::uint64_t slot_stride_bytes(const oracle::scenario& s);

} // namespace workloads::protocol
