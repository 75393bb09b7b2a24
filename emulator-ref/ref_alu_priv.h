/* Private to the arithmetic/logic family (ref_alu*.c): the flag arithmetic
 * every handler shares and the handlers the fragment in ref_alu.c lists but
 * other files of the family define. Nothing outside the family includes it. */
#ifndef EXITDIFF_REF_ALU_PRIV_H
#define EXITDIFF_REF_ALU_PRIV_H

#include "ref_internal.h"

/* Bails out of a handler when an operand access raised a fault: the fault
 * already pushed its terminal event, nothing else may change. */
#define ALU_TRY(expr) do { if ((expr) < 0) return REF_STOP; } while (0)

static inline unsigned alu_bits(unsigned size)
{
	return 8 * size;
}

static inline uint64_t alu_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static inline uint64_t alu_msb(unsigned size)
{
	return 1ull << (8 * size - 1);
}

/* Sign-extends the low size bytes of v to 64 bits. */
static inline int64_t alu_sext(uint64_t v, unsigned size)
{
	unsigned sh = 64 - 8 * size;
	return (int64_t)(v << sh) >> sh;
}

/* SF, ZF and PF of a result (SDM Vol. 1 3.4.3.1): SF is its most
 * significant bit, ZF says it is zero, PF says its LOW BYTE has an even
 * number of set bits. Computed by counting, not by host flags. */
static inline uint64_t alu_szp(uint64_t r, unsigned size)
{
	uint64_t f = 0;
	r &= alu_mask(size);
	if (r & alu_msb(size))
		f |= RFLAGS_SF;
	if (r == 0)
		f |= RFLAGS_ZF;
	if (!(__builtin_popcount((unsigned)(r & 0xff)) & 1))
		f |= RFLAGS_PF;
	return f;
}

/* Handlers defined in ref_alu_shift.c and ref_alu_muldiv.c. */
enum ref_status ref_alu_shift(struct ref_cpu *cpu, const cs_insn *insn);
enum ref_status ref_alu_rotate(struct ref_cpu *cpu, const cs_insn *insn);
enum ref_status ref_alu_mul(struct ref_cpu *cpu, const cs_insn *insn);
enum ref_status ref_alu_imul(struct ref_cpu *cpu, const cs_insn *insn);
enum ref_status ref_alu_div(struct ref_cpu *cpu, const cs_insn *insn);

/* Status flags of r = a + b (+ carry in) and r = a - b (- borrow in) in
 * size bytes, from the carry/borrow vectors (ref_alu.c). Shared by every
 * family that adds or compares: XADD, CMPXCHG, SCAS, CMPS. */
uint64_t ref_add_flags(uint64_t a, uint64_t b, uint64_t r, unsigned size);
uint64_t ref_sub_flags(uint64_t a, uint64_t b, uint64_t r, unsigned size);

#endif
