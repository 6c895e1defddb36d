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
            bool in = pc >= range_start && pc < range_end;
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
        else {
            fprintf(stderr, "insn_marks: unknown argument '%s' (count=insn|tb, range=START-END)\n",
                    argv[i]);
            return -1;
        }
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
