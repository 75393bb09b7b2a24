/* The outcome: what an executor observed. Filled the same way by every
 * executor (KVM, the reference, Unicorn); the TMK runtime checks a case
 * against one compiled into it. */
#ifndef EXITDIFF_OUTCOME_H
#define EXITDIFF_OUTCOME_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "case.h"
#include "layout.h"

enum exit_kind {
#define X(e, name, terminal) EXIT_##e,
#include "exit_kinds.def"
#undef X
	EXIT_KIND_COUNT
};

enum exit_dir { DIR_IN = 0, DIR_OUT = 1 }; /* MMIO: IN = read, OUT = write */

/* One exit event. Field use per kind:
 *   IO             dir, size (1/2/4), addr = port, data (one access; string
 *                  and REP forms give one event per element)
 *   MMIO           dir, size (1..8), addr = GPA, data (little-endian bytes)
 *   HLT            rip = address after the HLT
 *   EXCEPTION      addr = vector, error_code (has_error_code), rip =
 *                  faulting RIP from the frame, cr2 (vector 14 only)
 *   SHUTDOWN       -
 *   INTERNAL_ERROR addr = suberror, data = first datum, error_code = ndata
 *   FAIL_ENTRY     addr = hardware entry failure reason
 *   TIMEOUT        addr = 0 step/time budget, 1 event budget
 *   UNSUPPORTED    rip = instruction address; outcome.mnemonic names it
 *   OTHER          addr = KVM exit reason number, verbatim (printed by
 *                  its name: kvm_exit_reason_name)
 *   HANG           rip = the instruction KVM_RUN stayed on
 *   MSR            dir (IN = RDMSR, OUT = WRMSR), addr = MSR index, data
 *                  = the value written, or the reply user space gave
 *   IRQ_WINDOW     rip = the instruction the case's interrupt comes before
 *   HYPERCALL      addr = number, data = args[0], cr2 = args[1],
 *                  error_code = args[2] (KVM_HC_MAP_GPA_RANGE: GPA, pages,
 *                  attributes; text "nr= a0= a1= a2=")
 */
struct exit_event {
	uint8_t kind;            /* enum exit_kind */
	uint8_t dir;             /* enum exit_dir */
	uint8_t size;
	uint8_t has_error_code;
	uint32_t error_code;
	uint64_t addr;
	uint64_t data;
	uint64_t rip;
	uint64_t cr2;
	/* The reference's instruction that produced the event, spaces made
	 * '_' ("rep_insb"); "" from KVM. Names trace divergences in
	 * signatures; never compared. */
	char by[16];
};

#define RAN_SLOTS 16
#define UNDEF_MEM_SLOTS 8
#define RAN_SLOT(rip) ((unsigned)((rip) ^ ((rip) >> 4)) & (RAN_SLOTS - 1))

struct end_state {
	uint64_t gpr[GPR_COUNT];
	uint64_t rip, rflags;
	uint64_t cr0, cr2, cr3, cr4, cr8, efer;
	uint16_t cs, ds, es, fs, gs, ss;
	/* XMM0-15: [i][0] bits 63:0, [i][1] bits 127:64. Every case starts
	 * with them zero (outside 64-bit mode only XMM0-7 exist; the others
	 * stay zero). MXCSR is not compared: only LDMXCSR/FXRSTOR/XRSTOR change
	 * it, and the reference does not model those. */
	uint64_t xmm[16][2];
};

/* Bits of outcome.unobserved. */
enum {
	OUTCOME_NO_TRACE = 1,       /* only the terminal event is known */
	OUTCOME_NO_SYSREGS = 2,     /* CR0..EFER and selectors are not known */
	OUTCOME_OWN_MMIO = 4,       /* MMIO reads outside the window are answered otherwise */
	OUTCOME_OWN_PORTS = 8,      /* port reads are answered otherwise */
	/* The side learns of a case's end from a frame pushed on the case's
	 * own stack (a VMM's runtime in 32-bit legacy modes at CPL0: the NMI
	 * that ends a HLT, an exception's handler): with the stack pointer
	 * off writable RAM it never hears back. */
	OUTCOME_FRAME_ON_STACK = 16,
	/* Reads of the MMIO window (layout.h LAYOUT_MMIO) too: a VMM that
	 * declares nothing of what it answers there. */
	OUTCOME_OWN_MMIO_WINDOW = 32,
};

struct outcome {
	uint32_t n_events;                      /* last one is terminal */
	struct exit_event events[TRACE_MAX];
	struct end_state state;
	/* RFLAGS bits the architecture leaves undefined after the
	 * instructions executed (reference only; 0 from KVM). Masked. */
	uint64_t undefined_flags;
	/* GPRs (1 << enum gpr) whose value no executor can predict: written
	 * by RDTSC, RDRAND, RDSEED and the like (reference only). Masked. */
	uint32_t undefined_gprs;
	/* GPRs (1 << enum gpr) that hold, or held, a value the host decides:
	 * CPUID's answers come from the calibrated table (reference only).
	 * Compared between executors like any other; a recorded expectation
	 * from another host says nothing about them (cli/cmd_replay.c). */
	uint32_t host_gprs;
	/* Bits of compared memory no executor can predict: an RFLAGS image
	 * with undefined status flags stored by PUSHF or an exception frame
	 * (reference only). Masked by the diff bit for bit. */
	uint32_t n_undefined_mem;
	struct undefined_mem {
		uint32_t addr;   /* guest address of the first byte */
		uint32_t mask;   /* undefined bits of the 4 bytes from addr */
	} undefined_mem[UNDEF_MEM_SLOTS];
	/* Mnemonic of the instruction that ended the case or of the
	 * unsupported one; "" when unknown (KVM). */
	char mnemonic[32];
	/* The instruction the reference ran just before that one ("" when
	 * none or KVM): a HLT that ends a case cannot make a register or the
	 * trace differ, so a signature that would name it names this one
	 * (core/diff.c; a case cut short at its first divergence ends in a
	 * HLT right after the culprit). Text format: "prev MNEMONIC". */
	char prev_mnemonic[16];
	/* Per-field mnemonic of the last instruction that wrote it, for
	 * signatures (reference only; "" when unknown). */
	char writer_gpr[GPR_COUNT][16];
	char writer_flags[16];
	char writer_mem[16];
	char writer_xmm[16];
	/* Instructions executed (reference), 0 when unknown. */
	uint32_t steps;
	/* What those instructions may have changed outside the registers
	 * compared here (INSN_STATE_*, with INSN_STATE_KNOWN; reference
	 * only, 0 when unknown): MSRs, XCR0, debug registers, FPU state. */
	uint32_t insn_state;
	/* What this executor cannot show (OUTCOME_NO_*), 0 for KVM and the
	 * reference: a VMM seen from inside its guest (vmm/) has no exit trace
	 * and no system registers; the diff leaves out what either side
	 * cannot show, and calls a case not comparable when the answer to a
	 * read it made comes from a device the reference does not model. */
	uint32_t unobserved;
	/* The reference read a byte a TMK's or VMM's runtime sets otherwise
	 * (layout_runtime_patched), or a page walk of it ended at an absent
	 * entry the runtime makes present: compared with a VMM, what follows
	 * is its runtime's doing. Reference only; never compared or printed. */
	uint8_t read_runtime_bytes;
	/* What the reference ran at its first RAN_SLOTS addresses (probed
	 * from an address hash: ran_find, ran_place), mnemonic spaces made '_': when KVM stops
	 * somewhere else than the reference (an emulation failure, say), the
	 * signature names the instruction at KVM's RIP. An empty mnemonic marks
	 * an empty slot (rip 0 is real mode's first IP). */
	struct ran_insn {
		uint64_t rip;
		char mnemonic[16];
	} ran[RAN_SLOTS];
	/* The run of the reference that wrote mem, 0 for any other writer
	 * (outcome_init clears it): given the outcome it filled last again,
	 * the reference copies only the blocks that changed since (ref_ram.c)
	 * instead of the whole window. A writer of mem that does not start
	 * with outcome_init clears it. Never compared or printed. */
	uint64_t mem_stamp;
	/* Guest memory LAYOUT_CMP_BASE .. +LAYOUT_CMP_SIZE at the end.
	 * 16-aligned (what malloc gives) so that its distance from the
	 * page-aligned guest RAM it is copied from is a multiple of 16: at a
	 * distance of 1-15 modulo 4096, glibc's memcpy of the window took 7 us
	 * instead of 0.45 (measured on AMD EPYC, 4K aliasing), every case of a
	 * run whose outcome happened to land there. */
	_Alignas(16) uint8_t mem[LAYOUT_CMP_SIZE];
};

const char *exit_kind_name(enum exit_kind k);
int exit_kind_from_name(const char *name); /* -1 when unknown */
int exit_kind_is_terminal(enum exit_kind k);
/* KVM exit reasons (kvm_exit_reasons.def), for OTHER events: the name of
 * a number (NULL when unknown), and the number of a name (-1). */
const char *kvm_exit_reason_name(uint64_t reason);
int kvm_exit_reason_from_name(const char *name);

/* Starts an empty outcome. */
void outcome_init(struct outcome *o);
/* Appends an event. When the trace is full, the last slot becomes a TIMEOUT
 * (event budget) and 0 is returned: the executor must stop. */
int outcome_push(struct outcome *o, const struct exit_event *e);
/* The terminal event (the last one), or NULL while the trace is empty. */
const struct exit_event *outcome_terminal(const struct outcome *o);

/* outcome.ran is probed linearly from RAN_SLOT(rip): the first RAN_SLOTS
 * addresses a case runs all keep their slot (KVM's emulator stops at the
 * first visit of an instruction it cannot run, often after the reference
 * ran a loop elsewhere, and lockstep shows both took the same path up to
 * there); later addresses are not kept. ran_find: the entry for rip, or
 * NULL. ran_place: the slot to store rip in, NULL when all are taken. */
static inline const struct ran_insn *ran_find(const struct outcome *o, uint64_t rip)
{
	for (unsigned i = 0; i < RAN_SLOTS; i++) {
		const struct ran_insn *r = &o->ran[(RAN_SLOT(rip) + i) & (RAN_SLOTS - 1)];
		if (!r->mnemonic[0])
			return NULL;
		if (r->rip == rip)
			return r;
	}
	return NULL;
}

static inline struct ran_insn *ran_place(struct outcome *o, uint64_t rip)
{
	for (unsigned i = 0; i < RAN_SLOTS; i++) {
		struct ran_insn *r = &o->ran[(RAN_SLOT(rip) + i) & (RAN_SLOTS - 1)];
		if (!r->mnemonic[0] || r->rip == rip)
			return r;
	}
	return NULL;
}

#endif
