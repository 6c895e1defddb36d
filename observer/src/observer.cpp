// SPDX-License-Identifier: GPL-2.0-or-later
#include "observer/observer.hpp"

#include "observer/order.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <linux/perf_event.h>
#include <sstream>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

// libperf and libtraceevent are C libraries whose headers lack extern "C".
extern "C" {
#include <perf/core.h>
#include <perf/cpumap.h>
#include <perf/event.h>
#include <perf/evlist.h>
#include <perf/evsel.h>
#include <perf/mmap.h>
#include <perf/threadmap.h>
#include <traceevent/event-parse.h>
}

namespace observer {

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        return {};
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

int quiet_libperf(enum libperf_print_level, const char*, va_list) {
    return 0;
}

} // namespace

std::string tracefs_root() {
    for (const char* dir : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"})
        if (exists(std::string(dir) + "/events"))
            return dir;
    // Mount it where it belongs (needs root; fails quietly otherwise).
    if (exists("/sys/kernel/tracing") &&
        ::mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, nullptr) == 0 &&
        exists("/sys/kernel/tracing/events"))
        return "/sys/kernel/tracing";
    return {};
}

struct fault_observer::impl {
    perf_evlist* evlist = nullptr;
    perf_evsel* tracepoint = nullptr;
    perf_evsel* minflt = nullptr;
    perf_cpu_map* cpus = nullptr;
    perf_thread_map* threads = nullptr;
    tep_handle* tep = nullptr;
    tep_event* event = nullptr;
    tep_format_field* f_address = nullptr;
    tep_format_field* f_ip = nullptr;
    tep_format_field* f_error = nullptr;
    bool mapped = false, open = false, minflt_open = false;

    perf_evsel* kernel_tracepoint = nullptr; // exceptions:page_fault_kernel, if any

    record_order order{0};   // given the root at attach()
    std::size_t stamped = 0; // faults already given their step
    observation seen;

    ~impl() {
        if (minflt_open)
            perf_evsel__close(minflt);
        if (minflt)
            perf_evsel__delete(minflt);
        if (mapped)
            perf_evlist__munmap(evlist);
        if (open)
            perf_evlist__close(evlist);
        if (evlist)
            perf_evlist__delete(evlist); // deletes the evsels it holds
        if (cpus)
            perf_cpu_map__put(cpus);
        if (threads)
            perf_thread_map__put(threads);
        if (tep)
            tep_free(tep);
    }

    // The id of exceptions:NAME, or 0 when the kernel lacks it.
    static int tracepoint_id(const std::string& root, const std::string& name) {
        return std::atoi(slurp(root + "/events/exceptions/" + name + "/id").c_str());
    }

    bool parse_format(const std::string& root, std::string& why, int& id) {
        std::string dir = root + "/events/exceptions/page_fault_user";
        std::string id_text = slurp(dir + "/id");
        std::string format = slurp(dir + "/format");
        if (id_text.empty() || format.empty()) {
            why = "the kernel has no exceptions:page_fault_user tracepoint (" + dir + ")";
            return false;
        }
        id = std::atoi(id_text.c_str());
        tep = tep_alloc();
        if (!tep || tep_parse_event(tep, format.data(), format.size(), "exceptions") != 0) {
            why = "libtraceevent cannot parse " + dir + "/format";
            return false;
        }
        event = tep_find_event(tep, id);
        if (event) {
            f_address = tep_find_field(event, "address");
            f_ip = tep_find_field(event, "ip");
            f_error = tep_find_field(event, "error_code");
        }
        if (!f_address || !f_error) {
            why = "page_fault_user lacks the address or error_code field";
            return false;
        }
        return true;
    }

    void read_record(const perf_event* ev) {
        ++seen.records;
        const auto& h = ev->header;
        switch (h.type) {
        case PERF_RECORD_SAMPLE: {
            // TID, TIME, RAW, in that order.
            auto p = reinterpret_cast<const unsigned char*>(ev) + sizeof(h);
            record r;
            std::uint32_t ids[2];
            std::memcpy(ids, p, sizeof ids);
            p += sizeof ids;
            std::memcpy(&r.time, p, sizeof r.time);
            p += sizeof r.time;
            std::uint32_t size = 0;
            std::memcpy(&size, p, sizeof size);
            p += sizeof size;
            void* raw = const_cast<unsigned char*>(p);
            unsigned long long v = 0;
            r.fault.pid = static_cast<pid_t>(ids[0]);
            r.fault.tid = static_cast<pid_t>(ids[1]);
            r.fault.time = r.time;
            if (tep_read_number_field(f_address, raw, &v) == 0)
                r.fault.address = v;
            if (f_ip && tep_read_number_field(f_ip, raw, &v) == 0)
                r.fault.ip = v;
            if (tep_read_number_field(f_error, raw, &v) == 0)
                r.fault.error_code = static_cast<std::uint32_t>(v);
            r.what = record::sample;
            order.add(std::move(r));
            return;
        }
        case PERF_RECORD_COMM: {
            record r;
            r.what = record::comm;
            r.tid = static_cast<pid_t>(ev->comm.tid);
            r.comm_name.assign(ev->comm.comm, strnlen(ev->comm.comm, sizeof ev->comm.comm));
            r.exec = (h.misc & PERF_RECORD_MISC_COMM_EXEC) != 0;
            // sample_id_all: the record ends with {pid, tid, time}.
            std::memcpy(&r.time, reinterpret_cast<const char*>(ev) + h.size - sizeof(std::uint64_t),
                        sizeof r.time);
            order.add(std::move(r));
            return;
        }
        case PERF_RECORD_FORK: {
            record r;
            r.what = record::fork;
            r.tid = static_cast<pid_t>(ev->fork.tid);
            r.parent_tid = static_cast<pid_t>(ev->fork.ptid);
            r.time = ev->fork.time;
            order.add(std::move(r));
            return;
        }
        case PERF_RECORD_LOST:
            seen.lost += ev->lost.lost;
            return;
        default:
            return;
        }
    }

    void settle() { order.settle(seen.faults); }
    void finish() { order.finish(seen.faults); }

    void drain() {
        perf_mmap* map;
        perf_evlist__for_each_mmap(evlist, map, false) {
            if (perf_mmap__read_init(map) < 0)
                continue;
            while (union perf_event* ev = perf_mmap__read_event(map)) {
                read_record(ev);
                perf_mmap__consume(map);
            }
            perf_mmap__read_done(map);
        }
    }
};

fault_observer::fault_observer(std::unique_ptr<impl> p) : p_(std::move(p)) {}
fault_observer::~fault_observer() = default;

std::unique_ptr<fault_observer> fault_observer::attach(pid_t pid, std::string& why) {
    libperf_init(quiet_libperf);
    std::string root = tracefs_root();
    if (root.empty()) {
        why = "tracefs is not mounted and cannot be mounted";
        return nullptr;
    }
    auto p = std::make_unique<impl>();
    p->order = record_order(pid);
    int id = 0;
    if (!p->parse_format(root, why, id))
        return nullptr;

    perf_event_attr attr{};
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_TRACEPOINT;
    attr.config = static_cast<std::uint64_t>(id);
    attr.sample_period = 1;
    attr.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_RAW;
    attr.disabled = 1;
    attr.enable_on_exec = 1;
    attr.inherit = 1;
    attr.comm = 1;
    attr.task = 1;
    attr.sample_id_all = 1;
    // The default perf clock may tick in jiffies on a minimal kernel; order by
    // the clocksource instead (ties keep ring-buffer order, see settle()).
    attr.use_clockid = 1;
    attr.clockid = CLOCK_MONOTONIC;

    p->cpus = perf_cpu_map__new(nullptr);
    p->threads = perf_thread_map__new_array(1, &pid);
    p->evlist = perf_evlist__new();
    p->tracepoint = perf_evsel__new(&attr);
    if (!p->cpus || !p->threads || !p->evlist || !p->tracepoint) {
        why = "libperf cannot allocate its maps";
        return nullptr;
    }
    perf_evlist__add(p->evlist, p->tracepoint);
    // The kernel's faults on the tree's behalf share the format (one event
    // class): told apart by the error code's user bit.
    if (int kid = impl::tracepoint_id(root, "page_fault_kernel")) {
        perf_event_attr kattr = attr;
        kattr.config = static_cast<std::uint64_t>(kid);
        kattr.comm = kattr.task = 0; // the first event brings those records
        if ((p->kernel_tracepoint = perf_evsel__new(&kattr)))
            perf_evlist__add(p->evlist, p->kernel_tracepoint);
    }
    perf_evlist__set_maps(p->evlist, p->cpus, p->threads);
    // An inherited event must be opened per CPU to be mapped (facts.md).
    int err = perf_evlist__open(p->evlist);
    if (err) {
        why = std::string("perf_event_open on page_fault_user failed: ") + std::strerror(-err) +
              (err == -EACCES || err == -EPERM ? " (run as root)" : "");
        return nullptr;
    }
    p->open = true;
    if (perf_evlist__mmap(p->evlist, 256) != 0) {
        why = "cannot map the perf ring buffers";
        return nullptr;
    }
    p->mapped = true;

    perf_event_attr count{};
    count.size = sizeof count;
    count.type = PERF_TYPE_SOFTWARE;
    count.config = PERF_COUNT_SW_PAGE_FAULTS_MIN;
    count.disabled = 1;
    count.enable_on_exec = 1;
    count.inherit = 1;
    count.exclude_kernel = 1;
    p->minflt = perf_evsel__new(&count);
    if (p->minflt && perf_evsel__open(p->minflt, p->cpus, p->threads) == 0)
        p->minflt_open = true;
    return std::unique_ptr<fault_observer>(new fault_observer(std::move(p)));
}

void fault_observer::drain() {
    p_->drain();
}

void fault_observer::mark_step(int step) {
    p_->drain();
    p_->settle();
    auto& faults = p_->seen.faults;
    for (; p_->stamped < faults.size(); ++p_->stamped)
        faults[p_->stamped].step = step;
}

observation fault_observer::take() {
    p_->drain();
    p_->finish();
    p_->seen.kernel_faults = p_->kernel_tracepoint != nullptr;
    return p_->seen;
}

std::uint64_t fault_observer::minor_faults() {
    if (!p_->minflt_open)
        return 0;
    std::uint64_t total = 0;
    for (int cpu = 0; cpu < perf_cpu_map__nr(p_->cpus); ++cpu) {
        perf_counts_values v{};
        if (perf_evsel__read(p_->minflt, cpu, 0, &v) == 0)
            total += v.val;
    }
    return total;
}

} // namespace observer
