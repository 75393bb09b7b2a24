/* Descriptor-table instructions: LGDT/LIDT/SGDT/SIDT, SLDT/STR/LLDT/LTR,
 * VERR/VERW, LAR/LSL.
 *
 * The guest environment has one GDT (layout.h): null, 64-bit code, data,
 * the 16-byte busy TSS, 32-bit code, user data, user 64-bit code; the LDT
 * is null and unusable. Consequences the handlers rely on:
 *   - LTR can never succeed: the only TSS descriptor is already busy, and
 *     LTR of a busy TSS is #GP(selector) (SDM Vol. 2A LTR; Vol. 3A 8.2.4).
 *     So LTR never has to set the busy bit, which would be a write to the
 *     GDT page: KVM's read-only memslot, an MMIO write exit that changes
 *     nothing.
 *   - LLDT of any non-null selector is #GP(selector): there is no LDT
 *     descriptor (type 2) in the GDT.
 * In 64-bit mode the reference delivers exceptions through the fixed
 * layout (IST1 stubs, CS 0x08), not through GDTR/IDTR: an LGDT or LIDT
 * that moves either table is UNSUPPORTED there. Outside 64-bit mode the
 * exception delivery and segment loads read cpu->gdtr/idtr, so a new
 * table is followed. */
#include "ref_sys_priv.h"

/* The memory operand of insn (operand 0), or -1 with #UD raised when it
 * is a register (the register forms of these opcodes are other
 * instructions or #UD: SDM Vol. 2A LGDT, SGDT "Exceptions"). */
static int mem_operand(struct ref_cpu *cpu, const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;
	if (x->op_count < 1 || x->operands[0].type != X86_OP_MEM) {
		ref_sys_ud(cpu);
		return -1;
	}
	return 0;
}

/* The pseudo-descriptor (SDM Vol. 2A LGDT): limit then base, 10 bytes
 * in 64-bit mode, else 6. SGDT/SIDT store it as one access, in MMIO
 * fragments of at most 8 bytes (6 at once, or 8 then 2); LGDT/LIDT read
 * the limit, then the base, as KVM's emulator does. (Measured: KVM's
 * emulator loops on either when the operand is in the MMIO window, and
 * the case times out: a KVM bug.) */
static int pseudo_read(struct ref_cpu *cpu, uint64_t *limit, uint64_t *base)
{
	enum ref_seg s = ref_op_seg(cpu, 0);
	uint64_t a = ref_op_addr(cpu, 0);
	/* KVM's emulator reads the limit, then the base (read_descriptor). */
	if (ref_mem_read(cpu, s, a, 2, limit) < 0 ||
	    ref_mem_read(cpu, s, a + 2, ref_sys_64(cpu) ? 8 : 4, base) < 0)
		return -1;
	return 0;
}

static int pseudo_write(struct ref_cpu *cpu, uint16_t limit, uint64_t base)
{
	enum ref_seg s = ref_op_seg(cpu, 0);
	uint64_t a = ref_op_addr(cpu, 0), lo = limit | (base << 16);
	if (!ref_sys_64(cpu))
		return ref_mem_write(cpu, s, a, 6, lo & 0xffffffffffffull);
	/* Both pages are checked before either part is written: a fault
	 * leaves memory unchanged, CR2 naming the first byte that cannot
	 * be written (a, or the start of the second page). */
	uint64_t gpa, pg2 = (a + 9) & ~0xfffull;
	uint32_t pfec;
	if (ref_canonical(a) && ref_canonical(a + 9)) {
		if (ref_translate(cpu, a, REF_ACC_WRITE, &gpa, &pfec) < 0) {
			ref_raise_pf(cpu, a, pfec);
			return -1;
		}
		if (pg2 > a && ref_translate(cpu, pg2, REF_ACC_WRITE, &gpa, &pfec) < 0) {
			ref_raise_pf(cpu, pg2, pfec);
			return -1;
		}
	}
	return ref_mem_write(cpu, s, a, 8, lo) < 0 ||
	       ref_mem_write(cpu, s, a + 8, 2, base >> 48) < 0 ? -1 : 0;
}

/* LGDT/LIDT m: #GP(0) above CPL0 (SDM Vol. 2A LGDT). */
static enum ref_status desc_lgdt(struct ref_cpu *cpu, const cs_insn *insn)
{
	if (mem_operand(cpu, insn) < 0)
		return REF_STOP;
	if (!ref_require_cpl0(cpu))
		return REF_STOP;
	uint64_t limit, base;
	if (pseudo_read(cpu, &limit, &base) < 0)
		return REF_STOP;
	if (!ref_sys_64(cpu))
		base &= ref_opsize(cpu, insn, 0) == 2 ? 0xffffff : 0xffffffffu;
	/* A non-canonical base: the SDM lists no #GP for it (upstream KVM
	 * raises one, kvm_pvm loads it); it is a new table either way, so
	 * the "moved" rule below ends it UNSUPPORTED. */
	int idt = insn->id == X86_INS_LIDT;
	uint64_t *b = idt ? &cpu->idtr_base : &cpu->gdtr_base;
	uint16_t *l = idt ? &cpu->idtr_limit : &cpu->gdtr_limit;
	if (ref_lma(cpu) && (base != *b || limit != *l))
		return ref_sys_unsupported(cpu, "%s:moved", insn->mnemonic);
	*b = base;
	*l = (uint16_t)limit;
	return REF_NEXT;
}

/* SGDT/SIDT m: limit then base, 10 bytes in 64-bit mode, else 6 (the full
 * 32-bit base whatever the operand size, SDM Vol. 2B SGDT). With
 * CR4.UMIP, #GP(0) above CPL0. */
static enum ref_status desc_sgdt(struct ref_cpu *cpu, const cs_insn *insn)
{
	if (mem_operand(cpu, insn) < 0)
		return REF_STOP;
	if ((cpu->cr4 & CR4_UMIP) && cpu->cpl > 0)
		return ref_sys_gp(cpu, 0);
	int idt = insn->id == X86_INS_SIDT;
	uint64_t base = idt ? cpu->idtr_base : cpu->gdtr_base;
	uint16_t limit = idt ? cpu->idtr_limit : cpu->gdtr_limit;
	return pseudo_write(cpu, limit, base) < 0 ? REF_STOP : REF_NEXT;
}

/* SLDT/STR r/m: the selector; to memory 2 bytes, to a register
 * zero-extended to the operand size (SDM Vol. 2B SLDT, STR). #UD in real
 * mode; #GP(0) with CR4.UMIP above CPL0. */
static enum ref_status desc_sldt_str(struct ref_cpu *cpu, const cs_insn *insn)
{
	if (!ref_sys_protected(cpu))
		return ref_sys_ud(cpu);
	if ((cpu->cr4 & CR4_UMIP) && cpu->cpl > 0)
		return ref_sys_gp(cpu, 0);
	uint16_t sel = insn->id == X86_INS_STR ? cpu->tr.sel : cpu->ldtr.sel;
	const cs_x86_op *o = &insn->detail->x86.operands[0];
	if (o->type == X86_OP_MEM)
		return ref_mem_write(cpu, ref_op_seg(cpu, 0), ref_op_addr(cpu, 0), 2, sel) < 0 ?
		       REF_STOP : REF_NEXT;
	if (ref_reg_gpr(o->reg) < 0)
		return REF_UNSUPPORTED;
	return ref_write_op(cpu, 0, sel) < 0 ? REF_STOP : REF_NEXT;
}

/* Reads the GDT descriptor of sel (8 bytes). 0; 1 when sel is outside
 * the GDT or names the LDT (no usable LDT exists); -1 after a fault. */
static int gdt_desc(struct ref_cpu *cpu, uint16_t sel, uint64_t *d)
{
	if ((sel & 4) || (uint32_t)(sel | 7) > cpu->gdtr_limit)
		return 1;
	return ref_mem_sys_read(cpu, cpu->gdtr_base + (sel & ~7u), 8, d) < 0 ? -1 : 0;
}

/* LLDT r/m16 and LTR r/m16 (SDM Vol. 2A LLDT, LTR): #UD in real mode,
 * #GP(0) above CPL0. LLDT with a null selector makes LDTR unusable;
 * otherwise the selector must name an LDT (LLDT, type 2) or an available
 * TSS (LTR, type 1 or 9) in the GDT: #GP(selector) if not, #NP(selector)
 * if not present. LTR of a null selector is #GP(0). */
static enum ref_status desc_lldt_ltr(struct ref_cpu *cpu, const cs_insn *insn)
{
	if (!ref_sys_protected(cpu))
		return ref_sys_ud(cpu);
	if (!ref_require_cpl0(cpu))
		return REF_STOP;
	uint64_t v;
	const cs_x86_op *o = &insn->detail->x86.operands[0];
	if (o->type == X86_OP_MEM) {
		if (ref_mem_read(cpu, ref_op_seg(cpu, 0), ref_op_addr(cpu, 0), 2, &v) < 0)
			return REF_STOP;
	} else if (ref_read_op(cpu, 0, &v) < 0) {
		return REF_STOP;
	}
	uint16_t sel = (uint16_t)v;
	int ltr = insn->id == X86_INS_LTR;
	if ((sel & ~3u) == 0) {
		if (ltr)
			return ref_sys_gp(cpu, 0);
		cpu->ldtr = (struct seg_desc){ .sel = sel, .type = 0x2, .unusable = 1 };
		return REF_NEXT;
	}
	uint64_t d;
	int r = gdt_desc(cpu, sel, &d);
	if (r < 0)
		return REF_STOP;
	unsigned type = (d >> 40) & 0xf, s = (d >> 44) & 1, p = (d >> 47) & 1;
	int want = ltr ? (type == 1 || type == 9) : type == 2;
	if (r > 0 || s || !want)
		return ref_sys_gp(cpu, sel & 0xfffc);
	if (!p)
		return ref_raise(cpu, 11, 1, sel & 0xfffc);
	/* A real LDT or available TSS: only reachable after an LGDT to a
	 * table of the case's own (and LTR would write the busy bit). */
	return ref_sys_unsupported(cpu, "%s:load", insn->mnemonic);
}

/* VERR/VERW r/m16 and LAR/LSL r, r/m16: ZF = 1 when the selector is
 * visible at the CPL/RPL and of the right kind (SDM Vol. 2B VERR/VERW,
 * Vol. 2A LAR, LSL). Only ZF changes; #UD in real mode. Code and data
 * descriptors only: a system descriptor in the GDT (our TSS) gives ZF=0
 * for VERR/VERW and a type-dependent answer for LAR/LSL, modeled for the
 * 64-bit busy TSS (valid for both, SDM Vol. 2A LAR table 3-57). */
static enum ref_status desc_verify(struct ref_cpu *cpu, const cs_insn *insn)
{
	if (!ref_sys_protected(cpu))
		return ref_sys_ud(cpu);
	const cs_x86 *x = &insn->detail->x86;
	int lar = insn->id == X86_INS_LAR, lsl = insn->id == X86_INS_LSL;
	int src = (lar || lsl) ? 1 : 0;
	if (x->op_count <= src)
		return REF_UNSUPPORTED;
	uint64_t v;
	const cs_x86_op *o = &x->operands[src];
	if (o->type == X86_OP_MEM) {
		if (ref_mem_read(cpu, ref_op_seg(cpu, src), ref_op_addr(cpu, src), 2, &v) < 0)
			return REF_STOP;
	} else if (ref_read_op(cpu, src, &v) < 0) {
		return REF_STOP;
	}
	uint16_t sel = (uint16_t)v;
	uint64_t d = 0;
	int r = (sel & ~3u) ? gdt_desc(cpu, sel, &d) : 1;
	if (r < 0)
		return REF_STOP;
	unsigned type = (d >> 40) & 0xf, s = (d >> 44) & 1, dpl = (d >> 45) & 3;
	unsigned rpl = sel & 3, cpl = cpu->cpl;
	int code = s && (type & 8), conforming = code && (type & 4);
	int ok = r == 0;
	if (ok && !conforming && (dpl < cpl || dpl < rpl))
		ok = 0;
	if (ok) {
		switch (insn->id) {
		case X86_INS_VERR: ok = s && (!code || (type & 2)); break;
		case X86_INS_VERW: ok = s && !code && (type & 2); break;
		default:
			/* LAR/LSL: any code/data; of the system types in
			 * 64-bit mode only LDT (2), and 64-bit TSS (9, 11)
			 * (LAR also call gates, 12; none here). */
			ok = s || type == 2 || type == 9 || type == 0xb;
			break;
		}
	}
	if (!ok) {
		ref_set_flags(cpu, RFLAGS_ZF, 0);
		return REF_NEXT;
	}
	if (lar || lsl) {
		/* The 16-byte TSS needs its upper half checked as well in
		 * 64-bit mode; ours is well formed. */
		unsigned size = ref_opsize(cpu, insn, 0);
		uint64_t res;
		if (lar) {
			/* SDM Vol. 2A LAR masks with 00FxFF00H, x = limit
			 * 19:16 left undefined; the CPU copies them (measured
			 * natively: LAR of the user data selector 0x2b gives
			 * 0x00cff300). */
			res = (d >> 32) & 0x00ffff00u;
		} else {
			res = (d & 0xffff) | ((d >> 32) & 0xf0000);
			if ((d >> 55) & 1)
				res = (res << 12) | 0xfff;
		}
		if (size == 2)
			res &= 0xffff;
		if (ref_write_op(cpu, 0, res) < 0)
			return REF_STOP;
	}
	ref_set_flags(cpu, RFLAGS_ZF, RFLAGS_ZF);
	return REF_NEXT;
}

/* ARPL r/m16, r16 (63 /r outside 64-bit mode, where 63 is MOVSXD): when
 * the destination selector's RPL is below the source's, raise it to it and
 * set ZF, else clear ZF; nothing else changes and the destination is only
 * written when adjusted. #UD in real mode (SDM Vol. 2A ARPL). */
static enum ref_status desc_arpl(struct ref_cpu *cpu, const cs_insn *insn)
{
	if (!ref_sys_protected(cpu))
		return ref_sys_ud(cpu);
	const cs_x86 *x = &insn->detail->x86;
	uint64_t dst, src;
	if (x->op_count != 2 || x->operands[1].type != X86_OP_REG)
		return REF_UNSUPPORTED;
	if (ref_read_op_rmw(cpu, 0, &dst) < 0 || ref_read_op(cpu, 1, &src) < 0)
		return REF_STOP;
	if ((dst & 3) < (src & 3)) {
		if (ref_write_op(cpu, 0, (dst & 0xfffc) | (src & 3)) < 0)
			return REF_STOP;
		ref_set_flags(cpu, RFLAGS_ZF, RFLAGS_ZF);
	} else {
		ref_set_flags(cpu, RFLAGS_ZF, 0);
	}
	return REF_NEXT;
}

const struct ref_sem ref_sem_sys_desc[] = {
	{ X86_INS_ARPL, desc_arpl },
	{ X86_INS_LGDT, desc_lgdt },     { X86_INS_LIDT, desc_lgdt },
	{ X86_INS_SGDT, desc_sgdt },     { X86_INS_SIDT, desc_sgdt },
	{ X86_INS_SLDT, desc_sldt_str }, { X86_INS_STR, desc_sldt_str },
	{ X86_INS_LLDT, desc_lldt_ltr }, { X86_INS_LTR, desc_lldt_ltr },
	{ X86_INS_VERR, desc_verify },   { X86_INS_VERW, desc_verify },
	{ X86_INS_LAR, desc_verify },    { X86_INS_LSL, desc_verify },
};
const unsigned ref_sem_sys_desc_count = sizeof(ref_sem_sys_desc) / sizeof(ref_sem_sys_desc[0]);
