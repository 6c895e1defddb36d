// SPDX-License-Identifier: GPL-2.0-or-later
// The independent witness: perf samples of the exceptions:page_fault_user
// tracepoint for a process tree, read through libperf and decoded with
// libtraceevent. It sees every user-mode hardware page fault, before the
// kernel handles it, whatever the kernel under test counts; and, through
// exceptions:page_fault_kernel, the faults the kernel takes on the tree's
// behalf (copy_to_user), when that tracepoint exists.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace observer {

// x86 page fault error code bits.
constexpr std::uint32_t pf_prot = 1, pf_write = 2, pf_user = 4;

struct fault_sample {
    pid_t pid = 0, tid = 0;
    std::uint64_t time = 0;
    std::uint64_t address = 0;
    std::uint64_t ip = 0;
    std::uint32_t error_code = 0;
    std::string comm;        // the task's name when it faulted
    std::string exec_comm;   // its name when it (or its ancestor) was executed
    std::uint64_t order = 0; // position among all records of the tree
    int exec_serial = 0;     // how many execs in the tree came before it (the root's is 1)
    int step = -1;           // the scenario step it was read after (see mark_step)
    // Taken while the kernel loaded a program: after the task's exec renamed
    // it, before the task's first fault in user mode (the ELF loader zeroing
    // the end of .data, the new stack).
    bool in_exec = false;

    bool user_write_to_present() const {
        return (error_code & (pf_prot | pf_write | pf_user)) == (pf_prot | pf_write | pf_user);
    }
    bool user() const { return error_code & pf_user; }
    bool write() const { return error_code & pf_write; }
    bool present() const { return error_code & pf_prot; }
};

struct observation {
    // Every fault of the tree since it was executed: user-mode ones, and
    // kernel-mode ones when `kernel_faults` (their error code lacks pf_user).
    std::vector<fault_sample> faults;
    bool kernel_faults = false;
    std::uint64_t lost = 0;           // samples the kernel dropped (ring buffer full)
    std::uint64_t records = 0;        // records read, of any kind
};

class fault_observer {
  public:
    // Attaches to `pid` and the processes it will fork, counting from its next
    // exec. On failure returns nullptr and says why in `why`.
    static std::unique_ptr<fault_observer> attach(pid_t pid, std::string& why);
    ~fault_observer();
    fault_observer(const fault_observer&) = delete;
    fault_observer& operator=(const fault_observer&) = delete;

    // Reads what the ring buffers hold. Call it often enough that they never fill.
    void drain();
    // Drains, and stamps every fault read so far and not yet stamped with
    // `step`: the scenario step that has just completed.
    void mark_step(int step);
    // Everything since the root's exec, after a final drain.
    observation take();
    // Minor faults of the whole tree (children are added when they exit).
    std::uint64_t minor_faults();

    struct impl;

  private:
    explicit fault_observer(std::unique_ptr<impl> p);
    std::unique_ptr<impl> p_;
};

// Linux's own perf software fault events for a process tree, counting (no
// samples), inherited by the processes it forks: page-faults, minor-faults
// and major-faults, each in every mode and in user mode only ("NAME:u",
// exclude_kernel), enabled at the tree's next exec as the observer is. And
// minor-faults and major-faults enabled at once, to measure the faults the
// root takes before its exec.
class fault_counters {
  public:
    static std::unique_ptr<fault_counters> attach(pid_t pid, std::string& why);
    ~fault_counters();
    fault_counters(const fault_counters&) = delete;
    fault_counters& operator=(const fault_counters&) = delete;

    // Since the exec, by name; an event that could not be opened is absent.
    std::map<std::string, std::uint64_t> since_exec();
    // Completed faults (minor + major, every mode) from attach to the exec:
    // the root's before its exec. nullopt when an event is missing.
    struct split {
        std::uint64_t minor = 0, major = 0;
    };
    std::optional<split> before_exec();

    struct impl;

  private:
    explicit fault_counters(std::unique_ptr<impl> p);
    std::unique_ptr<impl> p_;
};

// Where tracefs is mounted, mounting it if needed; empty if it cannot be had.
std::string tracefs_root();

} // namespace observer
