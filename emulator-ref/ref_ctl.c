/* Control-flow and data-movement semantics: the MOV family, LEA, XCHG,
 * PUSH/POP, CALL/RET/JMP/Jcc/LOOP, NOP, HLT, UD2, INT3.
 *
 * Every handler checks all faults before it commits a result, so a fault
 * leaves the destination registers and RSP unmodified (SDM Vol. 3A 6.5:
 * faults are restartable). Near branches take a 66h prefix differently on
 * Intel (ignored, 64-bit target) and AMD (16-bit target), and Capstone
 * decodes the AMD form: those encodings are UNSUPPORTED rather than a
 * guess. Outside 64-bit mode the operand size (CS.D, 66h) is unambiguous:
 * targets are truncated to it and checked against the CS limit, and the
 * stack is SS:SP or SS:ESP (ref_stack.c). */
#include <string.h>
#include "ref_mode_priv.h"
#include "ref_vendor.h"

static inline const cs_x86 *x86(const cs_insn *insn)
{
	return &insn->detail->x86;
}

static inline int opsize16(const cs_insn *insn)
{
	/* REX.W wins over 66h (SDM Vol. 2A 2.2.1.2). */
	return x86(insn)->prefix[2] == X86_PREFIX_OPSIZE && !(x86(insn)->rex & 8);
}

/* A 66h near branch in 64-bit mode: Intel and AMD differ (see above). */
static inline int vendor_form(const struct ref_cpu *cpu, const cs_insn *insn)
{
	return cpu->code_bits == 64 && opsize16(insn);
}

static inline int sreg_op(const cs_insn *insn, int i)
{
	const cs_x86_op *o = &x86(insn)->operands[i];
	return o->type == X86_OP_REG && ref_mode_sreg(o->reg) >= 0;
}

static inline uint64_t sext(uint64_t v, unsigned size)
{
	unsigned sh = 64 - 8 * size;
	return size >= 8 ? v : (uint64_t)((int64_t)(v << sh) >> sh);
}

/* ---- data movement ------------------------------------------------------ */

static enum ref_status sem_mov(struct ref_cpu *cpu, const cs_insn *insn)
{
	uint64_t v;
	if (x86(insn)->op_count == 2 && (sreg_op(insn, 0) || sreg_op(insn, 1)))
		return ref_mode_mov_sreg(cpu, insn);
	if (ref_read_op(cpu, 1, &v) < 0 || ref_write_op(cpu, 0, v) < 0)
		return REF_STOP;
	return REF_NEXT;
}

static enum ref_status sem_movsx(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	uint64_t v;
	if (ref_read_op(cpu, 1, &v) < 0)
		return REF_STOP;
	v = sext(v, ref_op_size(cpu, 1));
	return ref_write_op(cpu, 0, v) < 0 ? REF_STOP : REF_NEXT;
}

static enum ref_status sem_movsxd(struct ref_cpu *cpu, const cs_insn *insn)
{
	uint64_t v;
	if (!(x86(insn)->rex & 0x08)) {
		/* 63 /r without REX.W is a 32-bit move (SDM Vol. 2B MOVSXD,
		 * "use of MOVSXD without REX.W is discouraged"); Capstone
		 * 4.0.2 still prints a 64-bit destination. The 16-bit form
		 * (66h) is not modeled. */
		if (opsize16(insn))
			return REF_UNSUPPORTED;
		if (ref_read_op(cpu, 1, &v) < 0)
			return REF_STOP;
		return ref_write_op(cpu, 0, v & 0xffffffffu) < 0 ? REF_STOP : REF_NEXT;
	}
	return sem_movsx(cpu, insn);
}

static enum ref_status sem_lea(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	/* LEA computes the offset only: no segment base, no access
	 * (SDM Vol. 2A LEA); the destination size truncates it. */
	return ref_write_op(cpu, 0, ref_op_ea(cpu, 1)) < 0 ? REF_STOP : REF_NEXT;
}

static enum ref_status sem_xchg(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	uint64_t a, b;
	/* With memory this is a locked read-modify-write (SDM Vol. 2B XCHG):
	 * the memory write comes first so a fault leaves the register. */
	int mem_first = x86(insn)->operands[1].type == X86_OP_MEM;
	int m = mem_first ? 1 : 0, r = mem_first ? 0 : 1;
	if (ref_read_op_rmw(cpu, m, &a) < 0 || ref_read_op(cpu, r, &b) < 0)
		return REF_STOP;
	if (ref_write_op(cpu, m, b) < 0 || ref_write_op(cpu, r, a) < 0)
		return REF_STOP;
	return REF_NEXT;
}

static enum ref_status sem_push(struct ref_cpu *cpu, const cs_insn *insn)
{
	if (sreg_op(insn, 0))
		return ref_mode_push_sreg(cpu, insn);
	unsigned size = ref_opsize(cpu, insn, 1);
	uint64_t v;
	/* The source (also PUSH RSP, PUSH [RSP]) is read before RSP moves
	 * (SDM Vol. 2B PUSH). Immediates are sign-extended by Capstone. */
	const cs_x86_op *o = &x86(insn)->operands[0];
	if (o->type == X86_OP_MEM && o->size != size) {
		/* 66h with REX.W: Capstone 4 sizes the operand by 66h, but
		 * REX.W wins (SDM Vol. 2A 2.2.1.2), a 64-bit read. */
		if (ref_mem_read(cpu, ref_op_seg(cpu, 0), ref_op_addr(cpu, 0), size, &v) < 0)
			return REF_STOP;
	} else if (ref_read_op(cpu, 0, &v) < 0) {
		return REF_STOP;
	}
	if (o->type == X86_OP_IMM) {
		v = (uint64_t)x86(insn)->operands[0].imm;
		/* 66 REX.W 68 id: a 64-bit push of the sign-extended imm32;
		 * Capstone 4 leaves it unextended as for 66h alone. */
		if (size == 8 && x86(insn)->opcode[0] == 0x68)
			v = (uint64_t)(int64_t)(int32_t)v;
	}
	return ref_push(cpu, v, size) < 0 ? REF_STOP : REF_NEXT;
}

static enum ref_status sem_pop(struct ref_cpu *cpu, const cs_insn *insn)
{
	if (sreg_op(insn, 0))
		return ref_mode_pop_sreg(cpu, insn);
	unsigned size = ref_opsize(cpu, insn, 1);
	uint64_t old = cpu->gpr[RSP], v, m = ref_stack_mask(cpu);
	if (ref_mem_read_off(cpu, SEG_SS, old & m, size, &v) < 0)
		return REF_STOP;
	/* A memory destination addressed with RSP uses the incremented RSP
	 * (SDM Vol. 2B POP); POP RSP then overwrites the increment. */
	const uint64_t inc = (old & ~m) | ((old + size) & m);
	const cs_x86_op *d = &x86(insn)->operands[0];
	if (d->type == X86_OP_MEM) {
		/* The address takes the incremented RSP, but a faulting store
		 * is a fault: delivered (outside 64-bit mode, at once, onto
		 * the stack) with RSP as before the POP (SDM Vol. 3A 6.5). */
		cpu->gpr[RSP] = inc;
		const enum ref_seg seg = ref_op_seg(cpu, 0);
		const uint64_t la = ref_op_addr(cpu, 0);
		cpu->gpr[RSP] = old;
		if (ref_mem_write(cpu, seg, la, d->size, v) < 0)
			return REF_STOP;
		cpu->gpr[RSP] = inc;
	} else {
		cpu->gpr[RSP] = inc;
		if (ref_write_op(cpu, 0, v) < 0) {
			cpu->gpr[RSP] = old;
			return REF_STOP;
		}
	}
	if (x86(insn)->operands[0].type != X86_OP_REG ||
	    ref_reg_gpr(x86(insn)->operands[0].reg) != RSP)
		ref_note_gpr_write(cpu, RSP);
	return REF_NEXT;
}

/* ---- control flow -------------------------------------------------------- */

/* A branch to a non-canonical address (64-bit mode) or past the CS limit
 * faults on the branch itself: #GP(0) with RIP = the branch (SDM Vol. 2A
 * JMP/CALL/RET "Operation"). */
static int target_ok(const struct ref_cpu *cpu, uint64_t *target, unsigned opsize)
{
	if (cpu->code_bits == 64)
		return ref_canonical(*target);
	*target &= opsize == 2 ? 0xffffull : 0xffffffffull;
	return *target <= cpu->seg[SEG_CS].limit;
}

enum ref_status ref_mode_branch(struct ref_cpu *cpu, uint64_t target, unsigned opsize)
{
	if (!target_ok(cpu, &target, opsize))
		return ref_raise(cpu, 13, 1, 0);
	cpu->next_rip = target;
	return REF_NEXT;
}

static enum ref_status branch_to(struct ref_cpu *cpu, uint64_t target)
{
	return ref_mode_branch(cpu, target, ref_opsize(cpu, cpu->insn, 1));
}

/* The target of a relative branch. With 66h and REX.W in 64-bit mode,
 * Capstone 4 wraps the target to 16 bits as for 66h alone, but REX.W wins
 * (SDM Vol. 2A 2.2.1.2): RIP + the sign-extended rel8/rel32 that ends the
 * instruction. With 67h and REX.W it does the same, and for E8 it even
 * reads a rel16 (5 bytes for 67 48 E8 rel32); the address size never
 * applies to a relative displacement (SDM Vol. 2A CALL, JMP). The length
 * is then recounted from the bytes and next_rip set past the rel32. */
static uint64_t rel_target(struct ref_cpu *cpu, const cs_insn *insn)
{
	const cs_x86 *x = x86(insn);
	if (cpu->code_bits != 64 || !(x->rex & 8) ||
	    !(dec_has_prefix(insn, 0x66) || dec_has_prefix(insn, 0x67)))
		return (uint64_t)x->operands[0].imm;
	const uint8_t op = x->opcode[0];
	const unsigned n = (op == 0xe8 || op == 0xe9 || op == 0x0f) ? 4 : 1;
	unsigned p = 0; /* legacy prefixes and REX before the opcode */
	while (p < insn->size && insn->bytes[p] != op)
		p++;
	const unsigned len = p + (op == 0x0f ? 2 : 1) + n;
	uint8_t b[15];
	memcpy(b, insn->bytes, insn->size);
	if (len > insn->size && len <= sizeof(b)) {
		uint64_t fault_la;
		if (ref_fetch(cpu, insn->address, b, len, &fault_la) < len)
			return (uint64_t)x->operands[0].imm; /* not modeled further */
		cpu->next_rip = insn->address + len;
	}
	uint64_t rel = 0;
	for (unsigned i = 0; i < n; i++)
		rel |= (uint64_t)b[len - n + i] << (8 * i);
	rel = n == 4 ? (uint64_t)(int64_t)(int32_t)rel : (uint64_t)(int64_t)(int8_t)rel;
	return insn->address + len + rel;
}

static int branch_target(struct ref_cpu *cpu, const cs_insn *insn, uint64_t *t)
{
	if (x86(insn)->operands[0].type == X86_OP_IMM) {
		*t = rel_target(cpu, insn);
		return 0;
	}
	return ref_read_op(cpu, 0, t);
}

static enum ref_status sem_jmp(struct ref_cpu *cpu, const cs_insn *insn)
{
	uint64_t t;
	if (vendor_form(cpu, insn))
		return REF_UNSUPPORTED;
	if (branch_target(cpu, insn, &t) < 0)
		return REF_STOP;
	return branch_to(cpu, t);
}

static enum ref_status sem_jcc(struct ref_cpu *cpu, const cs_insn *insn)
{
	if (vendor_form(cpu, insn))
		return REF_UNSUPPORTED;
	int cc = ref_cond_of_insn(insn->id);
	if (cc < 0)
		return REF_UNSUPPORTED;
	if (!ref_cond(cpu, (unsigned)cc))
		return REF_NEXT;
	return branch_to(cpu, rel_target(cpu, insn));
}

static enum ref_status sem_call(struct ref_cpu *cpu, const cs_insn *insn)
{
	uint64_t t;
	if (vendor_form(cpu, insn))
		return REF_UNSUPPORTED;
	if (branch_target(cpu, insn, &t) < 0)
		return REF_STOP;
	/* The SDM's near-call pseudocode checks the target before the push
	 * (Vol. 2A CALL), but an Intel CPU in 64-bit mode pushes first: a
	 * non-canonical target is #GP(0) on the CALL with RSP unchanged and
	 * the return address already in memory, and a faulting push wins
	 * over it. An AMD CPU checks first (ref_vendor.c). Outside 64-bit
	 * mode the CS-limit check stays first, as written. */
	unsigned size = ref_opsize(cpu, insn, 1);
	if (cpu->code_bits == 64 && ref_quirk(cpu, QUIRK_CALL_PUSHES_BEFORE_TARGET_CHECK)) {
		uint64_t sp = cpu->gpr[RSP];
		if (ref_push(cpu, cpu->next_rip, size) < 0)
			return REF_STOP;
		if (!target_ok(cpu, &t, size)) {
			cpu->gpr[RSP] = sp;
			return ref_raise(cpu, 13, 1, 0);
		}
		cpu->next_rip = t;
		return REF_NEXT;
	}
	if (!target_ok(cpu, &t, size))
		return ref_raise(cpu, 13, 1, 0);
	if (ref_push(cpu, cpu->next_rip, size) < 0)
		return REF_STOP;
	cpu->next_rip = t;
	return REF_NEXT;
}

static enum ref_status sem_ret(struct ref_cpu *cpu, const cs_insn *insn)
{
	uint64_t t;
	if (vendor_form(cpu, insn))
		return REF_UNSUPPORTED;
	unsigned size = ref_opsize(cpu, insn, 1);
	uint64_t m = ref_stack_mask(cpu), sp = cpu->gpr[RSP];
	if (ref_mem_read_off(cpu, SEG_SS, sp & m, size, &t) < 0)
		return REF_STOP;
	if (!target_ok(cpu, &t, size))
		return ref_raise(cpu, 13, 1, 0);
	uint64_t imm = x86(insn)->op_count ? (uint64_t)x86(insn)->operands[0].imm & 0xffff : 0;
	cpu->gpr[RSP] = (sp & ~m) | ((sp + size + imm) & m);
	ref_note_gpr_write(cpu, RSP);
	cpu->next_rip = t;
	return REF_NEXT;
}

/* LOOPcc/JrCXZ count with RCX, or ECX under 67h (SDM Vol. 2A LOOP). A
 * 32-bit count write zero-extends into RCX like any 32-bit write. */
static enum ref_status sem_loop(struct ref_cpu *cpu, const cs_insn *insn)
{
	if (vendor_form(cpu, insn))
		return REF_UNSUPPORTED;
	unsigned as = x86(insn)->addr_size;
	uint64_t am = as == 2 ? 0xffffull : as == 4 ? 0xffffffffull : ~0ull;
	uint64_t cnt = (cpu->gpr[RCX] - 1) & am;
	int zf = (cpu->rflags & RFLAGS_ZF) != 0;
	int take = cnt != 0;
	unsigned id = insn->id;
	int f3 = dec_has_prefix(insn, 0xf3), f2 = dec_has_prefix(insn, 0xf2);
	if (id != X86_INS_LOOP && (f3 || f2)) {
		/* The prefix picks the condition (ref_vendor.c); with both,
		 * which wins was not measured. */
		if (!ref_quirk(cpu, QUIRK_REP_PREFIX_PICKS_LOOP_CONDITION) || (f3 && f2))
			return REF_UNSUPPORTED;
		id = f3 ? X86_INS_LOOPE : X86_INS_LOOPNE;
	}
	if (id == X86_INS_LOOPE)
		take = take && zf;
	else if (id == X86_INS_LOOPNE)
		take = take && !zf;
	uint64_t t = (uint64_t)x86(insn)->operands[0].imm;
	if (take && !target_ok(cpu, &t, ref_opsize(cpu, insn, 1)))
		return ref_raise(cpu, 13, 1, 0);
	/* A 16-bit count merges into CX, a 32-bit one zero-extends. */
	cpu->gpr[RCX] = as == 2 ? (cpu->gpr[RCX] & ~0xffffull) | cnt : cnt;
	ref_note_gpr_write(cpu, RCX);
	if (take)
		cpu->next_rip = t;
	return REF_NEXT;
}

static enum ref_status sem_jrcxz(struct ref_cpu *cpu, const cs_insn *insn)
{
	if (vendor_form(cpu, insn))
		return REF_UNSUPPORTED;
	uint64_t cnt = cpu->gpr[RCX];
	if (insn->id == X86_INS_JECXZ)
		cnt &= 0xffffffffu;
	else if (insn->id == X86_INS_JCXZ)
		cnt &= 0xffffu;
	if (cnt != 0)
		return REF_NEXT;
	return branch_to(cpu, rel_target(cpu, insn));
}

/* ---- no-ops and stops ------------------------------------------------------ */

static enum ref_status sem_nop(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)cpu;
	(void)insn;
	/* 0F 1F /0 has a memory operand that is never accessed. */
	return REF_NEXT;
}

static enum ref_status sem_hlt(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	/* HLT retires: the saved RIP is the next instruction (SDM Vol. 2A
	 * HLT; KVM reports RIP after the HLT). */
	cpu->rip = cpu->next_rip;
	if (ref_intr_wakes_hlt(cpu))
		return ref_intr_take(cpu);
	return ref_terminal(cpu, EXIT_HLT, 0, cpu->next_rip);
}

static enum ref_status sem_ud(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	return ref_raise(cpu, 6, 0, 0);
}

static enum ref_status sem_int3(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	return ref_raise_trap(cpu, 3);
}

/* INT1 (ICEBP, F1): a #DB trap (the frame holds the next RIP) delivered
 * like a hardware exception, so no gate DPL check at CPL3 (SDM Vol. 2B
 * INT n/INTO/INT3/INT1: "INT1 ... does not perform the DPL check";
 * checked natively: vector 1, RIP after the F1). */
static enum ref_status sem_int1(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	return ref_raise_trap(cpu, 1);
}

const struct ref_sem ref_sem_ctl[] = {
	{ X86_INS_MOV, sem_mov },       { X86_INS_MOVABS, sem_mov },
	{ X86_INS_MOVZX, sem_mov },     { X86_INS_MOVSX, sem_movsx },
	{ X86_INS_MOVSXD, sem_movsxd }, { X86_INS_LEA, sem_lea },
	{ X86_INS_XCHG, sem_xchg },
	{ X86_INS_PUSH, sem_push },     { X86_INS_POP, sem_pop },
	{ X86_INS_JMP, sem_jmp },       { X86_INS_CALL, sem_call },
	{ X86_INS_RET, sem_ret },
	{ X86_INS_JO, sem_jcc },  { X86_INS_JNO, sem_jcc }, { X86_INS_JB, sem_jcc },
	{ X86_INS_JAE, sem_jcc }, { X86_INS_JE, sem_jcc },  { X86_INS_JNE, sem_jcc },
	{ X86_INS_JBE, sem_jcc }, { X86_INS_JA, sem_jcc },  { X86_INS_JS, sem_jcc },
	{ X86_INS_JNS, sem_jcc }, { X86_INS_JP, sem_jcc },  { X86_INS_JNP, sem_jcc },
	{ X86_INS_JL, sem_jcc },  { X86_INS_JGE, sem_jcc }, { X86_INS_JLE, sem_jcc },
	{ X86_INS_JG, sem_jcc },
	{ X86_INS_LOOP, sem_loop },     { X86_INS_LOOPE, sem_loop },
	{ X86_INS_LOOPNE, sem_loop },
	{ X86_INS_JRCXZ, sem_jrcxz },   { X86_INS_JECXZ, sem_jrcxz },
	{ X86_INS_JCXZ, sem_jrcxz },
	/* Segment registers, far transfers, interrupts (ref_mode_ctl.c). */
	{ X86_INS_LDS, ref_mode_lxs },  { X86_INS_LES, ref_mode_lxs },
	{ X86_INS_LSS, ref_mode_lxs },  { X86_INS_LFS, ref_mode_lxs },
	{ X86_INS_LGS, ref_mode_lxs },
	{ X86_INS_LJMP, ref_mode_ljmp }, { X86_INS_LCALL, ref_mode_lcall },
	{ X86_INS_RETF, ref_mode_retf }, { X86_INS_RETFQ, ref_mode_retf },
	{ X86_INS_INT, ref_mode_int },  { X86_INS_INTO, ref_mode_into },
	{ X86_INS_IRET, ref_mode_iret }, { X86_INS_IRETD, ref_mode_iret },
	{ X86_INS_IRETQ, ref_mode_iret },
	{ X86_INS_PUSHAW, ref_mode_pusha }, { X86_INS_PUSHAL, ref_mode_pusha },
	{ X86_INS_POPAW, ref_mode_popa }, { X86_INS_POPAL, ref_mode_popa },
	{ X86_INS_NOP, sem_nop },       { X86_INS_HLT, sem_hlt },
	{ X86_INS_UD2, sem_ud },        { X86_INS_UD0, sem_ud },
	{ X86_INS_INT3, sem_int3 },
	{ X86_INS_INT1, sem_int1 },
};
const unsigned ref_sem_ctl_count = sizeof(ref_sem_ctl) / sizeof(ref_sem_ctl[0]);
