/* Arithmetic and logic semantics: the two-operand ALU group, INC/DEC/NEG/NOT,
 * SETcc, CMOVcc, the flag instructions and the sign extensions, plus the
 * fragment that lists every handler of the family (shifts and rotates live
 * in ref_alu_shift.c, MUL/IMUL/DIV/IDIV in ref_alu_muldiv.c).
 *
 * Flags are computed in C from the operands and the result, bit for bit as
 * SDM Vol. 1 3.4.3.1 defines them; no host flag is ever consulted. Flags an
 * instruction leaves undefined ("Flags Affected" in SDM Vol. 2) are marked
 * with ref_undefine_flags and keep their previous value.
 *
 * Every source operand is read exactly once, destination first, as KVM's
 * emulator reads them (one MMIO read per memory read). A memory destination
 * is read, the result computed, then written; the flags change only once
 * the write succeeded, so a faulting write leaves the state untouched. */
#include "ref_alu_priv.h"

/* ---- flag arithmetic ----------------------------------------------------- */

/* a + b + cin in size bytes. The carry out of bit i is the majority of a_i,
 * b_i and the carry into it; the carry into bit i is a_i ^ b_i ^ r_i. So
 * (a & b) | ((a | b) & ~r) is the vector of carries out of every bit: CF
 * is its top bit, AF is the carry into bit 4, OF is set when both inputs
 * have the same sign and the result has the other one. */
uint64_t ref_add_flags(uint64_t a, uint64_t b, uint64_t r, unsigned size)
{
	uint64_t carries = (a & b) | ((a | b) & ~r);
	uint64_t f = alu_szp(r, size);
	if (carries & alu_msb(size))
		f |= RFLAGS_CF;
	if ((a ^ b ^ r) & 0x10)
		f |= RFLAGS_AF;
	if ((a ^ r) & (b ^ r) & alu_msb(size))
		f |= RFLAGS_OF;
	return f;
}

/* a - b - bin in size bytes. The borrow out of bit i is (~a_i & b_i) |
 * (~(a_i ^ b_i) & borrow_in_i), and the borrow into bit i equals
 * a_i ^ b_i ^ r_i; CF is the borrow out of the top bit, AF the borrow into
 * bit 4, OF set when the operands' signs differ and the result's sign is
 * not the minuend's. */
uint64_t ref_sub_flags(uint64_t a, uint64_t b, uint64_t r, unsigned size)
{
	uint64_t borrows = (~a & b) | (~(a ^ b) & r);
	uint64_t f = alu_szp(r, size);
	if (borrows & alu_msb(size))
		f |= RFLAGS_CF;
	if ((a ^ b ^ r) & 0x10)
		f |= RFLAGS_AF;
	if ((a ^ b) & (a ^ r) & alu_msb(size))
		f |= RFLAGS_OF;
	return f;
}

/* ---- the two-operand group: ADD ADC SUB SBB CMP AND OR XOR TEST ---------- */

enum alu_fn { FN_ADD, FN_ADC, FN_SUB, FN_SBB, FN_AND, FN_OR, FN_XOR };

struct alu_binop {
	unsigned id;        /* X86_INS_* */
	uint8_t fn;         /* enum alu_fn */
	uint8_t writes;     /* 0: CMP and TEST only set flags */
};

/* SDM Vol. 2A/2B, each instruction's "Flags Affected": the arithmetic ones
 * define all six status flags; AND/OR/XOR/TEST clear CF and OF, define SF
 * ZF PF and leave AF undefined. */
static const struct alu_binop binops[] = {
	{ X86_INS_ADD,  FN_ADD, 1 },
	{ X86_INS_ADC,  FN_ADC, 1 },
	{ X86_INS_SUB,  FN_SUB, 1 },
	{ X86_INS_SBB,  FN_SBB, 1 },
	{ X86_INS_CMP,  FN_SUB, 0 },
	{ X86_INS_AND,  FN_AND, 1 },
	{ X86_INS_OR,   FN_OR,  1 },
	{ X86_INS_XOR,  FN_XOR, 1 },
	{ X86_INS_TEST, FN_AND, 0 },
};

static const struct alu_binop *binop_of(unsigned id)
{
	for (unsigned i = 0; i < sizeof(binops) / sizeof(binops[0]); i++)
		if (binops[i].id == id)
			return &binops[i];
	return NULL;
}

static enum ref_status alu_binary(struct ref_cpu *cpu, const cs_insn *insn)
{
	const struct alu_binop *op = binop_of(insn->id);
	if (!op || insn->detail->x86.op_count != 2)
		return REF_UNSUPPORTED;
	const unsigned size = ref_op_size(cpu, 0);
	const uint64_t m = alu_mask(size);
	uint64_t a, b;
	ALU_TRY((op->writes ? ref_read_op_rmw : ref_read_op)(cpu, 0, &a));
	ALU_TRY(ref_read_op(cpu, 1, &b));
	a &= m;
	b &= m;
	const uint64_t cf = !!(cpu->rflags & RFLAGS_CF);
	uint64_t r, f = 0;
	int logic = 0;
	switch (op->fn) {
	case FN_ADD: r = (a + b) & m; f = ref_add_flags(a, b, r, size); break;
	case FN_ADC: r = (a + b + cf) & m; f = ref_add_flags(a, b, r, size); break;
	case FN_SUB: r = (a - b) & m; f = ref_sub_flags(a, b, r, size); break;
	case FN_SBB: r = (a - b - cf) & m; f = ref_sub_flags(a, b, r, size); break;
	case FN_AND: r = a & b; logic = 1; break;
	case FN_OR:  r = a | b; logic = 1; break;
	default:     r = a ^ b; logic = 1; break;
	}
	if (op->writes)
		ALU_TRY(ref_write_op(cpu, 0, r));
	if (logic) {
		/* CF = OF = 0 (SDM Vol. 2A AND, "Flags Affected"). */
		ref_set_flags(cpu, RFLAGS_STATUS & ~RFLAGS_AF, alu_szp(r, size));
		ref_undefine_flags(cpu, RFLAGS_AF);
	} else {
		ref_set_flags(cpu, RFLAGS_STATUS, f);
	}
	return REF_NEXT;
}

/* ---- one-operand group: INC DEC NEG NOT ---------------------------------- */

static enum ref_status alu_unary(struct ref_cpu *cpu, const cs_insn *insn)
{
	if (insn->detail->x86.op_count != 1)
		return REF_UNSUPPORTED;
	const unsigned size = ref_op_size(cpu, 0);
	const uint64_t m = alu_mask(size);
	uint64_t a, r, f = 0, fmask = RFLAGS_STATUS;
	ALU_TRY(ref_read_op_rmw(cpu, 0, &a));
	a &= m;
	switch (insn->id) {
	case X86_INS_INC:
		/* CF is not affected (SDM Vol. 2A INC). */
		r = (a + 1) & m;
		f = ref_add_flags(a, 1, r, size);
		fmask &= ~(uint64_t)RFLAGS_CF;
		break;
	case X86_INS_DEC:
		r = (a - 1) & m;
		f = ref_sub_flags(a, 1, r, size);
		fmask &= ~(uint64_t)RFLAGS_CF;
		break;
	case X86_INS_NEG:
		/* 0 - a: CF = (a != 0) falls out of the borrow (SDM Vol. 2B
		 * NEG). */
		r = (0 - a) & m;
		f = ref_sub_flags(0, a, r, size);
		break;
	default: /* NOT: no flags (SDM Vol. 2B NOT) */
		r = ~a & m;
		fmask = 0;
		break;
	}
	ALU_TRY(ref_write_op(cpu, 0, r));
	if (fmask)
		ref_set_flags(cpu, fmask, f);
	return REF_NEXT;
}

/* ---- SETcc and CMOVcc ----------------------------------------------------- */

static enum ref_status alu_setcc(struct ref_cpu *cpu, const cs_insn *insn)
{
	int cc = ref_cond_of_insn(insn->id);
	if (cc < 0 || insn->detail->x86.op_count != 1)
		return REF_UNSUPPORTED;
	ALU_TRY(ref_write_op(cpu, 0, (uint64_t)ref_cond(cpu, (unsigned)cc)));
	return REF_NEXT;
}

/* SDM Vol. 2A CMOVcc: the source is read whatever the condition (a memory
 * source can fault even when nothing moves), and in 64-bit mode a 32-bit
 * destination is zero-extended to 64 bits even when the condition is
 * false. 16- and 64-bit destinations are left alone when false. */
static enum ref_status alu_cmovcc(struct ref_cpu *cpu, const cs_insn *insn)
{
	int cc = ref_cond_of_insn(insn->id);
	if (cc < 0 || insn->detail->x86.op_count != 2)
		return REF_UNSUPPORTED;
	uint64_t src;
	ALU_TRY(ref_read_op(cpu, 1, &src));
	if (ref_cond(cpu, (unsigned)cc)) {
		ALU_TRY(ref_write_op(cpu, 0, src));
	} else if (ref_op_size(cpu, 0) == 4) {
		uint64_t old;
		ALU_TRY(ref_read_op(cpu, 0, &old));
		ALU_TRY(ref_write_op(cpu, 0, old));
	}
	return REF_NEXT;
}

/* ---- CLC STC CMC CLD STD ---------------------------------------------------
 * One row each: the flag, and what happens to it (SDM Vol. 2A CLC/CMC/CLD,
 * Vol. 2B STC/STD: no other flag is affected). */

enum flag_action { FLAG_CLEAR, FLAG_SET, FLAG_TOGGLE };

static const struct alu_flagop {
	unsigned id;
	uint64_t flag;
	uint8_t action;
} flagops[] = {
	{ X86_INS_CLC, RFLAGS_CF, FLAG_CLEAR },
	{ X86_INS_STC, RFLAGS_CF, FLAG_SET },
	{ X86_INS_CMC, RFLAGS_CF, FLAG_TOGGLE },
	{ X86_INS_CLD, RFLAGS_DF, FLAG_CLEAR },
	{ X86_INS_STD, RFLAGS_DF, FLAG_SET },
};

static enum ref_status alu_flagop(struct ref_cpu *cpu, const cs_insn *insn)
{
	for (unsigned i = 0; i < sizeof(flagops) / sizeof(flagops[0]); i++) {
		const struct alu_flagop *o = &flagops[i];
		if (o->id != insn->id)
			continue;
		uint64_t v = o->action == FLAG_SET ? o->flag :
			     o->action == FLAG_CLEAR ? 0 : (cpu->rflags ^ o->flag);
		ref_set_flags(cpu, o->flag, v);
		return REF_NEXT;
	}
	return REF_UNSUPPORTED;
}

/* ---- CBW CWDE CDQE (extend in place), CWD CDQ CQO (sign into rDX) ---------
 * SDM Vol. 2A CBW/CWDE/CDQE and CWD/CDQ/CQO. No flags. Writing EAX/EDX
 * zero-extends into the full register like any 32-bit destination. */

static const struct alu_extop {
	unsigned id;
	x86_reg src;     /* read and sign-extended */
	x86_reg dst;     /* written */
	uint8_t size;    /* source size in bytes */
	uint8_t spread;  /* 1: dst gets only the sign (CWD/CDQ/CQO) */
} extops[] = {
	{ X86_INS_CBW,  X86_REG_AL,  X86_REG_AX,  1, 0 },
	{ X86_INS_CWDE, X86_REG_AX,  X86_REG_EAX, 2, 0 },
	{ X86_INS_CDQE, X86_REG_EAX, X86_REG_RAX, 4, 0 },
	{ X86_INS_CWD,  X86_REG_AX,  X86_REG_DX,  2, 1 },
	{ X86_INS_CDQ,  X86_REG_EAX, X86_REG_EDX, 4, 1 },
	{ X86_INS_CQO,  X86_REG_RAX, X86_REG_RDX, 8, 1 },
};

static enum ref_status alu_extend(struct ref_cpu *cpu, const cs_insn *insn)
{
	/* The form follows the operand size of the bytes, not Capstone's
	 * name: Capstone 4 calls 66 64 99 CDQ although 66h makes it CWD. */
	const int spread = insn->id == X86_INS_CWD || insn->id == X86_INS_CDQ ||
			   insn->id == X86_INS_CQO;
	const unsigned os = ref_opsize(cpu, insn, 0);
	for (unsigned i = 0; i < sizeof(extops) / sizeof(extops[0]); i++) {
		const struct alu_extop *o = &extops[i];
		if (o->spread != spread || ref_reg_size(o->dst) != os)
			continue;
		int64_t v = alu_sext(ref_get_reg(cpu, o->src), o->size);
		if (o->spread)
			v = v < 0 ? -1 : 0;
		ref_set_reg(cpu, o->dst, (uint64_t)v);
		ref_note_gpr_write(cpu, ref_reg_gpr(o->dst));
		return REF_NEXT;
	}
	return REF_UNSUPPORTED;
}

/* ---- the fragment ---------------------------------------------------------- */

#define CC16(prefix, fn) \
	{ X86_INS_##prefix##O, fn },  { X86_INS_##prefix##NO, fn }, \
	{ X86_INS_##prefix##B, fn },  { X86_INS_##prefix##AE, fn }, \
	{ X86_INS_##prefix##E, fn },  { X86_INS_##prefix##NE, fn }, \
	{ X86_INS_##prefix##BE, fn }, { X86_INS_##prefix##A, fn }, \
	{ X86_INS_##prefix##S, fn },  { X86_INS_##prefix##NS, fn }, \
	{ X86_INS_##prefix##P, fn },  { X86_INS_##prefix##NP, fn }, \
	{ X86_INS_##prefix##L, fn },  { X86_INS_##prefix##GE, fn }, \
	{ X86_INS_##prefix##LE, fn }, { X86_INS_##prefix##G, fn }

const struct ref_sem ref_sem_alu[] = {
	{ X86_INS_ADD, alu_binary }, { X86_INS_ADC, alu_binary },
	{ X86_INS_SUB, alu_binary }, { X86_INS_SBB, alu_binary },
	{ X86_INS_CMP, alu_binary }, { X86_INS_AND, alu_binary },
	{ X86_INS_OR, alu_binary },  { X86_INS_XOR, alu_binary },
	{ X86_INS_TEST, alu_binary },
	{ X86_INS_INC, alu_unary },  { X86_INS_DEC, alu_unary },
	{ X86_INS_NEG, alu_unary },  { X86_INS_NOT, alu_unary },
	{ X86_INS_SHL, ref_alu_shift }, { X86_INS_SAL, ref_alu_shift },
	{ X86_INS_SHR, ref_alu_shift }, { X86_INS_SAR, ref_alu_shift },
	{ X86_INS_ROL, ref_alu_rotate }, { X86_INS_ROR, ref_alu_rotate },
	{ X86_INS_RCL, ref_alu_rotate }, { X86_INS_RCR, ref_alu_rotate },
	{ X86_INS_MUL, ref_alu_mul }, { X86_INS_IMUL, ref_alu_imul },
	{ X86_INS_DIV, ref_alu_div }, { X86_INS_IDIV, ref_alu_div },
	CC16(SET, alu_setcc),
	CC16(CMOV, alu_cmovcc),
	{ X86_INS_CLC, alu_flagop }, { X86_INS_STC, alu_flagop },
	{ X86_INS_CMC, alu_flagop }, { X86_INS_CLD, alu_flagop },
	{ X86_INS_STD, alu_flagop },
	{ X86_INS_CBW, alu_extend }, { X86_INS_CWDE, alu_extend },
	{ X86_INS_CDQE, alu_extend }, { X86_INS_CWD, alu_extend },
	{ X86_INS_CDQ, alu_extend }, { X86_INS_CQO, alu_extend },
};

const unsigned ref_sem_alu_count = sizeof(ref_sem_alu) / sizeof(ref_sem_alu[0]);
