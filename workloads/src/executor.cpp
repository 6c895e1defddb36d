// SPDX-License-Identifier: GPL-2.0-or-later
// The runner side of the scenario protocol. Each step is performed by
// `runner::perform<action>`: by default, send the command to the actor and
// take its answer; the actions with more to do on the runner's side (fork,
// exit, exec, a write meant to die, the runner's own track and cleanup)
// specialise it below.
#include "workloads/executor.hpp"

#include "protocol.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <set>
#include <sstream>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

namespace workloads {

using namespace protocol;
using oracle::action;

namespace {

struct process_record {
    process_view view;
    int parent = -1; // -1: the runner
};

struct answered {
    answer_header h;
    std::string text;
};

class runner {
  public:
    runner(const oracle::scenario& s, std::string program, std::string workdir, hooks& h,
           int timeout_ms)
        : s_(s), program_(std::move(program)), workdir_(std::move(workdir)), h_(h),
          timeout_ms_(timeout_ms) {}

    execution run() {
        execution out;
        if (setup(out) && start_root(out)) {
            for (std::size_t i = 0; i < s_.steps.size() && out.errors.empty(); ++i) {
                if (!wait_until_quiet(out, "before step " + std::to_string(i)))
                    break;
                perform_step(static_cast<int>(i), s_.steps[i], out);
                h_.after_step();
            }
            if (out.errors.empty() && wait_until_quiet(out, "before the query"))
                query(out);
        }
        teardown();
        return out;
    }

    // Runner side of each action (the table in actions.inc).
    template <action A> void perform(const oracle::step& st, const std::string& what, execution& out);

  private:
    const oracle::scenario& s_;
    std::string program_, workdir_;
    hooks& h_;
    int timeout_ms_;
    std::vector<int> cmd_read_, cmd_write_;
    int answer_read_ = -1, answer_write_ = -1;
    std::map<int, process_record> procs_;
    std::map<std::string, name_view> names_;
    std::vector<std::pair<pid_t, std::uint64_t>> segv_writes_;
    std::uint64_t base_ = 0;
    pid_t group_ = 0;
    std::vector<std::string> links_;

    int max_id() const {
        int most = 0;
        for (const auto& st : s_.steps)
            most = std::max({most, st.actor, st.child});
        return most;
    }

    std::string link_of(const std::string& name) const { return workdir_ + "/" + name; }

    // Every name a process of the scenario is executed under.
    std::set<std::string> exec_names() const {
        std::set<std::string> names = {s_.name};
        for (const auto& st : s_.steps)
            if (st.what == action::exec && !st.name.empty())
                names.insert(st.name);
        return names;
    }

    bool make_pipe(int& r, int& w, execution& out) {
        int fds[2];
        if (pipe(fds) != 0) {
            out.errors.push_back(errno_text("pipe"));
            return false;
        }
        r = fds[0];
        w = fds[1];
        return true;
    }

    bool setup(execution& out) {
        for (const auto& name : exec_names()) {
            links_.push_back(link_of(name));
            unlink(links_.back().c_str());
            if (symlink(program_.c_str(), links_.back().c_str()) != 0) {
                out.errors.push_back(errno_text(("cannot create " + links_.back()).c_str()));
                return false;
            }
        }
        cmd_read_.resize(max_id() + 1, -1);
        cmd_write_.resize(max_id() + 1, -1);
        for (std::size_t i = 0; i < cmd_read_.size(); ++i)
            if (!make_pipe(cmd_read_[i], cmd_write_[i], out))
                return false;
        // Orphans come back to the runner, which reaps them.
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        return make_pipe(answer_read_, answer_write_, out);
    }

    std::vector<std::string> process_args(int id) const {
        std::string fds;
        for (int fd : cmd_read_)
            fds += (fds.empty() ? "" : ",") + std::to_string(fd);
        char base[32];
        std::snprintf(base, sizeof base, "%llx", static_cast<unsigned long long>(base_));
        return {link_of(s_.name), "--scenario-process", s_.name,   "--id",
                std::to_string(id), "--base",            base,      "--cmd-fds",
                fds,                "--answer-fd",       std::to_string(answer_write_)};
    }

    bool receive(answered& a, const std::string& what, execution& out) {
        if (!read_all(answer_read_, &a.h, sizeof a.h, timeout_ms_)) {
            out.errors.push_back(what + ": no answer within " + std::to_string(timeout_ms_) +
                                 " ms");
            return false;
        }
        a.text.assign(a.h.payload, '\0');
        if (a.h.payload && !read_all(answer_read_, a.text.data(), a.h.payload, timeout_ms_)) {
            out.errors.push_back(what + ": truncated answer");
            return false;
        }
        if (!a.h.ok) {
            out.errors.push_back(what + ": " + a.text);
            return false;
        }
        return true;
    }

    // A new image's first answer: its slots' base and its start-up maps.
    bool receive_startup(int id, const std::string& what, execution& out) {
        answered a;
        if (!receive(a, what, out))
            return false;
        std::uint64_t base = 0;
        if (!parse_startup_payload(a.text, base, procs_[id].view.startup_maps)) {
            out.errors.push_back(what + ": no start-up answer");
            return false;
        }
        base_ = base;
        return true;
    }

    // The root stops itself until the runner has attached its observers:
    // stopped, it takes no fault, so the baselines read then (/proc/PID/stat,
    // perf's counters) split its faults exactly into before and after.
    [[noreturn]] void exec_root(const std::vector<std::string>& args) {
        setpgid(0, 0); // the scenario's processes form one group, killed as one
        std::vector<char*> argv;
        for (auto a : args)
            argv.push_back(strdup(a.c_str()));
        argv.push_back(nullptr);
        raise(SIGSTOP);
        execv(argv[0], argv.data());
        _exit(127);
    }

    // Waits until `pid` has stopped itself; false if it died first.
    static bool stopped(pid_t pid) {
        int status = 0;
        pid_t r;
        while ((r = waitpid(pid, &status, WUNTRACED)) < 0 && errno == EINTR)
            ;
        return r == pid && WIFSTOPPED(status);
    }

    bool start_root(execution& out) {
        auto args = process_args(0);
        pid_t pid = fork();
        if (pid == 0)
            exec_root(args);
        if (pid < 0) {
            out.errors.push_back(errno_text("fork"));
            return false;
        }
        setpgid(pid, pid);
        group_ = pid;
        procs_[0] = {{.pid = pid, .alive = true}, -1};
        if (!stopped(pid)) {
            out.errors.push_back("the scenario's root died before its exec");
            return false;
        }
        if (!h_.before_exec(pid)) {
            kill(pid, SIGKILL);
            out.errors.push_back("the observer could not attach to the scenario");
            return false;
        }
        kill(pid, SIGCONT);
        if (!receive_startup(0, "scenario start", out))
            return false;
        executed(0, s_.name);
        return true;
    }

    // `id` now runs a new image under `name`: it becomes that name's reported
    // process, if the name is tracked.
    void executed(int id, const std::string& name) {
        names_[name] = {.reported = id, .pid = procs_[id].view.pid};
    }

    // `id` left its address space with this layout (exit or exec): the names
    // it is the reported process of keep it.
    void left(int id, const std::string& maps) {
        procs_[id].view.maps = maps;
        for (auto& [name, v] : names_)
            if (v.reported == id && !v.left) {
                v.left = true;
                v.maps = maps;
            }
    }

    bool send(int id, const command& c, const std::string& what, execution& out) {
        if (!write_all(cmd_write_[id], &c, sizeof c)) {
            out.errors.push_back(what + ": cannot send the command");
            return false;
        }
        return true;
    }

    void reap(int id, const std::string& what, execution& out) {
        auto& rec = procs_[id];
        int parent = rec.parent;
        if (parent >= 0 && procs_[parent].view.alive) {
            command c;
            c.what = static_cast<std::int32_t>(internal_op::reap);
            c.pid_arg = rec.view.pid;
            answered a;
            if (send(parent, c, what, out))
                receive(a, what + " (reap)", out);
        } else {
            int status = 0;
            waitpid(rec.view.pid, &status, 0);
        }
        for (auto& [cid, child] : procs_)
            if (child.view.alive && child.parent == id)
                child.parent = -1; // reparented to the runner, the subreaper
    }

    // True once the process sleeps in read() on its command pipe, per
    // /proc/PID/syscall. A process that has answered may still run a little
    // user code before it blocks, and that code can take CoW faults (its
    // pages are shared after a fork); no step starts, and the kernel is not
    // asked, until every process is quiet.
    bool blocked_on_command(int id) const {
        std::string text =
            read_file("/proc/" + std::to_string(procs_.at(id).view.pid) + "/syscall");
        std::istringstream in(text);
        long nr = -1;
        std::string fd;
        if (!(in >> nr >> fd))
            return false; // "running", or gone
        return nr == SYS_read && std::strtol(fd.c_str(), nullptr, 16) == cmd_read_[id];
    }

    bool wait_until_quiet(execution& out, const std::string& what) {
        timespec start{}, now{};
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (auto& [id, p] : procs_) {
            while (p.view.alive && !blocked_on_command(id)) {
                clock_gettime(CLOCK_MONOTONIC, &now);
                long ms =
                    (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
                if (ms > timeout_ms_) {
                    out.errors.push_back(what + ": P" + std::to_string(id) +
                                         " did not go back to waiting for commands");
                    return false;
                }
                sched_yield(); // let it run to its read()
            }
        }
        return true;
    }

    static command command_of(const oracle::step& st, const std::string& name) {
        command c;
        c.what = static_cast<std::int32_t>(st.what);
        c.region = st.region;
        c.first = st.first;
        c.count = st.count;
        c.child = st.child;
        c.prot = static_cast<std::int32_t>(st.prot);
        c.threads = st.threads;
        c.to_slot = st.to_slot;
        std::strncpy(c.name, name.c_str(), sizeof c.name - 1);
        return c;
    }

    // Sends the step to its actor and takes the answer.
    bool ask(const oracle::step& st, const std::string& what, answered& a, execution& out,
             const std::string& name = {}) {
        auto it = procs_.find(st.actor);
        if (it == procs_.end() || !it->second.view.alive) {
            out.errors.push_back(what + ": the process is not alive");
            return false;
        }
        return send(st.actor, command_of(st, name.empty() ? st.name : name), what, out) &&
               receive(a, what, out);
    }

    // Performs one step through the table of runner::perform (defined after
    // its specialisations).
    void perform_step(int index, const oracle::step& st, execution& out);

    void query(execution& out) {
        query_point q;
        for (auto& [id, p] : procs_) {
            if (p.view.alive)
                p.view.maps = read_file("/proc/" + std::to_string(p.view.pid) + "/maps");
            q.processes[id] = p.view;
        }
        for (auto& [name, v] : names_) {
            if (!v.left)
                v.maps = procs_[v.reported].view.maps;
            q.names[name] = v;
        }
        if (auto it = q.names.find(s_.name); it != q.names.end()) {
            q.reported_pid = it->second.pid;
            q.maps = it->second.maps;
        }
        if (s_.query == oracle::query_time::after_exit)
            for (auto& [id, p] : procs_)
                if (p.view.alive)
                    out.errors.push_back("P" + std::to_string(id) +
                                         " is alive at an after-exit query: the script must "
                                         "exit every process");
        q.slots = {.base = base_, .slot_bytes = slot_stride_bytes(s_), .page_size = oracle::page_size};
        q.segv_writes = segv_writes_;
        h_.at_query(q);
    }

    void teardown() {
        // Whatever state the scenario is in, none of its processes survives it.
        if (group_ > 0)
            kill(-group_, SIGKILL);
        for (auto& [id, p] : procs_)
            p.view.alive = false;
        // Every scenario process is the runner's child or was reparented to it.
        while (waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
        }
        for (auto fds : {&cmd_read_, &cmd_write_})
            for (int fd : *fds)
                if (fd >= 0)
                    close(fd);
        for (int fd : {answer_read_, answer_write_})
            if (fd >= 0)
                close(fd);
        for (const auto& l : links_)
            unlink(l.c_str());
    }
};

// The default: the actor performs the step and answers.
template <action A>
void runner::perform(const oracle::step& st, const std::string& what, execution& out) {
    answered a;
    ask(st, what, a, out);
}

template <>
void runner::perform<action::fork>(const oracle::step& st, const std::string& what,
                                   execution& out) {
    answered a, b;
    // Parent and child both answer, in either order.
    if (!ask(st, what, a, out) || !receive(b, what + " (second answer)", out))
        return;
    pid_t child = a.h.child_pid ? a.h.child_pid : b.h.child_pid;
    procs_[st.child] = {{.pid = child, .alive = true, .startup_maps = procs_[st.actor].view.startup_maps},
                        st.actor};
}

template <>
void runner::perform<action::exit>(const oracle::step& st, const std::string& what,
                                   execution& out) {
    answered a;
    if (!ask(st, what, a, out))
        return;
    left(st.actor, a.text);
    procs_[st.actor].view.alive = false;
    reap(st.actor, what, out);
}

template <>
void runner::perform<action::exec>(const oracle::step& st, const std::string& what,
                                   execution& out) {
    answered a;
    const std::string name = st.name.empty() ? s_.name : st.name;
    // The old image answers with the layout it leaves, the new one once it
    // has mapped its regions.
    if (!ask(st, what, a, out, name))
        return;
    left(st.actor, a.text);
    if (!receive_startup(st.actor, what + " (the new image)", out))
        return;
    executed(st.actor, name);
    h_.after_exec_step();
}

template <>
void runner::perform<action::write_expect_segv>(const oracle::step& st, const std::string& what,
                                                execution& out) {
    answered a;
    if (ask(st, what, a, out))
        segv_writes_.emplace_back(a.h.child_pid, std::strtoull(a.text.c_str(), nullptr, 16));
}

template <>
void runner::perform<action::track>(const oracle::step& st, const std::string& what,
                                    execution& out) {
    if (auto err = h_.track(st.name); !err.empty())
        out.errors.push_back(what + ": " + err);
}

template <>
void runner::perform<action::cleanup>(const oracle::step&, const std::string& what,
                                      execution& out) {
    if (auto err = h_.cleanup(); !err.empty())
        out.errors.push_back(what + ": " + err);
}

void runner::perform_step(int index, const oracle::step& st, execution& out) {
    using perform_fn = void (runner::*)(const oracle::step&, const std::string&, execution&);
    static constexpr std::array table = {
#define PFCHECK_ACTION(id, doc) static_cast<perform_fn>(&runner::perform<action::id>),
#include "oracle/actions.inc"
#undef PFCHECK_ACTION
    };
    std::string what = "step " + std::to_string(index) + " (" +
                       (st.actor == oracle::runner ? "runner" : "P" + std::to_string(st.actor)) +
                       " " + oracle::to_string(st.what) + ")";
    (this->*table[static_cast<std::size_t>(st.what)])(st, what, out);
}

} // namespace

execution execute(const oracle::scenario& s, const std::string& program, const std::string& workdir,
                  hooks& h, int step_timeout_ms) {
    return runner(s, program, workdir, h, step_timeout_ms).run();
}

} // namespace workloads
