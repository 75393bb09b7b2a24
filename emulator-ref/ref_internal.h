/*
 * The reference executor's internal contract: the CPU state, the services
 * every semantics handler uses (operands, memory, stack, flags, faults) and
 * the shape of the semantics tables.
 *
 * Semantics live in tables keyed by Capstone instruction id. Each family
 * file (ref_alu.c, ref_ctl.c, ...) exports one fragment; ref_table.c merges
 * them into a dense array at start-up. An id absent from every fragment ends
 * the case with UNSUPPORTED and the mnemonic.
 */
#ifndef EXITDIFF_REF_INTERNAL_H
#define EXITDIFF_REF_INTERNAL_H

#include <stdint.h>
#include <capstone/capstone.h>
#include "../core/case.h"
#include "../core/outcome.h"
#include "../core/executor.h"

enum ref_seg { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_COUNT };

struct ref_cpu {
	uint64_t gpr[GPR_COUNT];
	uint64_t rip;        /* address of the instruction being executed */
	uint64_t next_rip;   /* rip + length; a taken branch overwrites it */
	uint64_t rflags;
	uint64_t cr0, cr2, cr3, cr4, cr8, efer;
	uint16_t sel[SEG_COUNT];
	uint64_t seg_base[SEG_COUNT]; /* only FS and GS bases matter in 64-bit */
	uint8_t *ram;        /* LAYOUT_RAM_SIZE bytes, GPA 0 at ram[0] */
	struct outcome *out;
	const struct cpuid_table *cpuid;
	const cs_insn *insn; /* the instruction being executed */
	/* RFLAGS bits currently undefined: set by an instruction that leaves
	 * them undefined, cleared by one that defines them (SDM Vol. 1 3.4.3
	 * and each instruction's "Flags Affected"). */
	uint64_t undefined_flags;
};

/* What a handler tells the run loop. */
enum ref_status {
	REF_NEXT = 0,        /* retire: rip = next_rip, run the next one */
	REF_STOP,            /* a terminal event was pushed (HLT, exception,
				trace full): the case ends */
	REF_UNSUPPORTED,     /* this form is not modeled: ends UNSUPPORTED */
};

typedef enum ref_status (*ref_handler)(struct ref_cpu *cpu, const cs_insn *insn);

struct ref_sem {
	unsigned id;         /* X86_INS_* */
	ref_handler fn;
};

/* Table fragments, one per family file; ref_table.c merges them. */
extern const struct ref_sem ref_sem_alu[];   /* ref_alu.c: arithmetic, logic,
						shifts, mul/div, setcc, cmov,
						flag instructions */
extern const unsigned ref_sem_alu_count;
extern const struct ref_sem ref_sem_ctl[];   /* ref_ctl.c: mov family, lea,
						xchg, push/pop, call/ret/jmp/
						jcc/loop, nop, hlt, ud2, int3,
						in/out, cpuid */
extern const unsigned ref_sem_ctl_count;

/* The merged table (NULL entries: UNSUPPORTED). */
ref_handler ref_lookup(unsigned insn_id);

/* ---- registers (Capstone register ids) ---------------------------------
 * ref_get_reg returns the value zero-extended to 64 bits (AH reads bits
 * 15:8). ref_set_reg follows the architecture: a 32-bit write zero-extends
 * into the full register, 8/16-bit writes merge (SDM Vol. 1 3.4.1.1). */
uint64_t ref_get_reg(const struct ref_cpu *cpu, x86_reg r);
void ref_set_reg(struct ref_cpu *cpu, x86_reg r, uint64_t v);
unsigned ref_reg_size(x86_reg r);             /* bytes: 1, 2, 4, 8 */
int ref_reg_gpr(x86_reg r);                   /* enum gpr, or -1 */

/* ---- operands of the current instruction --------------------------------
 * Index i is into insn->detail->x86.operands. Values are zero-extended;
 * immediates are sign-extended by Capstone to the operand size, and then
 * truncated to op.size bytes. Return 0, or -1 when a fault was raised (the
 * handler must then return REF_STOP). */
int ref_read_op(struct ref_cpu *cpu, int i, uint64_t *v);
int ref_write_op(struct ref_cpu *cpu, int i, uint64_t v);
/* Linear address of memory operand i (segment base applied for FS/GS;
 * address-size override truncates to 32 bits). */
uint64_t ref_op_addr(const struct ref_cpu *cpu, int i);
unsigned ref_op_size(const struct ref_cpu *cpu, int i);

/* ---- memory --------------------------------------------------------------
 * Linear accesses through the 4-level page walk. seg selects #SS (SEG_SS)
 * or #GP (others) for non-canonical addresses; a walk failure raises #PF
 * with the SDM error code and CR2. An access to the MMIO window pushes an
 * MMIO event (reads answered with ENV_MMIO_READ_BYTE bytes). size <= 8. */
int ref_mem_read(struct ref_cpu *cpu, enum ref_seg seg, uint64_t la,
		 unsigned size, uint64_t *v);
int ref_mem_write(struct ref_cpu *cpu, enum ref_seg seg, uint64_t la,
		  unsigned size, uint64_t v);
/* Instruction fetch of up to 15 bytes at la: fills buf, returns the number
 * of bytes readable before a fault (the decoder decides if that suffices). */
unsigned ref_fetch(struct ref_cpu *cpu, uint64_t la, uint8_t *buf, unsigned n,
		   uint64_t *fault_la);

/* ---- stack (64-bit mode: RSP, size 8 or 2) ------------------------------ */
int ref_push(struct ref_cpu *cpu, uint64_t v, unsigned size);
int ref_pop(struct ref_cpu *cpu, uint64_t *v, unsigned size);

/* ---- flags -----------------------------------------------------------------
 * ref_set_flags writes the bits of mask from values and marks them defined;
 * ref_undefine_flags marks bits undefined (their value is then masked in
 * comparisons). Both record the writer mnemonic for signatures. */
void ref_set_flags(struct ref_cpu *cpu, uint64_t mask, uint64_t values);
void ref_undefine_flags(struct ref_cpu *cpu, uint64_t mask);
/* Evaluates a condition code 0..15 (the low nibble of Jcc/SETcc/CMOVcc
 * opcodes: O, NO, B, AE, E, NE, BE, A, S, NS, P, NP, L, GE, LE, G). */
int ref_cond(const struct ref_cpu *cpu, unsigned cc);
/* The condition nibble of a Jcc/SETcc/CMOVcc Capstone id, or -1. */
int ref_cond_of_insn(unsigned insn_id);

/* ---- events and faults --------------------------------------------------- */
/* Raises an exception: pushes the EXCEPTION event (faulting RIP = cpu->rip,
 * or next_rip for traps the caller passes as rip), and the end state is the
 * state at that point. Always returns REF_STOP. */
enum ref_status ref_raise(struct ref_cpu *cpu, unsigned vector,
			  int has_error_code, uint32_t error_code);
/* Pushes an I/O or MMIO event; returns 0, or -1 when the trace is full
 * (a TIMEOUT was pushed: return REF_STOP). */
int ref_event(struct ref_cpu *cpu, const struct exit_event *e);
/* Records mnemonic of the current instruction as the writer of GPR r. */
void ref_note_gpr_write(struct ref_cpu *cpu, int gpr);

#endif
