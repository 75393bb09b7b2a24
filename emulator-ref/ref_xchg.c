/* Exchange-and-operate instructions: XADD, CMPXCHG, CMPXCHG8B, CMPXCHG16B.
 * SDM Vol. 2B XADD, Vol. 2A CMPXCHG and CMPXCHG8B/CMPXCHG16B.
 *
 * Memory destinations are read with the read-modify-write access (a fault
 * reports W=1) and written before any register changes, so a faulting
 * write leaves the state untouched. On a failed compare the destination is
 * still written with its old value: "The destination operand is written
 * back if the comparison fails" (SDM CMPXCHG), which an MMIO destination
 * makes visible as a write event. */
#include "ref_alu_priv.h"
#include "ref_ext_priv.h"

/* Carry vector of a + b = r: CF its top bit, AF the carry into bit 4, OF
 * when both inputs share a sign the result lacks (SDM Vol. 1 3.4.3.1). */
/* XADD: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP, flags as ADD. With
 * both operands the same register the second write wins: the sum. */
static enum ref_status xchg_xadd(struct ref_cpu *cpu, const cs_insn *insn)
{
	if (insn->detail->x86.op_count != 2)
		return REF_UNSUPPORTED;
	const unsigned size = ref_op_size(cpu, 0);
	const uint64_t m = alu_mask(size);
	uint64_t d, s;
	ALU_TRY(ref_read_op_rmw(cpu, 0, &d));
	ALU_TRY(ref_read_op(cpu, 1, &s));
	d &= m;
	s &= m;
	uint64_t r = (d + s) & m;
	if (insn->detail->x86.operands[0].type == X86_OP_MEM) {
		ALU_TRY(ref_write_op(cpu, 0, r));
		ALU_TRY(ref_write_op(cpu, 1, d));
	} else {
		ALU_TRY(ref_write_op(cpu, 1, d));
		ALU_TRY(ref_write_op(cpu, 0, r));
	}
	ref_set_flags(cpu, RFLAGS_STATUS, ref_add_flags(d, s, r, size));
	return REF_NEXT;
}

static x86_reg acc_of(unsigned size)
{
	return size == 1 ? X86_REG_AL : size == 2 ? X86_REG_AX :
	       size == 4 ? X86_REG_EAX : X86_REG_RAX;
}

/* CMPXCHG dest, src: flags of CMP acc, dest. Equal: ZF = 1, DEST = SRC,
 * the accumulator is not written (RAX keeps bits 63:32 with a 32-bit
 * operand). Else: ZF = 0, acc = DEST (a 32-bit write zero-extends), and
 * DEST is written back with its own value. */
static enum ref_status xchg_cmpxchg(struct ref_cpu *cpu, const cs_insn *insn)
{
	if (insn->detail->x86.op_count != 2)
		return REF_UNSUPPORTED;
	const unsigned size = ref_op_size(cpu, 0);
	const uint64_t m = alu_mask(size);
	const x86_reg acc = acc_of(size);
	uint64_t d, s, a = ref_get_reg(cpu, acc) & m;
	ALU_TRY(ref_read_op_rmw(cpu, 0, &d));
	ALU_TRY(ref_read_op(cpu, 1, &s));
	d &= m;
	s &= m;
	const int mem = insn->detail->x86.operands[0].type == X86_OP_MEM;
	if (a == d) {
		ALU_TRY(ref_write_op(cpu, 0, s));
	} else {
		if (mem)
			ALU_TRY(ref_write_op(cpu, 0, d));
		else
			/* A register destination keeps its value (measured: a
			 * 32-bit one keeps bits 63:32), but it is still this
			 * instruction's operand: a differing value there is
			 * named by it. */
			ref_note_gpr_write(cpu, ref_reg_gpr(insn->detail->x86.operands[0].reg));
		ref_set_reg(cpu, acc, d);
		ref_note_gpr_write(cpu, RAX);
	}
	ref_set_flags(cpu, RFLAGS_STATUS, ref_cmp_flags(a, d, size));
	return REF_NEXT;
}

/* CMPXCHG8B m64 / CMPXCHG16B m128 (REX.W): compare EDX:EAX (RDX:RAX) with
 * the operand; equal: ZF = 1 and ECX:EBX (RCX:RBX) is stored; else ZF = 0,
 * the operand is loaded into EDX:EAX (RDX:RAX) and written back. Only ZF
 * changes. CMPXCHG16B needs a 16-byte aligned operand, else #GP(0), and
 * CPUID.01H:ECX.CX16[bit 13]. The aligned 16 bytes share one page, so the
 * first half's write check covers the second. */
static enum ref_status xchg_cmpxchg8b(struct ref_cpu *cpu, const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;
	if (x->op_count != 1 || x->operands[0].type != X86_OP_MEM)
		return REF_UNSUPPORTED;
	const int wide = insn->id == X86_INS_CMPXCHG16B;
	const enum ref_seg seg = ref_op_seg(cpu, 0);
	const uint64_t la = ref_op_addr(cpu, 0);
	uint64_t lo, hi = 0;
	if (wide) {
		const struct cpuid_entry *e = cpuid_lookup(cpu->cpuid, 1, 0);
		if (!e)
			return REF_UNSUPPORTED;
		if (!(e->ecx & (1u << 13)))
			return ref_raise(cpu, 6, 0, 0);
		if (la & 15)
			return ref_raise(cpu, 13, 1, 0);
		ALU_TRY(ref_mem_read_rmw(cpu, seg, la, 8, &lo));
		ALU_TRY(ref_mem_read_rmw(cpu, seg, la + 8, 8, &hi));
	} else {
		uint64_t v;
		ALU_TRY(ref_mem_read_rmw(cpu, seg, la, 8, &v));
		lo = v & 0xffffffffu;
		hi = v >> 32;
	}
	const uint64_t hm = wide ? ~0ull : 0xffffffffu;
	const uint64_t ax = cpu->gpr[RAX] & hm, dx = cpu->gpr[RDX] & hm;
	const int eq = ax == lo && dx == hi;
	uint64_t nlo = eq ? (cpu->gpr[RBX] & hm) : lo, nhi = eq ? (cpu->gpr[RCX] & hm) : hi;
	if (wide) {
		ALU_TRY(ref_mem_write(cpu, seg, la, 8, nlo));
		ALU_TRY(ref_mem_write(cpu, seg, la + 8, 8, nhi));
	} else {
		ALU_TRY(ref_mem_write(cpu, seg, la, 8, nlo | (nhi << 32)));
	}
	if (!eq) {
		/* 32-bit loads into EAX/EDX zero-extend (SDM Vol. 1 3.4.1.1). */
		cpu->gpr[RAX] = lo;
		cpu->gpr[RDX] = hi;
		ref_note_gpr_write(cpu, RAX);
		ref_note_gpr_write(cpu, RDX);
	}
	ref_set_flags(cpu, RFLAGS_ZF, eq ? RFLAGS_ZF : 0);
	return REF_NEXT;
}

const struct ref_sem ref_sem_xchg[] = {
	{ X86_INS_XADD, xchg_xadd },
	{ X86_INS_CMPXCHG, xchg_cmpxchg },
	{ X86_INS_CMPXCHG8B, xchg_cmpxchg8b },
	{ X86_INS_CMPXCHG16B, xchg_cmpxchg8b },
};
const unsigned ref_sem_xchg_count = sizeof(ref_sem_xchg) / sizeof(ref_sem_xchg[0]);
