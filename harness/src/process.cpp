// SPDX-License-Identifier: GPL-2.0-or-later
#include "process.hpp"

#include <atomic>
#include <boost/process.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <fstream>
#include <mutex>
#include <thread>

namespace bp = boost::process;

namespace harness {

void say(const std::string& step, const std::string& text) {
    std::printf("[%s] %s\n", step.c_str(), text.c_str());
    std::fflush(stdout);
}

outcome run(const command& c) {
    outcome out;
    boost::filesystem::path exe = c.program.find('/') == std::string::npos
                                      ? bp::search_path(c.program)
                                      : boost::filesystem::path(c.program);
    if (exe.empty()) {
        out.error = c.program + " is not installed (not found in PATH)";
        return out;
    }
    std::ofstream log;
    if (!c.log.empty()) {
        std::filesystem::create_directories(c.log.parent_path());
        log.open(c.log, c.append_log ? std::ios::app : std::ios::trunc);
    }
    auto env = boost::this_process::environment();
    bp::environment child_env = env;
    for (const auto& [k, v] : c.env)
        child_env[k] = v;

    bp::ipstream pipe;
    bp::group group;
    bp::child child;
    try {
        child = bp::child(exe, bp::args(c.args), (bp::std_out & bp::std_err) > pipe,
                          bp::std_in < bp::null, child_env,
                          bp::start_dir(c.dir.empty() ? std::filesystem::current_path().string()
                                                      : c.dir.string()),
                          group);
    } catch (const std::exception& e) {
        out.error = "cannot start " + c.program + ": " + e.what();
        return out;
    }
    out.started = true;

    // The watchdog kills the group at the deadline, or after a silence it
    // watches; the reader sees EOF then.
    using clock = std::chrono::steady_clock;
    std::mutex m;
    std::condition_variable cv;
    bool finished = false;
    const auto deadline = clock::now() + c.timeout;
    std::atomic<clock::rep> last_line{clock::now().time_since_epoch().count()};
    auto silent_too_long = [&] {
        if (c.silence_limit.count() <= 0 || (c.watch_silence && !c.watch_silence()))
            return false;
        return clock::now() - clock::time_point(clock::duration(last_line.load())) >
               c.silence_limit;
    };
    std::thread watchdog;
    if (c.timeout.count() > 0 || c.silence_limit.count() > 0) {
        watchdog = std::thread([&] {
            std::unique_lock lock(m);
            while (!cv.wait_for(lock, std::chrono::seconds(1), [&] { return finished; })) {
                bool late = c.timeout.count() > 0 && clock::now() >= deadline;
                bool silent = !late && silent_too_long();
                if (late || silent) {
                    out.timed_out = late;
                    out.silent = silent;
                    std::error_code ec;
                    group.terminate(ec);
                    return;
                }
            }
        });
    }

    std::deque<std::string> tail;
    std::string line;
    while (std::getline(pipe, line)) {
        last_line = clock::now().time_since_epoch().count();
        if (log.is_open())
            log << line << '\n';
        if (c.on_line)
            c.on_line(line);
        if (!out.stopped && c.stop_when && c.stop_when(line)) {
            out.stopped = true;
            std::lock_guard lock(m); // the watchdog terminates under it too
            std::error_code stop_ec;
            group.terminate(stop_ec); // the reader sees EOF then
        }
        tail.push_back(line);
        if (tail.size() > 40)
            tail.pop_front();
    }
    std::error_code ec;
    child.wait(ec);
    out.exit_code = child.exit_code();
    {
        std::lock_guard lock(m);
        finished = true;
    }
    cv.notify_all();
    if (watchdog.joinable())
        watchdog.join();
    out.tail.assign(tail.begin(), tail.end());
    return out;
}

captured capture(const std::string& program, const std::vector<std::string>& args,
                 const std::filesystem::path& dir) {
    captured r;
    command c{program, args, dir};
    c.on_line = [&](const std::string& l) { r.out += l + "\n"; };
    r.ok = run(c).ok();
    return r;
}

} // namespace harness
