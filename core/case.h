/* The case: one test, a plain value. No hidden state: everything an executor
 * needs to reproduce it is here (the environment comes from layout.h). */
#ifndef EXITDIFF_CASE_H
#define EXITDIFF_CASE_H

#include <stdint.h>
#include "case_event.h"
#include "config.h"

/* The CPU mode a case starts in; core/mode.h gives each its initial system
 * state, core/layout.h where everything is. Numbers are stored in binary
 * cases: append only. */
enum cpu_mode {
	MODE_LONG64 = 0,   /* 64-bit long mode, 4-level paging */
	MODE_PROT32 = 1,   /* 32-bit protected mode, flat segments, paging off */
	MODE_PROT32PG = 2, /* 32-bit protected mode, flat, 2-level 32-bit paging */
	MODE_REAL16 = 3,   /* 16-bit real mode, every segment at 0x1000 */
	MODE_COMPAT32 = 4, /* compatibility mode: 32-bit code under long mode */
	MODE_PROT32PAE = 5, /* 32-bit protected mode, flat, PAE paging */
	MODE_V86 = 6,      /* virtual-8086 mode: 16-bit code at CPL3 under
			      32-bit protected mode, real-mode segments */
	MODE_COUNT
};
/* Bits a mode takes in keys that pack (mode, knobs) into one number. */
#define MODE_KEY_BITS 3
_Static_assert(MODE_COUNT <= (1 << MODE_KEY_BITS), "modes fit MODE_KEY_BITS");

/* Environment knobs: bits that change the environment a case runs in
 * (CPL, CR0/CR4/EFER bits, the hypervisor's MSR filter). The table of names, registers and the modes
 * each applies to is in core/knobs.c; KNOBS_KNOWN is every defined bit. */
#define KNOB_CPL3         (1u << 0)  /* long64: the case runs at CPL3 */
#define KNOB_CR0_TS       (1u << 1)  /* CR0.TS=1: x87/SSE raise #NM */
#define KNOB_CR0_EM       (1u << 2)  /* CR0.EM=1: x87 #NM, SSE #UD */
#define KNOB_CR4_TSD      (1u << 3)  /* CR4.TSD=1: RDTSC(P) #GP above CPL0 */
#define KNOB_CR4_UMIP     (1u << 4)  /* CR4.UMIP=1: SGDT.. #GP above CPL0 */
#define KNOB_CR4_OSXSAVE  (1u << 5)  /* CR4.OSXSAVE=1: XGETBV/XSETBV usable */
#define KNOB_CR4_FSGSBASE (1u << 6)  /* CR4.FSGSBASE=1: RDFSBASE.. usable */
#define KNOB_CR4_SMAP     (1u << 7)  /* CR4.SMAP=1: CPL0 data access to
					user pages faults unless RFLAGS.AC */
#define KNOB_NO_OSFXSR    (1u << 8)  /* CR4.OSFXSR=0: SSE raises #UD */
#define KNOB_NO_SCE       (1u << 9)  /* EFER.SCE=0: SYSCALL raises #UD */
#define KNOB_MSR_EXIT     (1u << 10) /* the VM's MSR filter sends the MSRs of
					core/msr_filter.c to user space */
#define KNOB_IOPL3        (1u << 11) /* v86: RFLAGS.IOPL=3, the sensitive
					instructions stop raising #GP */
#define KNOBS_KNOWN       0xfffu

/* General-purpose registers in hardware encoding order (ModRM reg field). */
enum gpr {
	RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
	R8, R9, R10, R11, R12, R13, R14, R15,
	GPR_COUNT
};

/* RFLAGS bits a case may set initially (SDM Vol. 1 3.4.3): the status
 * flags, DF, and TF (single-step: a #DB trap after the first instruction,
 * docs/semantics.md "Single-step"). The rest are fixed: bit 1 is always
 * one; IF, NT, RF, VM, AC, VIF, VIP, ID would change how the whole case
 * runs and are left to future knobs. */
#define RFLAGS_CF (1u << 0)
#define RFLAGS_PF (1u << 2)
#define RFLAGS_AF (1u << 4)
#define RFLAGS_ZF (1u << 6)
#define RFLAGS_SF (1u << 7)
#define RFLAGS_TF (1u << 8)
#define RFLAGS_IF (1u << 9)
#define RFLAGS_DF (1u << 10)
#define RFLAGS_OF (1u << 11)
#define RFLAGS_STATUS (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | \
		       RFLAGS_SF | RFLAGS_OF)
#define RFLAGS_CASE_SETTABLE (RFLAGS_STATUS | RFLAGS_DF | RFLAGS_TF)
#define RFLAGS_FIXED1 (1u << 1)
#define RFLAGS_RF (1ull << 16)
#define RFLAGS_VM (1ull << 17)  /* virtual-8086 mode: set by the v86 mode */
/* What no instruction can set: bits 3, 5, 15 and 22..63 read as zero
 * (and bit 1 as one) on every CPU. */
#define RFLAGS_RESERVED (~0x3f7fd7ull)

struct test_case {
	char id[64];          /* name for messages: file stem, or gen seed */
	uint8_t mode;         /* enum cpu_mode */
	uint32_t knobs;       /* KNOBS_* bits */
	uint64_t seed;        /* generator seed it came from, 0 if hand-written */
	uint64_t gpr[GPR_COUNT];
	uint64_t rflags;      /* always (x & RFLAGS_CASE_SETTABLE) | FIXED1 */
	/* Events the hypervisor makes pending (case_event.h), packed: the
	 * first CASE_EVENT_NONE ends them. */
	struct case_event event[CASE_EVENTS_MAX];
	uint32_t code_len;
	uint32_t data_len;    /* initial bytes at LAYOUT_DATA; rest is zero */
	uint8_t code[CASE_CODE_MAX];
	uint8_t data[CASE_DATA_MAX];
};

/* The defaults every case starts from: long64, RSP at the stack top,
 * every other register zero, RFLAGS = 0x2, no code, no data. (In real mode
 * the same RSP means SP 0x6000 from SS base 0x10000: the same stack top.) */
void case_init(struct test_case *c);
/* The same defaults, code and data empty, without clearing the 12 KiB of
 * code and data bytes: for a writer that fills every byte below code_len
 * and data_len (a generator, per exec of a campaign). Nothing reads a
 * case's bytes past its lengths. */
void case_init_empty(struct test_case *c);
/* 1 when x and y are the same case: every field before the code, down to
 * the padding bytes, then the code and data up to their lengths. */
int case_equal(const struct test_case *x, const struct test_case *y);

/* The name of RFLAGS bit 0..63 (SDM Vol. 1 3.4.3), or NULL for a reserved
 * bit. */
const char *rflags_bit_name(unsigned bit);

/* 1 when the case's code holds a MOV to DR7 (0F 23 /7), or to DR5, which
 * is DR7 while CR4.DE is clear (SDM Vol. 3A 17.2.2): it may arm debug
 * breakpoints, which only some executors model (Unicorn 2.0.1 crashed the
 * process on `mov dr5, eax` with EAX 0xff00ff, measured). */
int case_arms_breakpoints(const struct test_case *c);

const char *mode_name(enum cpu_mode m);
const char *gpr_name(enum gpr r);
/* Returns the register index for a name ("rax".."r15"), or -1. */
int gpr_from_name(const char *name);

#endif
