// SPDX-License-Identifier: GPL-2.0-or-later
// Running the tools the harness drives (make, git, qemu, ...) with Boost.Process:
// output to a log file and, line by line, to a callback; a deadline after which
// the whole process group is killed.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace harness {

struct command {
    std::string program; // looked up in PATH unless it holds a '/'
    std::vector<std::string> args;
    std::filesystem::path dir;              // working directory; empty: current
    std::map<std::string, std::string> env; // added to the inherited environment
    std::filesystem::path log;              // where output goes; empty: nowhere
    bool append_log = false;
    std::chrono::seconds timeout{0};                 // 0: none
    std::function<void(const std::string&)> on_line; // each line of output
    // Stops the program (its whole group) at the first line this returns true for.
    std::function<bool(const std::string&)> stop_when;
    // Stops it when no line came for `silence_limit` while `watch_silence()`
    // (called from another thread) is true: a boot that hangs. 0: never.
    std::chrono::seconds silence_limit{0};
    std::function<bool()> watch_silence;
};

struct outcome {
    int exit_code = -1;
    bool timed_out = false;
    bool started = false;
    bool stopped = false;          // by stop_when
    bool silent = false;           // stopped after silence_limit without a line
    std::string error;             // why it did not start
    std::vector<std::string> tail; // the last lines of output
    bool ok() const { return started && !timed_out && exit_code == 0; }
};

outcome run(const command& c);

// Convenience: run and return its output; empty optional-like (ok=false) on failure.
struct captured {
    bool ok = false;
    std::string out;
};
captured capture(const std::string& program, const std::vector<std::string>& args,
                 const std::filesystem::path& dir = {});

// One line for the user: "[step] text".
void say(const std::string& step, const std::string& text);

} // namespace harness
