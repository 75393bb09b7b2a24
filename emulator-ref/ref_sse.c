/* SSE data moves and bitwise logic on XMM registers: MOVAPS MOVUPS MOVAPD
 * MOVUPD MOVDQA MOVDQU, MOVD/MOVQ between XMM and GPRs or memory, MOVQ
 * xmm/m64, PXOR PAND PANDN POR and their PS/PD twins. SDM Vol. 2B MOVAPS,
 * MOVUPS, MOVDQA, MOVDQU, MOVD/MOVQ, PXOR, PAND, PANDN, POR; Vol. 1 11.4
 * and Vol. 2A 2.4 table 2-18 for alignment.
 *
 * ref_fpsse.c has already raised #UD/#NM by CR0 and CR4 when a handler
 * here runs. XMM0-15 start at zero (the end state reports them). A legacy
 * SSE instruction's 128-bit memory operand must be 16-byte aligned (#GP(0)
 * otherwise) except for the U forms (MOVUPS MOVUPD MOVDQU). The MMX forms
 * of MOVD/MOVQ (MM registers) stay unsupported: the end state has no MMX
 * registers. A 16-byte access that crosses a 4 KiB boundary is not modeled
 * (done as two 8-byte halves, its faults and MMIO exits could come out in
 * a different order than the CPU's single access). */
#include "ref_internal.h"

static int xmm_index(x86_reg r)
{
	return r >= X86_REG_XMM0 && r <= X86_REG_XMM15 ? (int)(r - X86_REG_XMM0) : -1;
}

static void note_xmm(struct ref_cpu *cpu, int x, uint64_t lo, uint64_t hi)
{
	cpu->xmm[x][0] = lo;
	cpu->xmm[x][1] = hi;
	ref_note_xmm_write(cpu);
}

/* The address of 16-byte memory operand i, after the alignment rule
 * (aligned: #GP(0) unless 16-byte aligned). Returns 0 with *la set, -1
 * after raising, 1 when not modeled (it crosses a 4 KiB boundary). */
static int addr128(struct ref_cpu *cpu, int i, int aligned, uint64_t *la)
{
	*la = ref_op_addr(cpu, i);
	if (aligned && (*la & 15))
		return ref_raise(cpu, 13, 1, 0), -1;
	return (*la & 0xfff) > 0xff0;
}

static int mem_read128(struct ref_cpu *cpu, int i, int aligned, uint64_t v[2])
{
	uint64_t la;
	int r = addr128(cpu, i, aligned, &la);
	if (r)
		return r;
	enum ref_seg s = ref_op_seg(cpu, i);
	if (ref_mem_read(cpu, s, la, 8, &v[0]) < 0 || ref_mem_read(cpu, s, la + 8, 8, &v[1]) < 0)
		return -1;
	return 0;
}

static int mem_write128(struct ref_cpu *cpu, int i, int aligned, const uint64_t v[2])
{
	uint64_t la;
	int r = addr128(cpu, i, aligned, &la);
	if (r)
		return r;
	enum ref_seg s = ref_op_seg(cpu, i);
	if (ref_mem_write(cpu, s, la, 8, v[0]) < 0 || ref_mem_write(cpu, s, la + 8, 8, v[1]) < 0)
		return -1;
	return 0;
}

/* The F2/F3 prefix that selects the opcode (the last one), or 0. With 66h
 * as well, F2/F3 still selects, whatever the order (66 F3 0F 7E and F3 66
 * 0F 7E are both MOVQ xmm, xmm/m64; F2/F3 with an opcode that has only
 * NP/66h forms is #UD: SDM Vol. 2A 2.1.2, Vol. 2 App. A table A-3;
 * measured natively at CPL3). Capstone 4 honours F2/F3 only when it comes
 * after the 66h, so the bytes decide here. */
static uint8_t sse_rep_prefix(const cs_insn *insn)
{
	uint8_t last = 0;
	for (unsigned i = 0; i < insn->size; i++) {
		uint8_t b = insn->bytes[i];
		if (b == 0xf2 || b == 0xf3)
			last = b;
		else if (!(b == 0xf0 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x26 ||
			   b == 0x64 || b == 0x65 || b == 0x66 || b == 0x67))
			break;
	}
	return last;
}

#define SSE_TRY(expr) do { \
		int r_ = (expr); \
		if (r_ < 0) \
			return REF_STOP; \
		if (r_ > 0) \
			return REF_UNSUPPORTED; \
	} while (0)

/* The 128-bit source operand i: an XMM register or memory. */
static int src128(struct ref_cpu *cpu, int i, int aligned, uint64_t v[2])
{
	const cs_x86_op *o = &cpu->insn->detail->x86.operands[i];
	int x = o->type == X86_OP_REG ? xmm_index(o->reg) : -1;
	if (x >= 0) {
		v[0] = cpu->xmm[x][0];
		v[1] = cpu->xmm[x][1];
		return 0;
	}
	if (o->type != X86_OP_MEM)
		return 1;
	return mem_read128(cpu, i, aligned, v);
}

/* MOVAPS/MOVUPS/MOVAPD/MOVUPD/MOVDQA/MOVDQU, loads, stores and register
 * copies alike. */
static enum ref_status sse_mov128(struct ref_cpu *cpu, const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;
	int aligned = insn->id == X86_INS_MOVAPS || insn->id == X86_INS_MOVAPD ||
		      insn->id == X86_INS_MOVDQA;
	if (x->op_count != 2)
		return REF_UNSUPPORTED;
	/* 0F 6F/7F: F3 makes it MOVDQU (no alignment rule), F2 is #UD, even
	 * where Capstone says MOVDQA (F3 66 0F 6F). */
	if (insn->id == X86_INS_MOVDQA || insn->id == X86_INS_MOVDQU) {
		uint8_t rep = sse_rep_prefix(insn);
		if (rep == 0xf2)
			return ref_raise(cpu, 6, 0, 0);
		aligned = rep != 0xf3;
	}
	/* Only MOVDQU (F3 0F 6F/7F) takes F2/F3 here. Capstone 4 names
	 * F2/F3 0F 10/11 (MOVSD/MOVSS) MOVUPS in 16-bit code, which moves
	 * 128 bits instead of 32/64: not modeled. F2/F3 0F 28/29 it calls
	 * MOVAPS in every mode; the CPU raises #UD (SDM Vol. 2 App. A table
	 * A-3 leaves them empty; measured natively at CPL3: SIGILL). */
	if ((insn->id == X86_INS_MOVAPS || insn->id == X86_INS_MOVUPS ||
	     insn->id == X86_INS_MOVAPD || insn->id == X86_INS_MOVUPD) &&
	    (dec_has_prefix(insn, 0xf3) || dec_has_prefix(insn, 0xf2)))
		return aligned ? ref_raise(cpu, 6, 0, 0) : REF_UNSUPPORTED;
	uint64_t v[2];
	SSE_TRY(src128(cpu, 1, aligned, v));
	const cs_x86_op *d = &x->operands[0];
	int xd = d->type == X86_OP_REG ? xmm_index(d->reg) : -1;
	if (xd >= 0) {
		note_xmm(cpu, xd, v[0], v[1]);
		return REF_NEXT;
	}
	if (d->type != X86_OP_MEM)
		return REF_UNSUPPORTED;
	SSE_TRY(mem_write128(cpu, 0, aligned, v));
	return REF_NEXT;
}

/* MOVD/MOVQ (66 [REX.W] 0F 6E/7E, F3 0F 7E, 66 0F D6): the XMM side is
 * zero-extended on a load, its low 32 or 64 bits are stored; a 32-bit GPR
 * destination zero-extends as any 32-bit write does. */
static enum ref_status sse_movdq(struct ref_cpu *cpu, const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;
	if (x->op_count != 2)
		return REF_UNSUPPORTED;
	const cs_x86_op *d = &x->operands[0], *s = &x->operands[1];
	int xd = d->type == X86_OP_REG ? xmm_index(d->reg) : -1;
	int xs = s->type == X86_OP_REG ? xmm_index(s->reg) : -1;
	const uint8_t rep = sse_rep_prefix(insn), op = x->opcode[1];
	if (rep && op == 0xd6)
		return REF_UNSUPPORTED; /* MOVQ2DQ/MOVDQ2Q: an MMX register */
	if (rep && (rep == 0xf2 || op != 0x7e))
		return ref_raise(cpu, 6, 0, 0); /* F2 0F 6E/7E, F3 0F 6E */
	if (rep && xd < 0) {
		/* F3 0F 7E is MOVQ xmm, xmm/m64 (load into the ModRM.reg XMM)
		 * where Capstone decoded F3 66 0F 7E as the 66h store form:
		 * operand 0 is then the ModRM.rm side, operand 1 the XMM. */
		if (xs < 0)
			return REF_UNSUPPORTED;
		uint64_t v;
		if (d->type == X86_OP_MEM) {
			if (ref_mem_read(cpu, ref_op_seg(cpu, 0), ref_op_addr(cpu, 0), 8, &v) < 0)
				return REF_STOP;
		} else if (d->type == X86_OP_REG && ref_reg_gpr(d->reg) >= 0) {
			v = cpu->xmm[ref_reg_gpr(d->reg)][0]; /* same ModRM.rm number */
		} else {
			return REF_UNSUPPORTED;
		}
		note_xmm(cpu, xs, v, 0);
		return REF_NEXT;
	}
	unsigned size = insn->id == X86_INS_MOVD ? 4 : 8;
	uint64_t mask = size == 4 ? 0xffffffffull : ~0ull;
	if (xd >= 0) {
		uint64_t v;
		if (xs >= 0)
			v = cpu->xmm[xs][0];
		else if ((s->type == X86_OP_REG && ref_reg_gpr(s->reg) >= 0) || s->type == X86_OP_MEM) {
			if (ref_read_op(cpu, 1, &v) < 0)
				return REF_STOP;
		} else {
			return REF_UNSUPPORTED; /* an MMX register */
		}
		note_xmm(cpu, xd, v & mask, 0);
		return REF_NEXT;
	}
	if (xs < 0)
		return REF_UNSUPPORTED;
	uint64_t v = cpu->xmm[xs][0] & mask;
	if (d->type == X86_OP_REG && ref_reg_gpr(d->reg) >= 0) {
		ref_set_reg(cpu, d->reg, v);
		ref_note_gpr_write(cpu, ref_reg_gpr(d->reg));
		return REF_NEXT;
	}
	if (d->type != X86_OP_MEM)
		return REF_UNSUPPORTED;
	return ref_write_op(cpu, 0, v) < 0 ? REF_STOP : REF_NEXT;
}

/* PXOR PAND PANDN POR and XORPS/PD ANDPS/PD ANDNPS/PD ORPS/PD: bitwise on
 * 128 bits; the memory source must be aligned. */
static enum ref_status sse_logic(struct ref_cpu *cpu, const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;
	if (sse_rep_prefix(insn))
		return ref_raise(cpu, 6, 0, 0); /* no F2/F3 forms (sse_rep_prefix) */
	if (x->op_count != 2 || x->operands[0].type != X86_OP_REG)
		return REF_UNSUPPORTED;
	int xd = xmm_index(x->operands[0].reg);
	if (xd < 0)
		return REF_UNSUPPORTED; /* an MMX register */
	uint64_t v[2];
	SSE_TRY(src128(cpu, 1, 1, v));
	uint64_t r[2];
	for (int h = 0; h < 2; h++) {
		uint64_t a = cpu->xmm[xd][h], b = v[h];
		switch (insn->id) {
		case X86_INS_PXOR: case X86_INS_XORPS: case X86_INS_XORPD: r[h] = a ^ b; break;
		case X86_INS_PAND: case X86_INS_ANDPS: case X86_INS_ANDPD: r[h] = a & b; break;
		case X86_INS_PANDN: case X86_INS_ANDNPS: case X86_INS_ANDNPD: r[h] = ~a & b; break;
		default: r[h] = a | b; break;
		}
	}
	note_xmm(cpu, xd, r[0], r[1]);
	return REF_NEXT;
}

const struct ref_sem ref_sem_sse[] = {
	{ X86_INS_MOVAPS, sse_mov128 }, { X86_INS_MOVUPS, sse_mov128 },
	{ X86_INS_MOVAPD, sse_mov128 }, { X86_INS_MOVUPD, sse_mov128 },
	{ X86_INS_MOVDQA, sse_mov128 }, { X86_INS_MOVDQU, sse_mov128 },
	{ X86_INS_MOVD, sse_movdq },    { X86_INS_MOVQ, sse_movdq },
	{ X86_INS_PXOR, sse_logic },    { X86_INS_XORPS, sse_logic },
	{ X86_INS_XORPD, sse_logic },   { X86_INS_PAND, sse_logic },
	{ X86_INS_ANDPS, sse_logic },   { X86_INS_ANDPD, sse_logic },
	{ X86_INS_PANDN, sse_logic },   { X86_INS_ANDNPS, sse_logic },
	{ X86_INS_ANDNPD, sse_logic },  { X86_INS_POR, sse_logic },
	{ X86_INS_ORPS, sse_logic },    { X86_INS_ORPD, sse_logic },
};
const unsigned ref_sem_sse_count = sizeof(ref_sem_sse) / sizeof(ref_sem_sse[0]);
