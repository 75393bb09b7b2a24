/* Segment registers, far transfers and interrupts, in every mode:
 * MOV/PUSH/POP Sreg, LDS/LES/LSS/LFS/LGS, far JMP/CALL/RET, INT n, INTO,
 * IRET, PUSHA/POPA.
 *
 * Handlers that touch the stack more than once compute every slot from
 * the stack pointer at the start and write RSP once at the end: a fault on
 * any slot then leaves RSP as it was, which matters outside long mode,
 * where the fault is delivered at once onto that very stack.
 * Where the SDM leaves a choice, KVM's emulator decides (it runs this code
 * in the guest): PUSH Sreg with a 32-bit operand size writes 2 bytes below
 * the new ESP's top (em_push_sreg), POP Sreg reads 2 bytes (em_pop_sreg). */
#include "ref_mode_priv.h"

#define RFLAGS_IOPL (3ull << 12)
#define RFLAGS_NT   (1ull << 14)
#define RFLAGS_AC   (1ull << 18)
#define RFLAGS_VIF  (1ull << 19)
#define RFLAGS_VIP  (1ull << 20)
#define RFLAGS_ID   (1ull << 21)

static inline const cs_x86 *x86(const cs_insn *insn)
{
	return &insn->detail->x86;
}

int ref_mode_sreg(x86_reg r)
{
	switch (r) {
	case X86_REG_ES: return SEG_ES;
	case X86_REG_CS: return SEG_CS;
	case X86_REG_SS: return SEG_SS;
	case X86_REG_DS: return SEG_DS;
	case X86_REG_FS: return SEG_FS;
	case X86_REG_GS: return SEG_GS;
	default: return -1;
	}
}

static uint64_t mask_of(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* Stack slot k (0-based) below (write) or above (read) the current SP. */
static int st_write(struct ref_cpu *cpu, unsigned k, unsigned size, uint64_t v)
{
	uint64_t m = ref_stack_mask(cpu);
	return ref_mem_write_off(cpu, SEG_SS, (cpu->gpr[RSP] - (uint64_t)k * size) & m, size, v);
}

static int st_read(struct ref_cpu *cpu, uint64_t byte_off, unsigned size, uint64_t *v)
{
	uint64_t m = ref_stack_mask(cpu);
	return ref_mem_read_off(cpu, SEG_SS, (cpu->gpr[RSP] + byte_off) & m, size, v);
}

static void st_adjust(struct ref_cpu *cpu, uint64_t delta)
{
	uint64_t m = ref_stack_mask(cpu);
	cpu->gpr[RSP] = (cpu->gpr[RSP] & ~m) | ((cpu->gpr[RSP] + delta) & m);
	ref_note_gpr_write(cpu, RSP);
}

static int read_far_ptr(struct ref_cpu *cpu, enum ref_seg ms, uint64_t la, unsigned opsize,
			uint64_t *off, uint64_t *sel);

/* ---- segment registers ---------------------------------------------------- */

enum ref_status ref_mode_mov_sreg(struct ref_cpu *cpu, const cs_insn *insn)
{
	const cs_x86 *x = x86(insn);
	int dst = x->operands[0].type == X86_OP_REG ? ref_mode_sreg(x->operands[0].reg) : -1;
	uint64_t v;
	if (dst >= 0) {
		/* MOV CS is #UD (SDM Vol. 2B MOV). */
		if (dst == SEG_CS)
			return ref_raise(cpu, 6, 0, 0);
		const cs_x86_op *o = &x->operands[1];
		if (o->type == X86_OP_MEM) {
			if (ref_mem_read(cpu, ref_op_seg(cpu, 1), ref_op_addr(cpu, 1), 2, &v) < 0)
				return REF_STOP;
		} else {
			v = ref_get_reg(cpu, o->reg);
		}
		return ref_seg_load(cpu, (enum ref_seg)dst, (uint16_t)v) < 0 ? REF_STOP : REF_NEXT;
	}
	int src = ref_mode_sreg(x->operands[1].reg);
	if (src < 0)
		return REF_UNSUPPORTED;
	v = cpu->seg[src].sel;
	/* To memory always 16 bits; to a 32/64-bit register zero-extended
	 * (SDM Vol. 2B MOV, note on segment registers). */
	if (x->operands[0].type == X86_OP_MEM)
		return ref_mem_write(cpu, ref_op_seg(cpu, 0), ref_op_addr(cpu, 0), 2, v) < 0
			? REF_STOP : REF_NEXT;
	return ref_write_op(cpu, 0, v) < 0 ? REF_STOP : REF_NEXT;
}

enum ref_status ref_mode_push_sreg(struct ref_cpu *cpu, const cs_insn *insn)
{
	int s = ref_mode_sreg(x86(insn)->operands[0].reg);
	unsigned size = ref_opsize(cpu, insn, 1);
	uint16_t sel = cpu->seg[s].sel;
	/* A 32-bit push writes the selector's 2 bytes at the new top and
	 * leaves the upper 2 (KVM em_push_sreg; recent Intel CPUs, SDM Vol. 2B
	 * PUSH); 16 and 64 bits write a zero-extended value. */
	uint64_t m = ref_stack_mask(cpu);
	uint64_t sp = (cpu->gpr[RSP] - size) & m;
	if (ref_mem_write_off(cpu, SEG_SS, sp, size == 4 ? 2 : size, sel) < 0)
		return REF_STOP;
	st_adjust(cpu, (uint64_t)0 - size);
	return REF_NEXT;
}

enum ref_status ref_mode_pop_sreg(struct ref_cpu *cpu, const cs_insn *insn)
{
	int s = ref_mode_sreg(x86(insn)->operands[0].reg);
	unsigned size = ref_opsize(cpu, insn, 1);
	uint64_t v;
	if (s == SEG_CS)
		return ref_raise(cpu, 6, 0, 0);
	if (st_read(cpu, 0, 2, &v) < 0 || ref_seg_load(cpu, (enum ref_seg)s, (uint16_t)v) < 0)
		return REF_STOP;
	st_adjust(cpu, size);
	return REF_NEXT;
}

enum ref_status ref_mode_lxs(struct ref_cpu *cpu, const cs_insn *insn)
{
	enum ref_seg s;
	switch (insn->id) {
	case X86_INS_LDS: s = SEG_DS; break;
	case X86_INS_LES: s = SEG_ES; break;
	case X86_INS_LSS: s = SEG_SS; break;
	case X86_INS_LFS: s = SEG_FS; break;
	default: s = SEG_GS; break;
	}
	const cs_x86 *x = x86(insn);
	if (x->op_count != 2 || x->operands[1].type != X86_OP_MEM)
		return ref_raise(cpu, 6, 0, 0);
	unsigned size = ref_reg_size(x->operands[0].reg);
	enum ref_seg ms = ref_op_seg(cpu, 1);
	uint64_t la = ref_op_addr(cpu, 1), off, sel;
	if (read_far_ptr(cpu, ms, la, size, &off, &sel) < 0)
		return REF_STOP;
	/* The segment first: a faulting load leaves the register (SDM Vol.
	 * 2A LDS "Operation"). */
	if (ref_seg_load(cpu, s, (uint16_t)sel) < 0)
		return REF_STOP;
	return ref_write_op(cpu, 0, off) < 0 ? REF_STOP : REF_NEXT;
}

/* ---- far transfers ---------------------------------------------------------- */

/* Whether off fits the code segment d: canonical for a 64-bit segment in
 * IA-32e mode, else truncated to the operand size and within the limit. */
static int far_target_ok(const struct ref_cpu *cpu, const struct seg_desc *d,
			 uint64_t *off, unsigned opsize)
{
	if ((cpu->efer & (1u << 10)) && d->l && cpu->mode != MODE_REAL16)
		return ref_canonical(*off);
	*off &= mask_of(opsize);
	return *off <= d->limit;
}

/* Reads a far pointer m16:16/32/64 (offset, then selector) at la. Up to
 * 8 bytes it is one access, as KVM's emulator reads it (one operand of
 * opsize + 2 bytes: its page split and MMIO fragments are those of one
 * access); m16:64 is two. */
static int read_far_ptr(struct ref_cpu *cpu, enum ref_seg ms, uint64_t la, unsigned opsize,
			uint64_t *off, uint64_t *sel)
{
	if (opsize + 2 <= 8) {
		uint64_t v;
		if (ref_mem_read(cpu, ms, la, opsize + 2, &v) < 0)
			return -1;
		*off = v & mask_of(opsize);
		*sel = (v >> (8 * opsize)) & 0xffff;
		return 0;
	}
	return ref_mem_read(cpu, ms, la, opsize, off) < 0 ||
	       ref_mem_read(cpu, ms, la + opsize, 2, sel) < 0 ? -1 : 0;
}

/* The selector:offset of a far JMP/CALL: two immediates (ptr16:16/32) or
 * memory m16:16/32/64, offset first. */
static int far_pointer(struct ref_cpu *cpu, const cs_insn *insn, uint16_t *sel,
		       uint64_t *off, unsigned *opsize)
{
	const cs_x86 *x = x86(insn);
	if (x->op_count == 2 && x->operands[0].type == X86_OP_IMM) {
		*sel = (uint16_t)x->operands[0].imm;
		*off = (uint64_t)x->operands[1].imm;
		*opsize = x->operands[1].size;
		return 0;
	}
	if (x->op_count != 1 || x->operands[0].type != X86_OP_MEM) {
		ref_raise(cpu, 6, 0, 0); /* FF /3 or /5 with a register: #UD */
		return -1;
	}
	*opsize = ref_opsize(cpu, insn, 0);
	enum ref_seg ms = ref_op_seg(cpu, 0);
	uint64_t la = ref_op_addr(cpu, 0), s;
	if (read_far_ptr(cpu, ms, la, *opsize, off, &s) < 0)
		return -1;
	*sel = (uint16_t)s;
	return 0;
}

/* Checks a same-privilege far target; 0 ready to commit, else the status
 * to return. */
static int far_check(struct ref_cpu *cpu, uint16_t sel, uint64_t *off, unsigned opsize,
		     struct seg_desc *d, enum ref_status *st)
{
	int r = ref_seg_check_cs(cpu, sel, cpu->cpl, d);
	if (r < 0) {
		*st = REF_STOP;
		return -1;
	}
	if (r > 0) {
		*st = REF_UNSUPPORTED;
		return -1;
	}
	if (!far_target_ok(cpu, d, off, opsize)) {
		*st = ref_raise(cpu, 13, 1, 0);
		return -1;
	}
	return 0;
}

enum ref_status ref_mode_ljmp(struct ref_cpu *cpu, const cs_insn *insn)
{
	uint16_t sel;
	uint64_t off;
	unsigned opsize;
	struct seg_desc d;
	enum ref_status st;
	if (far_pointer(cpu, insn, &sel, &off, &opsize) < 0)
		return REF_STOP;
	if (far_check(cpu, sel, &off, opsize, &d, &st) < 0)
		return st;
	ref_seg_commit_cs(cpu, &d);
	cpu->next_rip = off;
	return REF_NEXT;
}

enum ref_status ref_mode_lcall(struct ref_cpu *cpu, const cs_insn *insn)
{
	uint16_t sel;
	uint64_t off;
	unsigned opsize;
	struct seg_desc d;
	enum ref_status st;
	if (far_pointer(cpu, insn, &sel, &off, &opsize) < 0)
		return REF_STOP;
	if (far_check(cpu, sel, &off, opsize, &d, &st) < 0)
		return st;
	/* CS (zero-extended to the operand size) then the return offset
	 * (SDM Vol. 2A CALL, far call to the same privilege level). */
	if (st_write(cpu, 1, opsize, cpu->seg[SEG_CS].sel) < 0 ||
	    st_write(cpu, 2, opsize, cpu->next_rip & mask_of(opsize)) < 0)
		return REF_STOP;
	st_adjust(cpu, (uint64_t)0 - 2 * opsize);
	ref_seg_commit_cs(cpu, &d);
	cpu->next_rip = off;
	return REF_NEXT;
}

enum ref_status ref_mode_retf(struct ref_cpu *cpu, const cs_insn *insn)
{
	const cs_x86 *x = x86(insn);
	unsigned opsize = ref_opsize(cpu, insn, 0);
	uint64_t off, sel;
	struct seg_desc d;
	enum ref_status st;
	/* The selector is read first: a CPL3 RETF whose frame is on a
	 * not-present page faults with CR2 at the selector (measured on
	 * this machine's CPU, where 64-bit CPL3 code runs natively). */
	if (st_read(cpu, opsize, 2, &sel) < 0 || st_read(cpu, 0, opsize, &off) < 0)
		return REF_STOP;
	/* A return to an outer level (RPL > CPL) switches stacks: not
	 * modeled. RPL < CPL is #GP(selector) (SDM Vol. 2B RET). */
	if (!ref_real_segs(cpu) && (sel & 3) != cpu->cpl) {
		if ((sel & 3) < cpu->cpl)
			return ref_raise(cpu, 13, 1, (uint32_t)sel & 0xfffc);
		return REF_UNSUPPORTED;
	}
	if (far_check(cpu, (uint16_t)sel, &off, opsize, &d, &st) < 0)
		return st;
	uint64_t imm = x->op_count ? (uint64_t)x->operands[0].imm & 0xffff : 0;
	st_adjust(cpu, 2 * opsize + imm);
	ref_seg_commit_cs(cpu, &d);
	cpu->next_rip = off;
	return REF_NEXT;
}

/* ---- interrupts ---------------------------------------------------------------- */

enum ref_status ref_mode_int(struct ref_cpu *cpu, const cs_insn *insn)
{
	unsigned v = (unsigned)x86(insn)->operands[0].imm & 0xff;
	if (ref_lma(cpu)) {
		/* The 64-bit IDT gate (16 bytes): INT n from a CPL above the
		 * gate's DPL is #GP(v*8+2) (SDM Vol. 3A 6.12.1.1; the layout's
		 * gates are all present interrupt gates). */
		uint64_t lo;
		uint32_t err = v * 8 + 2;
		if (16 * v + 15 > cpu->idtr_limit)
			return ref_raise(cpu, 13, 1, err);
		if (ref_mem_sys_read(cpu, cpu->idtr_base + 16 * v, 8, &lo) < 0)
			return REF_STOP;
		if (cpu->cpl > ((lo >> 45) & 3))
			return ref_raise(cpu, 13, 1, err);
		if (!((lo >> 47) & 1))
			return ref_raise(cpu, 11, 1, err);
	}
	return ref_raise_trap(cpu, v);
}

enum ref_status ref_mode_into(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	if (cpu->code_bits == 64)
		return ref_raise(cpu, 6, 0, 0);
	if (!(cpu->rflags & RFLAGS_OF))
		return REF_NEXT;
	return ref_raise(cpu, 4, 0, 0); /* a trap: the frame holds the next IP */
}

/* The RFLAGS an IRET at CPL0 loads from image (SDM Vol. 2A IRET
 * "Operation"; KVM emulate_iret_real): all flags of the operand size
 * except VM, VIF and VIP, which only a 32/64-bit IRET may change and which
 * we do not model; bit 1 set, reserved bits clear. */
static uint64_t iret_flags(const struct ref_cpu *cpu, uint64_t image, unsigned opsize)
{
	const uint64_t changeable = RFLAGS_STATUS | RFLAGS_TF | RFLAGS_IF | RFLAGS_DF |
				    RFLAGS_IOPL | RFLAGS_NT | RFLAGS_RF | RFLAGS_AC | RFLAGS_ID;
	uint64_t keep = opsize == 2 ? ~0xffffull : RFLAGS_VM | RFLAGS_VIF | RFLAGS_VIP;
	/* From virtual-8086 mode (IOPL 3: ref_v86_check let it through)
	 * IOPL stays too (SDM Vol. 2A IRET, RETURN-FROM-VIRTUAL-8086-MODE). */
	if (ref_v86(cpu))
		keep |= RFLAGS_IOPL;
	uint64_t f = (cpu->rflags & keep) | (image & changeable & ~keep);
	return f | RFLAGS_FIXED1;
}

/* Commits the RFLAGS an IRET loads: the status flags through
 * ref_set_flags, so they count as defined again. 1 when not modeled
 * (TF would single-step the next instruction). */
static int iret_set_flags(struct ref_cpu *cpu, uint64_t f)
{
	if (f & RFLAGS_TF)
		return 1;
	cpu->rflags = (f & ~(uint64_t)RFLAGS_STATUS) | (cpu->rflags & RFLAGS_STATUS);
	ref_set_flags(cpu, RFLAGS_STATUS, f & RFLAGS_STATUS);
	return 0;
}

/* The IP, CS, FLAGS slots of an IRET frame, FLAGS first: a CPL3 IRETQ
 * whose frame is on a not-present page faults with CR2 at the RFLAGS slot
 * (measured on this machine's CPU; the SDM does not fix the order). */
static int iret_read3(struct ref_cpu *cpu, unsigned opsize, uint64_t *ip, uint64_t *cs,
		      uint64_t *fl)
{
	return st_read(cpu, 2 * (uint64_t)opsize, opsize, fl) < 0 ||
	       st_read(cpu, opsize, opsize, cs) < 0 || st_read(cpu, 0, opsize, ip) < 0 ? -1 : 0;
}

static enum ref_status iret_real(struct ref_cpu *cpu, unsigned opsize)
{
	uint64_t ip, cs, fl;
	if (iret_read3(cpu, opsize, &ip, &cs, &fl) < 0)
		return REF_STOP;
	/* A 32-bit IRET to an IP above 0xffff is #GP(0) (KVM
	 * emulate_iret_real; SDM Vol. 2A IRET, real-address mode). */
	if (ip > 0xffff)
		return ref_raise(cpu, 13, 1, 0);
	uint64_t f = iret_flags(cpu, fl, opsize);
	if (f & RFLAGS_TF)
		return REF_UNSUPPORTED;
	struct seg_desc d;
	ref_seg_check_cs(cpu, (uint16_t)cs, 0, &d);
	st_adjust(cpu, 3 * (uint64_t)opsize);
	ref_seg_commit_cs(cpu, &d);
	iret_set_flags(cpu, f);
	cpu->next_rip = ip;
	return REF_NEXT;
}

/* Protected mode, same privilege level only (SDM Vol. 3A 6.12.1: the
 * frame of a same-level interrupt is EIP, CS, EFLAGS). */
static enum ref_status iret_prot(struct ref_cpu *cpu, unsigned opsize)
{
	uint64_t ip, cs, fl;
	if (cpu->rflags & RFLAGS_NT)
		return REF_UNSUPPORTED; /* task return */
	if (iret_read3(cpu, opsize, &ip, &cs, &fl) < 0)
		return REF_STOP;
	if (opsize == 4 && (fl & RFLAGS_VM))
		return REF_UNSUPPORTED; /* return to virtual-8086 mode */
	if ((cs & 3) != cpu->cpl) {
		if ((cs & 3) < cpu->cpl)
			return ref_raise(cpu, 13, 1, (uint32_t)cs & 0xfffc);
		return REF_UNSUPPORTED;
	}
	struct seg_desc d;
	enum ref_status st;
	if (far_check(cpu, (uint16_t)cs, &ip, opsize, &d, &st) < 0)
		return st;
	uint64_t f = iret_flags(cpu, fl, opsize);
	if (f & RFLAGS_TF)
		return REF_UNSUPPORTED;
	st_adjust(cpu, 3 * (uint64_t)opsize);
	ref_seg_commit_cs(cpu, &d);
	iret_set_flags(cpu, f);
	cpu->next_rip = ip;
	return REF_NEXT;
}

/* IA-32e mode: IRET pops RIP, CS, RFLAGS, then RSP and SS when it began
 * in 64-bit mode or returns to an outer level; an IRET in compatibility
 * mode to the same level pops three slots (SDM Vol. 2A IRET, IA-32e-mode
 * return; APM Vol. 3 IRET pops them in 64-bit mode or on a CPL change;
 * QEMU TCG does the same, measured with the TMK of
 * corpus/modes/compat32-iretd-same-level.case). Modeled: the same privilege level, and CPL0 to
 * CPL3, which then nulls DS, ES, FS, GS if their DPL is below 3. */
static enum ref_status iret_long(struct ref_cpu *cpu, unsigned opsize)
{
	uint64_t ip, cs, fl, sp = 0, ss = 0;
	if (cpu->rflags & RFLAGS_NT)
		return ref_raise(cpu, 13, 1, 0); /* no task return in IA-32e mode */
	if (iret_read3(cpu, opsize, &ip, &cs, &fl) < 0)
		return REF_STOP;
	int pop_stack = cpu->code_bits == 64 || (cs & 3) != cpu->cpl;
	if (pop_stack && (st_read(cpu, 3 * (uint64_t)opsize, opsize, &sp) < 0 ||
			  st_read(cpu, 4 * (uint64_t)opsize, opsize, &ss) < 0))
		return REF_STOP;
	uint8_t new_cpl = (uint8_t)(cs & 3);
	if (new_cpl < cpu->cpl)
		return ref_raise(cpu, 13, 1, (uint32_t)cs & 0xfffc);
	if (new_cpl != cpu->cpl && !(cpu->cpl == 0 && new_cpl == 3))
		return REF_UNSUPPORTED;
	struct seg_desc d;
	int r = ref_seg_check_cs(cpu, (uint16_t)cs, new_cpl, &d);
	if (r)
		return r < 0 ? REF_STOP : REF_UNSUPPORTED;
	if (!far_target_ok(cpu, &d, &ip, opsize))
		return ref_raise(cpu, 13, 1, 0);
	uint64_t f = iret_flags(cpu, fl, opsize);
	if (f & (RFLAGS_TF | RFLAGS_VM))
		return REF_UNSUPPORTED;
	if (!pop_stack) {
		st_adjust(cpu, 3 * (uint64_t)opsize);
		ref_seg_commit_cs(cpu, &d);
		iret_set_flags(cpu, f);
		cpu->next_rip = ip;
		return REF_NEXT;
	}
	/* SS is checked at the new CPL; loading it is the last step that
	 * can fault, so CPL goes back on failure. */
	uint8_t old_cpl = cpu->cpl, old_bits = cpu->code_bits;
	struct seg_desc old_ss = cpu->seg[SEG_SS];
	cpu->cpl = new_cpl;
	cpu->code_bits = (d.l && (cpu->efer & (1u << 10))) ? 64 : d.db ? 32 : 16;
	if (ref_seg_load(cpu, SEG_SS, (uint16_t)ss) < 0) {
		cpu->cpl = old_cpl;
		cpu->code_bits = old_bits;
		cpu->seg[SEG_SS] = old_ss;
		return REF_STOP;
	}
	ref_seg_commit_cs(cpu, &d);
	cpu->gpr[RSP] = opsize == 2 ? (cpu->gpr[RSP] & ~0xffffull) | (sp & 0xffff)
				    : sp & mask_of(opsize);
	ref_note_gpr_write(cpu, RSP);
	iret_set_flags(cpu, f);
	if (new_cpl > old_cpl) {
		static const enum ref_seg data_segs[] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };
		for (unsigned i = 0; i < 4; i++) {
			struct seg_desc *s = &cpu->seg[data_segs[i]];
			int conforming = (s->type & 0xc) == 0xc;
			if (!s->unusable && !conforming && s->dpl < new_cpl) {
				s->sel = 0;
				s->unusable = 1;
			}
		}
	}
	cpu->next_rip = ip;
	return REF_NEXT;
}

enum ref_status ref_mode_iret(struct ref_cpu *cpu, const cs_insn *insn)
{
	unsigned opsize = ref_opsize(cpu, insn, 0);
	if (ref_real_segs(cpu))
		return iret_real(cpu, opsize);
	if (ref_lma(cpu))
		return iret_long(cpu, opsize);
	return iret_prot(cpu, opsize);
}

/* ---- PUSHA / POPA ----------------------------------------------------------------- */

enum ref_status ref_mode_pusha(struct ref_cpu *cpu, const cs_insn *insn)
{
	if (cpu->code_bits == 64)
		return ref_raise(cpu, 6, 0, 0);
	unsigned size = ref_opsize(cpu, insn, 1);
	/* AX, CX, DX, BX, the original SP, BP, SI, DI (SDM Vol. 2B PUSHA). */
	for (unsigned r = 0; r < 8; r++)
		if (st_write(cpu, r + 1, size, cpu->gpr[r] & mask_of(size)) < 0)
			return REF_STOP;
	st_adjust(cpu, (uint64_t)0 - 8 * size);
	return REF_NEXT;
}

enum ref_status ref_mode_popa(struct ref_cpu *cpu, const cs_insn *insn)
{
	if (cpu->code_bits == 64)
		return ref_raise(cpu, 6, 0, 0);
	unsigned size = ref_opsize(cpu, insn, 1);
	uint64_t v[8];
	/* DI at the top ... AX at the bottom; the SP slot is skipped. */
	for (unsigned k = 0; k < 8; k++)
		if (st_read(cpu, (uint64_t)k * size, size, &v[7 - k]) < 0)
			return REF_STOP;
	for (unsigned r = 0; r < 8; r++) {
		if (r == RSP)
			continue;
		cpu->gpr[r] = size == 2 ? (cpu->gpr[r] & ~0xffffull) | v[r] : v[r];
		ref_note_gpr_write(cpu, (int)r);
	}
	st_adjust(cpu, 8 * size);
	return REF_NEXT;
}
