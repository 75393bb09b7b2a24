/* MUL, IMUL (one, two and three operands), DIV, IDIV. SDM Vol. 2A "DIV",
 * "IDIV", "IMUL", Vol. 2B "MUL".
 *
 * The one-operand forms use the accumulator pair implicitly: AX = AL * src
 * for bytes, else rDX:rAX; DIV and IDIV divide AX (bytes: quotient in AL,
 * remainder in AH) or rDX:rAX. Products and dividends are computed in 128
 * bits (GCC __int128), so nothing here relies on host flags or on
 * undefined C overflow.
 *
 * Flags: MUL/IMUL set CF = OF = "the upper half is significant", SF ZF AF PF
 * undefined; DIV/IDIV leave all six undefined. A divide error (#DE, vector
 * 0) is a fault: every register and flag stays as it was (SDM Vol. 3A 6.15
 * "Interrupt 0"). */
#include "ref_alu_priv.h"

typedef unsigned __int128 u128;
typedef __int128 s128;

#define MULDIV_UNDEF (RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF)

/* Accumulator pair per operand size: low half, high half (AH is the high
 * half of AX for bytes, written together as AX). */
static const struct acc_pair {
	x86_reg lo, hi;
} acc[9] = {
	[1] = { X86_REG_AL,  X86_REG_AH },
	[2] = { X86_REG_AX,  X86_REG_DX },
	[4] = { X86_REG_EAX, X86_REG_EDX },
	[8] = { X86_REG_RAX, X86_REG_RDX },
};

static int size_ok(unsigned size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

/* Writes the double-width value hi:lo of size bytes each to the pair. */
static void acc_write(struct ref_cpu *cpu, unsigned size, uint64_t lo, uint64_t hi)
{
	if (size == 1) {
		ref_set_reg(cpu, X86_REG_AX, (lo & 0xff) | ((hi & 0xff) << 8));
	} else {
		ref_set_reg(cpu, acc[size].lo, lo);
		ref_set_reg(cpu, acc[size].hi, hi);
		ref_note_gpr_write(cpu, RDX);
	}
	ref_note_gpr_write(cpu, RAX);
}

static void mul_flags(struct ref_cpu *cpu, int significant)
{
	ref_set_flags(cpu, RFLAGS_CF | RFLAGS_OF,
		      significant ? (RFLAGS_CF | RFLAGS_OF) : 0);
	ref_undefine_flags(cpu, MULDIV_UNDEF);
}

enum ref_status ref_alu_mul(struct ref_cpu *cpu, const cs_insn *insn)
{
	if (insn->detail->x86.op_count != 1)
		return REF_UNSUPPORTED;
	const unsigned size = ref_op_size(cpu, 0);
	if (!size_ok(size))
		return REF_UNSUPPORTED;
	uint64_t src;
	ALU_TRY(ref_read_op(cpu, 0, &src));
	const unsigned w = alu_bits(size);
	const uint64_t m = alu_mask(size);
	u128 p = (u128)(ref_get_reg(cpu, acc[size].lo) & m) * (src & m);
	uint64_t lo = (uint64_t)p & m, hi = (uint64_t)(p >> w) & m;
	acc_write(cpu, size, lo, hi);
	mul_flags(cpu, hi != 0);
	return REF_NEXT;
}

/* IMUL: one operand -> double-width result in the pair; two operands
 * dest *= src; three operands dest = src * imm. In every form CF = OF =
 * "the signed product does not fit the destination" (SDM Vol. 2A IMUL). */
enum ref_status ref_alu_imul(struct ref_cpu *cpu, const cs_insn *insn)
{
	const unsigned n = insn->detail->x86.op_count;
	if (n < 1 || n > 3)
		return REF_UNSUPPORTED;
	const unsigned size = ref_op_size(cpu, 0);
	if (!size_ok(size))
		return REF_UNSUPPORTED;
	const unsigned w = alu_bits(size);
	const uint64_t m = alu_mask(size);
	uint64_t a, b;
	if (n == 1) {
		ALU_TRY(ref_read_op(cpu, 0, &b));
		a = ref_get_reg(cpu, acc[size].lo);
	} else {
		/* 2 operands: dest, src; 3 operands: dest, src, imm. */
		ALU_TRY(ref_read_op(cpu, n - 2, &a));
		ALU_TRY(ref_read_op(cpu, n - 1, &b));
	}
	s128 p = (s128)alu_sext(a, size) * (s128)alu_sext(b, size);
	uint64_t lo = (uint64_t)p & m;
	int significant = (s128)alu_sext(lo, size) != p;
	if (n == 1) {
		acc_write(cpu, size, lo, (uint64_t)(p >> w) & m);
	} else {
		ALU_TRY(ref_write_op(cpu, 0, lo));
	}
	mul_flags(cpu, significant);
	return REF_NEXT;
}

/* DIV and IDIV. #DE when the divisor is 0 or the quotient does not fit
 * the destination half (SDM Vol. 2A DIV/IDIV Operation); for IDIV that
 * includes the most negative dividend divided by -1. */
enum ref_status ref_alu_div(struct ref_cpu *cpu, const cs_insn *insn)
{
	if (insn->detail->x86.op_count != 1)
		return REF_UNSUPPORTED;
	const unsigned size = ref_op_size(cpu, 0);
	if (!size_ok(size))
		return REF_UNSUPPORTED;
	uint64_t src;
	ALU_TRY(ref_read_op(cpu, 0, &src));
	const unsigned w = alu_bits(size);
	const uint64_t m = alu_mask(size);
	src &= m;
	/* The dividend: AX for bytes, else hi:lo of the pair. */
	uint64_t dlo, dhi;
	if (size == 1) {
		uint64_t ax = ref_get_reg(cpu, X86_REG_AX);
		dlo = ax & 0xff;
		dhi = ax >> 8;
	} else {
		dlo = ref_get_reg(cpu, acc[size].lo) & m;
		dhi = ref_get_reg(cpu, acc[size].hi) & m;
	}
	const u128 dividend = ((u128)dhi << w) | dlo;
	if (src == 0)
		return ref_raise(cpu, 0, 0, 0);

	uint64_t q, r;
	if (insn->id == X86_INS_DIV) {
		u128 uq = dividend / src;
		if (uq > m)
			return ref_raise(cpu, 0, 0, 0);
		q = (uint64_t)uq;
		r = (uint64_t)(dividend % src);
	} else {
		/* Sign-extend the 2w-bit dividend to 128 bits. */
		s128 sd = (s128)(dividend << (128 - 2 * w)) >> (128 - 2 * w);
		s128 sv = alu_sext(src, size);
		s128 sq, sr;
		if (sv == -1) {
			/* Avoid C's INT128_MIN / -1; any dividend whose
			 * negation leaves the range faults below anyway. */
			if (w == 64 && sd == (s128)((u128)1 << 127))
				return ref_raise(cpu, 0, 0, 0);
			sq = -sd;
			sr = 0;
		} else {
			sq = sd / sv;   /* truncates toward 0, as IDIV */
			sr = sd % sv;   /* sign of the dividend, as IDIV */
		}
		const s128 max = ((s128)1 << (w - 1)) - 1, min = -max - 1;
		if (sq > max || sq < min)
			return ref_raise(cpu, 0, 0, 0);
		q = (uint64_t)sq & m;
		r = (uint64_t)sr & m;
	}
	acc_write(cpu, size, q, r);
	ref_undefine_flags(cpu, RFLAGS_STATUS);
	return REF_NEXT;
}
