/* Shifts and rotates: SHL/SAL SHR SAR ROL ROR RCL RCR, every count form
 * (1, CL, imm8) and operand size. SDM Vol. 2B "SAL/SAR/SHL/SHR" and
 * "RCL/RCR/ROL/ROR", Operation and Flags Affected.
 *
 * Shared rules:
 *  - The count is masked to 5 bits, or 6 bits for a 64-bit operand.
 *  - A masked count of 0 changes no flag at all. The destination is still
 *    written: measured on an Intel host, `shl eax, cl` with CL = 0
 *    zero-extends RAX, and a shift by 0 of a read-only memory operand
 *    raises a write fault. So the write is unconditional.
 *  - OF is defined only for a masked count of 1; AF (shifts) is undefined
 *    for any non-zero count. */
#include "ref_alu_priv.h"

/* Reads destination then count; size and masked count out. */
static int shift_operands(struct ref_cpu *cpu, uint64_t *a, unsigned *size,
			  unsigned *count)
{
	uint64_t c;
	if (ref_read_op_rmw(cpu, 0, a) < 0 || ref_read_op(cpu, 1, &c) < 0)
		return -1;
	*size = ref_op_size(cpu, 0);
	*a &= alu_mask(*size);
	*count = (unsigned)(c & (*size == 8 ? 0x3f : 0x1f));
	return 0;
}

/* SHL/SAL, SHR, SAR. */
enum ref_status ref_alu_shift(struct ref_cpu *cpu, const cs_insn *insn)
{
	if (insn->detail->x86.op_count != 2)
		return REF_UNSUPPORTED;
	uint64_t a;
	unsigned size, c;
	ALU_TRY(shift_operands(cpu, &a, &size, &c));
	const unsigned w = alu_bits(size);
	const uint64_t m = alu_mask(size), msb = alu_msb(size);
	uint64_t r, cf, of = 0;
	/* CF is "undefined for SHL and SHR instructions where the count is
	 * greater than or equal to the size (in bits) of the destination
	 * operand": reachable only for 8- and 16-bit operands (count <= 31). */
	int cf_undefined = 0;

	if (c == 0) {
		ALU_TRY(ref_write_op(cpu, 0, a));
		return REF_NEXT;
	}
	switch (insn->id) {
	case X86_INS_SHL:
	case X86_INS_SAL:
		if (c < w) {
			r = (a << c) & m;
			cf = (a >> (w - c)) & 1;
		} else {
			r = 0;
			cf = c == w ? (a & 1) : 0;
			cf_undefined = 1;
		}
		of = !!(r & msb) ^ cf;         /* count 1 only */
		break;
	case X86_INS_SHR:
		if (c < w) {
			r = a >> c;
			cf = (a >> (c - 1)) & 1;
		} else {
			r = 0;
			cf = c == w ? !!(a & msb) : 0;
			cf_undefined = 1;
		}
		of = !!(a & msb);              /* count 1: MSB of the original */
		break;
	default: { /* SAR: fills with the sign; c <= 63 keeps >> defined */
		int64_t s = alu_sext(a, size);
		unsigned k = c < w ? c : w - 1;  /* beyond w-1 all bits are sign */
		r = (uint64_t)(s >> k) & m;
		cf = (uint64_t)(s >> (c <= w ? c - 1 : w - 1)) & 1;
		of = 0;                        /* count 1: cleared */
		break;
	}
	}

	ALU_TRY(ref_write_op(cpu, 0, r));
	uint64_t def = RFLAGS_SF | RFLAGS_ZF | RFLAGS_PF;
	uint64_t f = alu_szp(r, size);
	if (!cf_undefined) {
		def |= RFLAGS_CF;
		f |= cf ? RFLAGS_CF : 0;
	}
	if (c == 1) {
		def |= RFLAGS_OF;
		f |= of ? RFLAGS_OF : 0;
	}
	ref_set_flags(cpu, def, f);
	ref_undefine_flags(cpu, RFLAGS_STATUS & ~def);
	return REF_NEXT;
}

/* ROL ROR RCL RCR: only CF and OF change. ROL/ROR rotate by the masked
 * count modulo the width; RCL/RCR rotate the (width+1)-bit value CF:dest,
 * so 8- and 16-bit counts are taken modulo 9 and 17 (SDM Vol. 2B RCL
 * Operation, tempCOUNT). */
enum ref_status ref_alu_rotate(struct ref_cpu *cpu, const cs_insn *insn)
{
	if (insn->detail->x86.op_count != 2)
		return REF_UNSUPPORTED;
	uint64_t a;
	unsigned size, c;
	ALU_TRY(shift_operands(cpu, &a, &size, &c));
	const unsigned w = alu_bits(size);
	const uint64_t m = alu_mask(size), msb = alu_msb(size);
	uint64_t r = a, cf = !!(cpu->rflags & RFLAGS_CF), of;

	if (c == 0) {
		ALU_TRY(ref_write_op(cpu, 0, a));
		return REF_NEXT;
	}
	switch (insn->id) {
	case X86_INS_ROL: {
		unsigned k = c % w;
		if (k)
			r = ((a << k) | (a >> (w - k))) & m;
		cf = r & 1;                            /* LSB(result) */
		of = !!(r & msb) ^ cf;
		break;
	}
	case X86_INS_ROR: {
		unsigned k = c % w;
		if (k)
			r = ((a >> k) | (a << (w - k))) & m;
		cf = !!(r & msb);                      /* MSB(result) */
		of = cf ^ !!(r & (msb >> 1));          /* two top bits */
		break;
	}
	case X86_INS_RCL: {
		unsigned k = w < 32 ? c % (w + 1) : c;
		/* One bit at a time, as the SDM's Operation loop: at most
		 * 63 steps, and no (w+1)-bit arithmetic to get wrong. */
		for (; k; k--) {
			uint64_t out = !!(r & msb);
			r = ((r << 1) | cf) & m;
			cf = out;
		}
		of = !!(r & msb) ^ cf;
		break;
	}
	default: { /* RCR: OF is MSB(dest) XOR CF before rotating */
		unsigned k = w < 32 ? c % (w + 1) : c;
		of = !!(a & msb) ^ cf;
		for (; k; k--) {
			uint64_t out = r & 1;
			r = (r >> 1) | (cf ? msb : 0);
			cf = out;
		}
		break;
	}
	}

	ALU_TRY(ref_write_op(cpu, 0, r));
	if (c == 1) {
		ref_set_flags(cpu, RFLAGS_CF | RFLAGS_OF,
			      (cf ? RFLAGS_CF : 0) | (of ? RFLAGS_OF : 0));
	} else {
		ref_set_flags(cpu, RFLAGS_CF, cf ? RFLAGS_CF : 0);
		ref_undefine_flags(cpu, RFLAGS_OF);
	}
	return REF_NEXT;
}
