/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The marks pfbench makes in its guest code and insn_marks (the QEMU TCG
 * plugin, insn_marks.c) recognises: the one place of their encoding, shared
 * by the plugin, pfbench and the harness that reads the plugin's log
 * (docs/two-vcpu.md). C and C++.
 *
 * A mark is one 8-byte x86 NOP, the same bytes in 32- and 64-bit code:
 *
 *   0f 1f 84 00 d0 d1 d2 d3    nopl disp32(%eax,%eax,1)  (64-bit: %rax,%rax)
 *
 *   0f 1f  NOP Ev (the multi-byte NOP; no memory is read)
 *   84     ModRM: mod 10 (disp32 follows the SIB), reg 000 (/0), rm 100 (SIB)
 *   00     SIB: scale 1, index %eax, base %eax
 *   d0-d3  the 32-bit displacement, little-endian: PF_MARK_TAG | id
 *
 * The tag ("PF" in the displacement's high half) makes the NOP distinctive:
 * compilers emit this NOP as padding only with a displacement of 0.
 *
 * An id (16 bits) is an event in bits 12-15 and an argument in bits 0-11:
 *   PF_MARK_RUN    a benchmark run (one repetition) begins in this process,
 *                  now pinned to its vCPU; argument: the configuration
 *                  (pf_mark_config_name)
 *   PF_MARK_BEGIN  a measured window begins; argument: log2 of the CoW faults
 *                  the process makes in it
 *   PF_MARK_END    the window ends; the same argument
 */
#ifndef PFCHECK_INSN_MARKS_H
#define PFCHECK_INSN_MARKS_H

#include <stddef.h>
#include <stdint.h>

#define PF_MARK_LENGTH 8
#define PF_MARK_TAG 0x50460000u
#define PF_MARK_TAG_MASK 0xffff0000u

enum pf_mark_event { PF_MARK_RUN = 1, PF_MARK_BEGIN = 2, PF_MARK_END = 3 };

#define PF_MARK_ID(event, arg) ((((unsigned)(event)&0xfu) << 12) | ((unsigned)(arg)&0xfffu))
#define PF_MARK_EVENT(id) (((unsigned)(id) >> 12) & 0xfu)
#define PF_MARK_ARG(id) ((unsigned)(id)&0xfffu)

/* The largest log2 of a window's faults a mark can carry here (pfbench's
 * dispatch is over 0..PF_MARK_MAX_LOG2). */
#define PF_MARK_MAX_LOG2 12

/* Executes mark `id`, a constant expression. The memory clobber keeps the
 * compiler from moving the window's stores across it. */
#define PF_MARK(id)                                                                                \
    __asm__ __volatile__(".byte 0x0f, 0x1f, 0x84, 0x00\n\t.long %c0" ::"i"(PF_MARK_TAG | (id))     \
                         : "memory")

/* The id of the mark whose bytes these are, or -1 when they are not one. */
static inline long pf_mark_decode(const unsigned char* bytes, size_t length) {
    uint32_t disp;
    if (length != PF_MARK_LENGTH || bytes[0] != 0x0f || bytes[1] != 0x1f || bytes[2] != 0x84 ||
        bytes[3] != 0x00)
        return -1;
    disp = (uint32_t)bytes[4] | (uint32_t)bytes[5] << 8 | (uint32_t)bytes[6] << 16 |
           (uint32_t)bytes[7] << 24;
    if ((disp & PF_MARK_TAG_MASK) != PF_MARK_TAG)
        return -1;
    return (long)(disp & 0xffffu);
}

/* The configurations a PF_MARK_RUN names, by their argument; NULL past the end. */
static inline const char* pf_mark_config_name(unsigned code) {
    static const char* const names[] = {"vanilla",        "vanilla-1000vma", "untracked",
                                        "tracked-other",  "tracked-self",    "tracked-64",
                                        "tracked-1000vma"};
    return code < sizeof names / sizeof names[0] ? names[code] : NULL;
}

/* The line the plugin writes for each mark it sees executed (qemu_plugin_outs,
 * QEMU's -d plugin -D FILE): the vCPU, the id, and the instructions that vCPU
 * had begun by then, this mark included. */
#define PF_MARK_LINE "mark vcpu=%u id=0x%04lx insns=%llu\n"

#endif
