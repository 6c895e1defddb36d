/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * insn_marks: a QEMU TCG plugin (system emulation) that counts the guest
 * instructions each vCPU executes and, whenever a vCPU executes one of
 * pfbench's marks (insn_marks.h), writes that vCPU's count:
 *
 *   mark vcpu=1 id=0x200c insns=123456789
 *
 * through qemu_plugin_outs, which QEMU's `-d plugin -D FILE` sends to FILE.
 * The harness turns two marks of one vCPU into the instructions between them
 * (docs/two-vcpu.md). Under -icount QEMU 7.2 cannot run two vCPUs; this
 * counts without it, on multi-threaded TCG.
 *
 * How it counts (count=insn, the default): every instruction gets an
 * execution callback that adds one to its vCPU's counter. The callback runs
 * before the instruction, so the count is of instructions begun: one that
 * raises an exception (a page fault on a store) is counted when it faults
 * and again when it is executed after the handler, one instruction more per
 * fault than the instructions retired, the same in every configuration.
 * Counting per translation block (count=tb: one callback per block adding
 * its length at the block's start) is cheaper but wrong across faults: a
 * block cut short by a fault is counted whole, and the rest of it counted
 * again when it runs after the handler, so a CoW fault would add the length
 * of the block's tail, a property of the code layout and not of the fault
 * path. It is kept for comparison only. Inline adds (no call at all) are not
 * usable: in API version 1 an inline add goes to one address shared by all
 * vCPUs, not a counter per vCPU.
 *
 * QEMU's headers are not used (Debian does not ship qemu-plugin.h): the few
 * declarations below are written to match QEMU 7.2's include/qemu/qemu-plugin.h,
 * plugin API version 1 (QEMU_PLUGIN_VERSION 1; 7.2 accepts versions 0 to 1).
 * The layout of qemu_info_t was checked against the qemu-system-i386 binary
 * of Debian's QEMU 7.2: a 32-byte block, target_name at 0, version.min and
 * .cur at 8 and 12, system_emulation at 16, system.smp_vcpus at 20 and
 * system.max_vcpus at 24.
 */
#include "insn_marks.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- QEMU 7.2 plugin API, version 1: the declarations used here ---- */

#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))

typedef uint64_t qemu_plugin_id_t;

typedef struct qemu_info_t {
    const char* target_name;
    struct {
        int min;
        int cur;
    } version;
    bool system_emulation;
    union {
        struct {
            int smp_vcpus;
            int max_vcpus;
        } system;
    };
} qemu_info_t;

struct qemu_plugin_tb;
struct qemu_plugin_insn;

enum qemu_plugin_cb_flags {
    QEMU_PLUGIN_CB_NO_REGS,
    QEMU_PLUGIN_CB_R_REGS,
    QEMU_PLUGIN_CB_RW_REGS,
};

typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void* userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void* userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb* tb);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb* tb, qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void* userdata);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn* insn,
                                            qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void* userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb* tb);
struct qemu_plugin_insn* qemu_plugin_tb_get_insn(const struct qemu_plugin_tb* tb, size_t idx);
const void* qemu_plugin_insn_data(const struct qemu_plugin_insn* insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn* insn);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn* insn);
void qemu_plugin_outs(const char* string);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void* userdata);

/* ---- the plugin ---- */

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

/* One counter per vCPU, each on its own cache line: each is written by its
 * vCPU's thread only (multi-threaded TCG runs a vCPU on one host thread). */
struct vcpu_count {
    uint64_t insns;
    uint64_t in_range; /* range=: those of them in the range */
    char pad[64 - 2 * sizeof(uint64_t)];
};

static struct vcpu_count* counts;
static unsigned n_vcpus;
static bool per_tb; /* count=tb */
/* range=START-END (a diagnostic, e.g. a spinlock's slow path from System.map):
 * instructions at addresses START <= pc < END are also counted apart, and each
 * mark's line ends with " range=N". */
static uint64_t range_start, range_end;

/*
 * profile=FILE (a diagnostic by hand, one vCPU: the counts are not atomic):
 * every instruction's executions, summed per address over the whole run,
 * written at exit to FILE as "count symbol" lines, most executed first, the
 * address named by the kernel's System.map given as map=FILE (its text
 * symbols); addresses below the map's first symbol count as "[user]". Two
 * boots' files compared side by side say in which functions one kernel
 * executes more than the other (docs/two-vcpu.md, "Diagnostics").
 */
struct pc_count {
    uint64_t pc;
    uint64_t n;
};

static const char* profile_path;
static const char* map_path;
static struct pc_count* pcs; /* open addressing on pc, pc 0 = empty */
/* Translated instructions given no slot (the table half full, or pc 0, the
 * empty mark): counted, but not profiled; the profile says how many. */
static size_t pcs_cap = 1u << 20, pcs_used, pcs_dropped;
static pthread_mutex_t pcs_lock = PTHREAD_MUTEX_INITIALIZER;

/* The slot of `pc`, made if need be; NULL when the table is full. */
static struct pc_count* pc_slot(uint64_t pc) {
    size_t i = (size_t)((pc * 0x9E3779B97F4A7C15ull) >> 20) & (pcs_cap - 1);
    struct pc_count* slot = NULL;
    pthread_mutex_lock(&pcs_lock);
    /* pc 0 gets no slot: 0 marks an empty one. */
    for (size_t probes = pc ? 0 : pcs_cap; probes < pcs_cap;
         ++probes, i = (i + 1) & (pcs_cap - 1)) {
        if (pcs[i].pc == pc || pcs[i].pc == 0) {
            if (pcs[i].pc == 0 && pcs_used + 1 < pcs_cap / 2) {
                pcs[i].pc = pc;
                pcs_used++;
            }
            slot = pcs[i].pc == pc ? &pcs[i] : NULL;
            break;
        }
    }
    pcs_dropped += !slot;
    pthread_mutex_unlock(&pcs_lock);
    return slot;
}

static void count_insn_at(unsigned int vcpu, void* udata) {
    struct pc_count* slot = udata;
    if (vcpu < n_vcpus) {
        counts[vcpu].insns++;
        counts[vcpu].in_range += slot->pc >= range_start && slot->pc < range_end;
    }
    slot->n++;
}

struct symbol {
    uint64_t start;
    char name[64];
    uint64_t n;
};

static int by_start(const void* a, const void* b) {
    uint64_t x = ((const struct symbol*)a)->start, y = ((const struct symbol*)b)->start;
    return x < y ? -1 : x > y;
}

static int by_count(const void* a, const void* b) {
    uint64_t x = ((const struct symbol*)a)->n, y = ((const struct symbol*)b)->n;
    return x > y ? -1 : x < y;
}

/* System.map's text symbols, sorted by address; their number in *n. */
static struct symbol* read_map(const char* path, size_t* n) {
    FILE* f = fopen(path, "r");
    struct symbol* syms = NULL;
    size_t cap = 0;
    char line[256], type, name[64];
    uint64_t addr;
    *n = 0;
    if (!f)
        return NULL;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "%" SCNx64 " %c %63s", &addr, &type, name) != 3 || !strchr("tTwW", type))
            continue;
        if (*n == cap) {
            struct symbol* more = realloc(syms, (cap = cap ? 2 * cap : 4096) * sizeof *syms);
            if (!more)
                break;
            syms = more;
        }
        syms[*n].start = addr;
        syms[*n].n = 0;
        snprintf(syms[*n].name, sizeof syms[*n].name, "%s", name);
        ++*n;
    }
    fclose(f);
    qsort(syms, *n, sizeof *syms, by_start);
    return syms;
}

/* The symbol holding `pc` (the last starting at or below it), or NULL. */
static struct symbol* symbol_of(struct symbol* syms, size_t n, uint64_t pc) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (syms[mid].start <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? &syms[lo - 1] : NULL;
}

static void write_profile(void) {
    size_t n = 0;
    struct symbol* syms = map_path ? read_map(map_path, &n) : NULL;
    uint64_t user = 0, unnamed = 0;
    FILE* out = fopen(profile_path, "w");
    if (!out) {
        fprintf(stderr, "insn_marks: cannot write %s\n", profile_path);
        free(syms);
        return;
    }
    for (size_t i = 0; i < pcs_cap; ++i) {
        if (!pcs[i].n)
            continue;
        struct symbol* s = symbol_of(syms, n, pcs[i].pc);
        if (s)
            s->n += pcs[i].n;
        else if (n && pcs[i].pc < syms[0].start)
            user += pcs[i].n;
        else
            unnamed += pcs[i].n;
    }
    if (syms)
        qsort(syms, n, sizeof *syms, by_count);
    fprintf(out, "%" PRIu64 " [user]\n%" PRIu64 " [no symbol]\n%zu [translations not profiled]\n",
            user, unnamed, pcs_dropped);
    for (size_t i = 0; i < n && syms[i].n; ++i)
        fprintf(out, "%" PRIu64 " %s\n", syms[i].n, syms[i].name);
    fclose(out);
    free(syms);
}

static void say(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char* fmt, ...) {
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    qemu_plugin_outs(line);
}

static void count_insn(unsigned int vcpu, void* udata) {
    (void)udata;
    if (vcpu < n_vcpus)
        counts[vcpu].insns++;
}

static void count_insn_in_range(unsigned int vcpu, void* udata) {
    (void)udata;
    if (vcpu < n_vcpus) {
        counts[vcpu].insns++;
        counts[vcpu].in_range++;
    }
}

static void count_tb(unsigned int vcpu, void* udata) {
    if (vcpu < n_vcpus)
        counts[vcpu].insns += (uintptr_t)udata;
}

static void at_mark(unsigned int vcpu, void* udata) {
    if (vcpu >= n_vcpus)
        return;
    if (!per_tb)
        counts[vcpu].insns++;
    if (range_end > range_start) {
        char line[128];
        snprintf(line, sizeof line, PF_MARK_LINE, vcpu, (unsigned long)(uintptr_t)udata,
                 (unsigned long long)counts[vcpu].insns);
        line[strcspn(line, "\n")] = 0;
        say("%s range=%llu\n", line, (unsigned long long)counts[vcpu].in_range);
        return;
    }
    say(PF_MARK_LINE, vcpu, (unsigned long)(uintptr_t)udata,
        (unsigned long long)counts[vcpu].insns);
}

static void on_translation(qemu_plugin_id_t id, struct qemu_plugin_tb* tb) {
    size_t n = qemu_plugin_tb_n_insns(tb);
    (void)id;
    if (per_tb)
        qemu_plugin_register_vcpu_tb_exec_cb(tb, count_tb, QEMU_PLUGIN_CB_NO_REGS,
                                             (void*)(uintptr_t)n);
    for (size_t i = 0; i < n; ++i) {
        struct qemu_plugin_insn* insn = qemu_plugin_tb_get_insn(tb, i);
        long mark = pf_mark_decode(qemu_plugin_insn_data(insn), qemu_plugin_insn_size(insn));
        if (mark >= 0)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, at_mark, QEMU_PLUGIN_CB_NO_REGS,
                                                   (void*)(uintptr_t)mark);
        else if (!per_tb) {
            uint64_t pc = qemu_plugin_insn_vaddr(insn);
            struct pc_count* slot = pcs ? pc_slot(pc) : NULL;
            bool in = pc >= range_start && pc < range_end;
            if (slot)
                qemu_plugin_register_vcpu_insn_exec_cb(insn, count_insn_at, QEMU_PLUGIN_CB_NO_REGS,
                                                       slot);
            else
                qemu_plugin_register_vcpu_insn_exec_cb(insn, in ? count_insn_in_range : count_insn,
                                                       QEMU_PLUGIN_CB_NO_REGS, NULL);
        }
    }
}

static void at_exit(qemu_plugin_id_t id, void* udata) {
    (void)id;
    (void)udata;
    for (unsigned v = 0; v < n_vcpus; ++v)
        say("insn_marks: exit vcpu=%u insns=%llu\n", v, (unsigned long long)counts[v].insns);
    if (pcs)
        write_profile();
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t* info, int argc,
                                           char** argv) {
    for (int i = 0; i < argc; ++i) {
        if (strcmp(argv[i], "count=insn") == 0)
            per_tb = false;
        else if (strcmp(argv[i], "count=tb") == 0)
            per_tb = true;
        else if (sscanf(argv[i], "range=%" SCNx64 "-%" SCNx64, &range_start, &range_end) == 2 &&
                 range_end > range_start)
            continue;
        else if (strncmp(argv[i], "profile=", 8) == 0)
            profile_path = argv[i] + 8;
        else if (strncmp(argv[i], "map=", 4) == 0)
            map_path = argv[i] + 4;
        else {
            fprintf(stderr,
                    "insn_marks: unknown argument '%s' (count=insn|tb, range=START-END, "
                    "profile=FILE, map=System.map)\n",
                    argv[i]);
            return -1;
        }
    }
    if (profile_path && (per_tb || !(pcs = calloc(pcs_cap, sizeof *pcs)))) {
        fprintf(stderr, "insn_marks: profile= needs count=insn and memory\n");
        return -1;
    }
    if (!info->system_emulation) {
        fprintf(stderr, "insn_marks: system emulation only\n");
        return -1;
    }
    n_vcpus = info->system.max_vcpus > 0 ? (unsigned)info->system.max_vcpus : 1;
    counts = calloc(n_vcpus, sizeof *counts);
    if (!counts)
        return -1;
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translation);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    if (range_end > range_start)
        say("insn_marks: range 0x%" PRIx64 "-0x%" PRIx64 " counted apart (range=)\n", range_start,
            range_end);
    say("insn_marks: loaded, API %d..%d, target %s, %d vCPUs (max %d), counting per %s\n",
        info->version.min, info->version.cur, info->target_name, info->system.smp_vcpus,
        info->system.max_vcpus,
        per_tb ? "translation block (inexact across faults)" : "instruction");
    return 0;
}
