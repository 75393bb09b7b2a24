/*
 * The structured instruction-stream generator: one template at a time,
 * encoded with legacy prefixes, REX, ModRM/SIB/displacement and immediates
 * (SDM Vol. 2A chapter 2), with memory operands aimed at the interesting
 * regions of the layout by choosing the base/index register values.
 *
 * Outside long64 (SDM Vol. 2A 2.2.1, 2.1.5): no REX (40-4F are INC/DEC),
 * default operand and address sizes of 16 (real16) or 32 bits, 66/67
 * toggling them, 16-bit ModRM addressing (table 2-1: BX/BP + SI/DI), no
 * RIP-relative form (mod 00 rm 101 is [disp32]), rel16 branches with a
 * 16-bit operand size, and targets that are offsets from the segment base
 * in real mode.
 */
#include <string.h>
#include "gen.h"
#include "gen_templates.h"
#include "knobs.h"
#include "msr_filter.h"
#include "layout.h"
#include "mode.h"

/* An instruction under construction. Longer than 15 bytes on purpose: a
 * pile of prefixes may exceed the architectural limit, which must #GP
 * (SDM Vol. 2A 2.3.11) and is worth testing. */
struct enc {
	uint8_t b[32];
	unsigned n;
	int rel;            /* bytes of branch displacement at the end (1/4) */
	unsigned rel_pos;
	int riprel;         /* RIP-relative disp32 at disp_pos, aimed at target */
	unsigned disp_pos;
	uint64_t target;
	int ind_reg;        /* register holding an indirect branch target, -1 */
};

/* The encoding context of the case's mode. */
struct mctx {
	int lm;             /* long64: REX, RIP-relative, 64-bit operands */
	int r16;            /* real16: 16-bit defaults */
	unsigned nregs;     /* 16 with REX, 8 without */
	uint64_t ip_base;   /* linear address of offset 0 of the code: RIP
			       values are offsets from it (real mode: CS base) */
};

static void put(struct enc *e, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		e->b[e->n++] = (uint8_t)(v >> (8 * i));
}

/* Registers other than RSP, so aiming never moves the stack. */
static unsigned pick_reg_not_rsp(struct gen_rng *r, unsigned nregs)
{
	unsigned g = gen_rng_below(r, nregs - 1);
	return g >= RSP ? g + 1 : g;
}

static uint8_t pick_seg(struct gen_rng *r)
{
	/* FS and GS are the overrides that still mean something in 64-bit
	 * mode (SDM Vol. 1 3.3.7.1); the others are ignored but legal. */
	static const uint8_t segs[] = { 0x64, 0x64, 0x64, 0x65, 0x65, 0x65,
					0x26, 0x2e, 0x36, 0x3e };
	return segs[gen_rng_below(r, sizeof(segs))];
}

static uint64_t pick_leaf(struct gen_rng *r)
{
	static const uint32_t leaves[] = { 0, 1, 2, 4, 6, 7, 0xa, 0xb, 0xd, 0x14,
					   0x40000000, 0x40000001, 0x80000000,
					   0x80000001, 0x80000007, 0x80000008 };
	if (gen_rng_chance(r, 90))
		return leaves[gen_rng_below(r, sizeof(leaves) / sizeof(leaves[0]))];
	return gen_rng_next(r) & 0xffffffffu;
}

static uint64_t pick_msr(struct gen_rng *r, const struct test_case *c)
{
	/* Under the MSR filter (knob msr-exit) mostly the filtered MSRs,
	 * each row's directions tried (core/msr_filter.c). */
	if ((c->knobs & KNOB_MSR_EXIT) && gen_rng_chance(r, 75))
		return msr_filter_rows[gen_rng_below(r, (unsigned)msr_filter_row_count)].index;
	/* The documented ones the reference models (SDM Vol. 4 table 2-2:
	 * SYSENTER_CS/ESP/EIP 174-176, EFER, STAR, LSTAR, CSTAR, FMASK,
	 * FS/GS/KERNEL_GS base, TSC_AUX) two thirds of the time; then a few
	 * others KVM answers (TSC, APIC base, feature control, PAT, misc
	 * enable, a KVM paravirtual one); then random. */
	static const uint32_t doc[] = { 0x174, 0x175, 0x176, 0xc0000080, 0xc0000080,
					0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084,
					0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103 };
	static const uint32_t other[] = { 0x10, 0x1b, 0x3a, 0x8b, 0xe7, 0xe8, 0x1a0, 0x277,
					  0x6e0, 0x4b564d00 };
	unsigned k = gen_rng_below(r, 100);
	if (k < 67)
		return doc[gen_rng_below(r, sizeof(doc) / sizeof(doc[0]))];
	if (k < 87)
		return other[gen_rng_below(r, sizeof(other) / sizeof(other[0]))];
	return gen_rng_next(r) & 0xffffffffu;
}

static uint64_t pick_selector(struct gen_rng *r, enum cpu_mode m)
{
	/* Real mode: any value loads base = value << 4 (SDM Vol. 3B 20.1.1);
	 * mostly the environment's own segment so the case goes on working. */
	if (mode_real_segs(m)) {
		static const uint16_t rs[] = { REAL_SEG, REAL_SEG, REAL_SEG, 0, REAL_STUB_SEG,
					       REAL_SEG + 0x200, 0xffff, 0xc000 };
		return rs[gen_rng_below(r, sizeof(rs) / sizeof(rs[0]))];
	}
	static const uint16_t sels[] = { 0, SEL_CODE64, SEL_DATA, SEL_DATA, SEL_TSS,
					 SEL_CODE32, SEL_UDATA, SEL_UCODE64, 0x13,
					 0x40, 0xffff, 0x3 };
	return sels[gen_rng_below(r, sizeof(sels) / sizeof(sels[0]))];
}

static unsigned pick_ctrl_reg(struct gen_rng *r)
{
	static const uint8_t crs[] = { 0, 0, 2, 3, 4, 4, 8, 1, 5, 9 };
	return crs[gen_rng_below(r, sizeof(crs))];
}

/* A displacement that keeps [reg + disp] near the target: small values,
 * sign boundaries, or random. */
static int32_t pick_disp(struct gen_rng *r, unsigned bytes)
{
	if (bytes == 1)
		return (int8_t)(gen_rng_chance(r, 60) ? (int)gen_rng_below(r, 33) - 16
						       : (int)gen_imm(r, 1));
	return gen_rng_chance(r, 60) ? (int32_t)gen_rng_below(r, 0x2000) - 0x1000
				     : (int32_t)gen_imm(r, 4);
}

/* Emits ModRM (+SIB, +displacement) for a memory operand whose register
 * field is `reg`, choosing an addressing form and setting the registers so
 * the effective address lands on an interesting target. Returns the REX
 * X/B bits it needs. */
/* 16-bit addressing (SDM Vol. 2A table 2-1): rm picks BX+SI, BX+DI,
 * BP+SI, BP+DI, SI, DI, BP (disp16 alone with mod 00) or BX; the sum
 * wraps at 16 bits. */
static void emit_mem16(struct gen_rng *r, struct test_case *c, struct enc *e, unsigned reg)
{
	static const int8_t base_of[8] = { RBX, RBX, RBP, RBP, -1, -1, RBP, RBX };
	static const int8_t index_of[8] = { RSI, RDI, RSI, RDI, RSI, RDI, -1, -1 };
	uint16_t target = (uint16_t)gen_pointer(r);
	unsigned rm = gen_rng_below(r, 8), mod = gen_rng_below(r, 3);
	e->b[e->n++] = (uint8_t)((mod << 6) | ((reg & 7) << 3) | rm);
	if (mod == 0 && rm == 6) {
		put(e, target, 2);
		return;
	}
	uint16_t disp = mod == 1 ? (uint16_t)(int16_t)(int8_t)pick_disp(r, 1)
			: mod == 2 ? (uint16_t)pick_disp(r, 4) : 0;
	if (mod == 1)
		put(e, (uint8_t)disp, 1);
	else if (mod == 2)
		put(e, disp, 2);
	uint16_t idx = 0;
	if (index_of[rm] >= 0) {
		idx = gen_rng_chance(r, 70) ? (uint16_t)gen_rng_below(r, 16) : (uint16_t)gen_value(r);
		c->gpr[index_of[rm]] = idx;
	}
	if (base_of[rm] >= 0)
		c->gpr[base_of[rm]] = (uint16_t)(target - disp - idx);
	else if (index_of[rm] >= 0)
		c->gpr[index_of[rm]] = (uint16_t)(target - disp);
	/* The upper half of the register must not matter (SDM Vol. 1 3.3.6). */
	if (gen_rng_chance(r, 20)) {
		int g = base_of[rm] >= 0 ? base_of[rm] : index_of[rm];
		c->gpr[g] |= (uint64_t)(uint16_t)gen_rng_next(r) << 16;
	}
}

static unsigned emit_mem(struct gen_rng *r, struct test_case *c, struct enc *e,
			 unsigned reg, int a32, const struct mctx *mc)
{
	uint64_t target = gen_pointer(r);
	unsigned rex = 0, k = gen_rng_below(r, 100);
	uint8_t modrm_reg = (uint8_t)((reg & 7) << 3);

	if (!mc->lm && k < 10) {
		/* [disp32] (mod 00, rm 101): absolute outside 64-bit mode. */
		e->b[e->n++] = modrm_reg | 0x05;
		put(e, (uint32_t)target, 4);
		return 0;
	}
	if (k < 10) {
		/* [rip + disp32] (SDM Vol. 2A 2.2.1.6): aimed once the
		 * length is known; targets in reach of the code page. */
		e->b[e->n++] = modrm_reg | 0x05;
		e->riprel = 1;
		e->disp_pos = e->n;
		put(e, 0, 4);
		if (target - LAYOUT_CODE > 0x10000 || gen_rng_chance(r, 10))
			target = LAYOUT_DATA + gen_rng_below(r, LAYOUT_DATA_SIZE + 0x10);
		e->target = target;
		return 0;
	}
	if (k < 18) {
		/* [disp32] through SIB with no base and no index. A 32-bit
		 * address (67) reaches the MMIO window; otherwise disp32 is
		 * sign-extended, so 0xc0000000 becomes a high, unmapped one. */
		e->b[e->n++] = modrm_reg | 0x04;
		e->b[e->n++] = 0x25;
		put(e, gen_rng_chance(r, 85) ? target : gen_imm(r, 4), 4);
		return 0;
	}
	if (k < 23) {
		/* [rsp + disp8]: the stack as it is. */
		e->b[e->n++] = modrm_reg | 0x44;
		e->b[e->n++] = 0x24;
		put(e, (uint64_t)(int64_t)(int8_t)(gen_rng_below(r, 8) * 8 -
						   (gen_rng_chance(r, 30) ? 32 : 0)), 1);
		return 0;
	}

	unsigned base = pick_reg_not_rsp(r, mc->nregs);
	/* 23..29: [index*scale + disp32]; 30..49: [base + index*scale];
	 * else plain [base] (SIB anyway when the base is RSP/R12). */
	int no_base = k < 30;
	int sib = k < 50 || (base & 7) == 4;
	unsigned index = 4; /* none */
	unsigned scale = gen_rng_below(r, 4);
	int64_t idx_val = 0;
	if (sib && (no_base || gen_rng_chance(r, 85))) {
		index = pick_reg_not_rsp(r, mc->nregs);
		idx_val = gen_rng_chance(r, 80) ? (int64_t)gen_rng_below(r, 16)
					       : (int64_t)gen_value(r);
	}
	/* mod: no displacement, disp8, disp32. RBP/R13 as a base has no
	 * mod=00 form (that encoding means disp32/RIP). */
	unsigned mod = gen_rng_below(r, 3);
	if (no_base)
		mod = 0;
	else if (mod == 0 && (base & 7) == 5)
		mod = 1;
	int32_t disp = no_base ? (int32_t)(uint32_t)(target - ((uint64_t)idx_val << scale))
		       : mod == 1 ? pick_disp(r, 1) : mod == 2 ? pick_disp(r, 4) : 0;

	if (sib) {
		e->b[e->n++] = (uint8_t)(mod << 6) | modrm_reg | 0x04;
		e->b[e->n++] = (uint8_t)(scale << 6) | (uint8_t)((index & 7) << 3) |
			       (uint8_t)(no_base ? 5 : (base & 7));
	} else {
		e->b[e->n++] = (uint8_t)(mod << 6) | modrm_reg | (uint8_t)(base & 7);
	}
	if (no_base || mod == 2)
		put(e, (uint32_t)disp, 4);
	else if (mod == 1)
		put(e, (uint8_t)disp, 1);

	if (index != 4) {
		rex |= (index >> 3) << 1;
		c->gpr[index] = (uint64_t)idx_val;
	}
	if (!no_base) {
		rex |= base >> 3;
		/* base = target - disp - index*scale; when base and index are
		 * one register the sum is not solved: the value is fuzz. */
		if (base != index)
			c->gpr[base] = target - (uint64_t)(int64_t)disp -
				       ((uint64_t)idx_val << scale);
		/* With a 32-bit address size the upper half must not matter
		 * (SDM Vol. 1 3.3.7): put garbage there sometimes. */
		if (mc->lm && a32 && base != index && gen_rng_chance(r, 30))
			c->gpr[base] ^= gen_rng_next(r) << 32;
	}
	return rex;
}

/* A value for a control register write: mostly the mode's own value with
 * one bit flipped (what a kernel would write, next to a reserved bit), so
 * a write gets past the first checks often. */
static uint64_t pick_cr_value(struct gen_rng *r, const struct test_case *c, unsigned cr)
{
	struct mode_env env;
	mode_env_init(&env, (enum cpu_mode)c->mode, c->knobs);
	uint64_t v = cr == 0 ? env.cr0 : cr == 3 ? env.cr3 : cr == 4 ? env.cr4 : 0;
	if (gen_rng_chance(r, 20))
		return gen_value(r);
	if (gen_rng_chance(r, 70))
		v ^= 1ull << gen_rng_below(r, cr == 8 ? 4 : 32);
	return v;
}

/* WRMSR's EDX:EAX by MSR: EFER near the mode's own value (one bit
 * flipped: reserved bits #GP, LME/LMA changes are refused while paging),
 * base MSRs canonical or just not (SDM Vol. 4 2.1, Vol. 3A 3.4.4), TSC_AUX
 * with or without its reserved upper half. */
static void aim_wrmsr(struct gen_rng *r, struct test_case *c)
{
	uint32_t msr = (uint32_t)c->gpr[RCX];
	uint64_t v;
	if (msr == 0xc0000080) {
		struct mode_env env;
		mode_env_init(&env, (enum cpu_mode)c->mode, c->knobs);
		v = env.efer ^ (gen_rng_chance(r, 60) ? 1ull << gen_rng_below(r, 16) : 0);
	} else if (msr >= 0xc0000100 && msr <= 0xc0000102) {
		v = gen_rng_chance(r, 70) ? gen_pointer(r)
					  : (gen_rng_chance(r, 50) ? 0x0000800000000000ull
								   : 0xffff800000000000ull) +
						    gen_rng_below(r, 16);
	} else if (msr == 0xc0000103) {
		v = gen_rng_chance(r, 80) ? gen_rng_below(r, 256) : gen_value(r);
	} else {
		v = gen_value(r);
	}
	c->gpr[RAX] = (uint32_t)v;
	c->gpr[RDX] = v >> 32;
}

/* XSETBV (SDM Vol. 2B): XCR0 must keep x87 (bit 0), AVX needs SSE. */
static void aim_xcr(struct gen_rng *r, struct test_case *c)
{
	static const uint32_t vals[] = { 1, 3, 7, 0, 2, 5, 0xe7, 0x207 };
	c->gpr[RCX] = gen_rng_chance(r, 85) ? 0 : gen_rng_below(r, 3);
	c->gpr[RAX] = vals[gen_rng_below(r, sizeof(vals) / sizeof(vals[0]))];
	c->gpr[RDX] = gen_rng_chance(r, 90) ? 0 : gen_value(r);
}

unsigned gen_insn_template(struct gen_rng *r, struct test_case *c, size_t ti)
{
	const struct gen_template *t = &gen_templates[ti];
	struct mctx mc = {
		.lm = c->mode == MODE_LONG64,
		.r16 = mode_real_segs((enum cpu_mode)c->mode),
		.nregs = c->mode == MODE_LONG64 ? 16 : 8,
		.ip_base = mode_real_segs((enum cpu_mode)c->mode) ? LAYOUT_CODE : 0,
	};
	r->mode = c->mode;
	struct enc e;
	memset(&e, 0, sizeof(e));
	e.ind_reg = -1;
	unsigned f = t->flags;
	int has_modrm = t->form == F_RM || t->form == F_DIGIT || t->form == F_CC_RM;
	int mem = has_modrm && ((f & T_MEM) || (!(f & T_REG) && gen_rng_chance(r, 55)));
	int memish = mem || (f & (T_MOFFS | T_SI | T_DI));

	/* Operand size (SDM Vol. 2A 2.2.1.2): REX.W wins over 66. */
	int o16 = (f & T_OSZ) ? gen_rng_chance(r, 15) : gen_rng_chance(r, 2);
	int w = (f & T_W) ? gen_rng_chance(r, 45) : gen_rng_chance(r, 3);
	int a32 = (memish || (f & T_COUNT)) ? gen_rng_chance(r, 8) : gen_rng_chance(r, 1);
	if (!mc.lm)
		w = 0;
	/* Effective sizes: 66 and 67 toggle the mode's defaults. */
	unsigned osz = w ? 64 : mc.r16 ? (o16 ? 32 : 16) : (o16 ? 16 : 32);
	unsigned asz = mc.lm ? (a32 ? 32 : 64) : mc.r16 ? (a32 ? 32 : 16) : (a32 ? 16 : 32);

	/* Legacy prefixes, in a random order (any order is legal, SDM Vol. 2A
	 * 2.1.1); the mandatory prefix goes last where it must be. */
	uint8_t pfx[6];
	unsigned np = 0;
	if (memish ? gen_rng_chance(r, 12) : gen_rng_chance(r, 1))
		pfx[np++] = pick_seg(r);
	if (a32)
		pfx[np++] = 0x67;
	if (o16)
		pfx[np++] = 0x66;
	if (((f & T_LOCK) && mem) ? gen_rng_chance(r, 25) : gen_rng_chance(r, 1))
		pfx[np++] = 0xf0;
	if ((f & T_REP) ? gen_rng_chance(r, 60) : gen_rng_chance(r, 1))
		pfx[np++] = gen_rng_chance(r, 75) ? 0xf3 : 0xf2;
	for (unsigned i = np; i > 1; i--) {
		unsigned j = gen_rng_below(r, i);
		uint8_t tmp = pfx[i - 1];
		pfx[i - 1] = pfx[j];
		pfx[j] = tmp;
	}
	for (unsigned i = 0; i < np; i++)
		e.b[e.n++] = pfx[i];
	if (t->mand)
		e.b[e.n++] = t->mand;

	/* Registers of the encoding, 0..15 (bit 3 goes to REX). */
	unsigned reg = gen_rng_below(r, 16), rm = gen_rng_below(r, 16);
	if (t->form == F_DIGIT)
		reg = t->dlo + gen_rng_below(r, t->dhi - t->dlo + 1u);
	else if (f & T_SREG)
		reg = gen_rng_chance(r, 85) ? (unsigned[]){ 3, 0, 4, 5, 2 }[gen_rng_below(r, 5)]
					    : gen_rng_below(r, 8);
	else if (t->op_len == 2 && t->op[0] == 0x0f && (t->op[1] == 0x20 || t->op[1] == 0x22))
		reg = pick_ctrl_reg(r);
	if (!mc.lm) {
		reg &= 7;
		rm &= 7;
	}
	unsigned cc = gen_rng_below(r, 16);

	/* REX comes right before the opcode; emitted after we know X/B, so
	 * reserve its slot now. */
	unsigned rex_pos = e.n++;
	for (unsigned i = 0; i < t->op_len; i++)
		e.b[e.n++] = t->op[i];
	uint8_t *last = &e.b[e.n - 1];
	unsigned rex = (unsigned)w << 3;
	if (t->form == F_PLUSR) {
		*last = (uint8_t)(*last + (rm & 7));
		rex |= rm >> 3;
	} else if (t->form == F_CC || t->form == F_CC_RM) {
		*last = (uint8_t)(*last + cc);
	}
	if (has_modrm) {
		rex |= (reg >> 3) << 2;
		if (mem && asz == 16) {
			emit_mem16(r, c, &e, reg);
		} else if (mem) {
			rex |= emit_mem(r, c, &e, reg, a32, &mc);
		} else {
			e.b[e.n++] = (uint8_t)(0xc0 | ((reg & 7) << 3) | (rm & 7));
			rex |= rm >> 3;
			if (f & T_IND)
				e.ind_reg = (int)rm;
			if ((f & T_SREG) && t->op[0] == 0x8e && rm != RSP)
				c->gpr[rm] = pick_selector(r, (enum cpu_mode)c->mode);
			if ((f & T_CRV) && rm != RSP)
				c->gpr[rm] = pick_cr_value(r, c, reg);
		}
	}
	/* A REX with no bits still matters: it turns AH..BH into SPL..DIL.
	 * Outside 64-bit mode there is no REX at all. */
	if (mc.lm && (rex || gen_rng_chance(r, 6)))
		e.b[rex_pos] = (uint8_t)(0x40 | rex);
	else {
		memmove(&e.b[rex_pos], &e.b[rex_pos + 1], e.n - rex_pos - 1);
		e.n--;
		if (e.riprel)
			e.disp_pos--;
	}

	/* Immediates. */
	unsigned isz = osz == 16 ? 2 : 4;
	switch (t->imm) {
	case I_8:
		put(&e, gen_imm(r, 1), 1);
		break;
	case I_16:
		put(&e, gen_imm(r, 2), 2);
		break;
	case I_Z:
		put(&e, gen_imm(r, isz), isz);
		break;
	case I_V:
		isz = osz / 8;
		put(&e, gen_rng_chance(r, 30) ? gen_pointer(r) : gen_imm(r, isz), isz);
		break;
	case I_REL8:
	case I_REL32:
		/* In 64-bit mode Intel keeps rel32 under 66 (SDM Vol. 2A JMP);
		 * elsewhere a 16-bit operand size means rel16. */
		e.rel = t->imm == I_REL8 ? 1 : (!mc.lm && osz == 16) ? 2 : 4;
		e.rel_pos = e.n;
		put(&e, 0, (unsigned)e.rel);
		break;
	case I_MOFFS:
		put(&e, gen_pointer(r), asz / 8);
		break;
	case I_16_8:
		put(&e, gen_rng_chance(r, 80) ? gen_rng_below(r, 64) : gen_imm(r, 2), 2);
		put(&e, gen_rng_chance(r, 80) ? gen_rng_below(r, 3) : gen_imm(r, 1), 1);
		break;
	case I_FAR:
		/* Offset, then selector: patched below once the length is known. */
		e.rel_pos = e.n;
		put(&e, 0, isz + 2);
		break;
	}

	if (c->code_len + e.n + 1 > CASE_CODE_MAX)
		return 0;
	/* RIP of the next instruction, as the guest sees it (an offset from
	 * CS base in real mode). */
	uint64_t next_rip = LAYOUT_CODE - mc.ip_base + c->code_len + e.n;
	if (e.riprel)
		for (unsigned i = 0; i < 4; i++)
			e.b[e.disp_pos + i] = (uint8_t)((e.target - next_rip) >> (8 * i));
	if (e.rel) {
		/* Mostly forward, a few bytes: into the next instructions or
		 * the HLT padding. Rarely backward, never onto itself (a jump
		 * to itself spends the whole time budget). */
		int64_t d = gen_rng_below(r, 12);
		if (gen_rng_chance(r, 2))
			d = -(int64_t)(e.n + 1 + gen_rng_below(r, 16));
		if (e.rel == 1 && (d < -128 || d > 127))
			d = 0;
		for (int i = 0; i < e.rel; i++)
			e.b[e.rel_pos + i] = (uint8_t)((uint64_t)d >> (8 * i));
	}
	if (t->imm == I_FAR) {
		/* A far target in the same code, through the mode's own code
		 * selector most of the time; else another selector (a data
		 * or null one faults, the stub segment lands on a HLT). */
		uint64_t off = next_rip + gen_rng_below(r, 12);
		uint16_t sel = mc.r16 ? REAL_SEG : SEL_CODE32;
		if (gen_rng_chance(r, 20))
			sel = (uint16_t)pick_selector(r, (enum cpu_mode)c->mode);
		for (unsigned i = 0; i < isz; i++)
			e.b[e.rel_pos + i] = (uint8_t)(off >> (8 * i));
		e.b[e.rel_pos + isz] = (uint8_t)sel;
		e.b[e.rel_pos + isz + 1] = (uint8_t)(sel >> 8);
	}
	if (e.ind_reg >= 0 && e.ind_reg != RSP)
		c->gpr[e.ind_reg] = gen_rng_chance(r, 85)
			? next_rip + gen_rng_below(r, 12) : gen_pointer(r);

	/* Registers the instruction reads implicitly. */
	if (f & T_SI)
		c->gpr[RSI] = gen_pointer(r);
	if (f & T_DI)
		c->gpr[RDI] = gen_pointer(r);
	if ((f & T_COUNT) && gen_rng_chance(r, 85))
		c->gpr[RCX] = gen_rng_below(r, 9);
	if (f & T_PORT)
		c->gpr[RDX] = (c->gpr[RDX] & ~0xffffull) | gen_port(r);
	if (f & T_CPUID) {
		c->gpr[RAX] = pick_leaf(r);
		c->gpr[RCX] = gen_rng_below(r, 3);
	}
	if (f & T_HCALL) {
		/* KVM's hypercall numbers (1..12: some answer, some do not
		 * exist any more), 0, and an unknown one. */
		static const uint32_t nr[] = { 0, 1, 2, 3, 5, 9, 10, 11, 12, 0xdead };
		c->gpr[RAX] = gen_rng_chance(r, 90) ? nr[gen_rng_below(r, sizeof(nr) / sizeof(nr[0]))]
						   : gen_value(r);
	}
	if (f & T_MSR) {
		c->gpr[RCX] = pick_msr(r, c);
		if (t->op[1] == 0x30 && gen_rng_chance(r, 80))
			aim_wrmsr(r, c);
	}
	if (f & T_XCR)
		aim_xcr(r, c);
	if (t->imm == I_8 && (t->op[0] & 0xfc) == 0xe4 && t->op_len == 1)
		e.b[e.n - 1] = (uint8_t)gen_port(r); /* IN/OUT imm8 */

	memcpy(c->code + c->code_len, e.b, e.n);
	c->code_len += e.n;
	if (r->info) {
		r->info->families |= 1u << t->family;
		r->info->insns++;
	}
	return e.n;
}

/* The weight a template is drawn with in mode m: 0 when invalid there.
 * SSE/x87 rows count a third of their table weight: they stay in the
 * stream (KVM's emulator handles some of them) as a small share, since
 * the reference leaves SSE data moves UNSUPPORTED and a case stops there.
 * Hypercalls count a thirtieth: a KVM that livelocks on them (kvm_pvm at
 * CPL0) spends a case's whole time budget on each, so at the others'
 * weight they would take most of a campaign's time. */
static unsigned template_weight(size_t i, unsigned m)
{
	const struct gen_template *t = &gen_templates[i];
	if (!gen_template_ok(t, m))
		return 0;
	if (t->flags & T_HCALL)
		return t->weight;
	return t->family == FAM_FP ? 10u * t->weight : 30u * t->weight;
}

/* A case under the MSR filter is there for its RDMSR/WRMSR: without one
 * the knob changes nothing. */
static int msr_template(struct gen_rng *r, const struct test_case *c, size_t *i)
{
	if (!(c->knobs & KNOB_MSR_EXIT) || !gen_rng_chance(r, 40))
		return 0;
	size_t found[4], n = 0;
	for (size_t j = 0; j < gen_templates_n && n < 4; j++)
		if ((gen_templates[j].flags & T_MSR) && gen_template_ok(&gen_templates[j], c->mode))
			found[n++] = j;
	if (!n)
		return 0;
	*i = found[gen_rng_below(r, (unsigned)n)];
	return 1;
}

/* Running sums of template_weight per mode, built at a mode's first
 * case: the draw is a binary search instead of a walk over the table
 * (that walk was half of what making a case cost). cum[m][i] is the
 * weight of templates 0..i; the draw w picks the first i with cum > w,
 * the template the walk picked, so every seed makes the case it made. */
static const uint32_t *weight_sums(unsigned m)
{
	static uint32_t cum[MODE_COUNT][GEN_TEMPLATES_MAX];
	static uint8_t built[MODE_COUNT];
	if (!built[m]) {
		uint32_t sum = 0;
		for (size_t i = 0; i < gen_templates_n; i++)
			cum[m][i] = sum += template_weight(i, m);
		built[m] = 1;
	}
	return cum[m];
}

unsigned gen_insn_one(struct gen_rng *r, struct test_case *c)
{
	unsigned m = c->mode < MODE_COUNT ? c->mode : MODE_LONG64;
	size_t msr;
	if (msr_template(r, c, &msr))
		return gen_insn_template(r, c, msr);
	const uint32_t *cum = weight_sums(m);
	uint32_t w = gen_rng_below(r, cum[gen_templates_n - 1]);
	size_t lo = 0, hi = gen_templates_n - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cum[mid] > w)
			hi = mid;
		else
			lo = mid + 1;
	}
	return gen_insn_template(r, c, lo);
}

/* mov eax, imm32 (66h in real mode): returns where the imm32 went. */
static uint32_t put_mov_eax(struct test_case *c, uint32_t v)
{
	if (mode_real_segs((enum cpu_mode)c->mode))
		c->code[c->code_len++] = 0x66;
	c->code[c->code_len++] = 0xb8;
	uint32_t at = c->code_len;
	for (int i = 0; i < 4; i++)
		c->code[c->code_len++] = (uint8_t)(v >> (8 * i));
	return at;
}

/* Debug breakpoints (SDM Vol. 3A 17.2): a CPL0 case may first arm DR0
 * through DR7, on data its instructions may touch (a write-only or a
 * read/write breakpoint of 1, 2, 4 or, in long mode, 8 bytes), the stack
 * top, or the start of one of its own instructions (patched in once they
 * exist): KVM must then raise the #DB its accesses cause. Returns where
 * DR0's immediate is when it is an instruction breakpoint, else 0. */
static uint32_t bp_prologue(struct gen_rng *r, struct test_case *c)
{
	static const uint8_t len_bits[4] = { 0, 1, 3, 2 }; /* 1, 2, 4, 8 bytes */
	unsigned kind = gen_rng_below(r, 3);
	unsigned len = gen_rng_below(r, c->mode == MODE_LONG64 ? 4 : 3);
	uint32_t addr = gen_rng_chance(r, 75) ?
		LAYOUT_DATA + (gen_rng_below(r, 64) & ~((1u << len) - 1)) :
		LAYOUT_STACK_TOP - 8 * (1 + gen_rng_below(r, 4));
	uint32_t rw = kind == 0 ? 1 : kind == 1 ? 3 : 0;
	uint32_t dr7 = 1u | rw << 16 | (kind == 2 ? 0 : (uint32_t)len_bits[len]) << 18;
	uint32_t at = put_mov_eax(c, addr);
	c->code[c->code_len++] = 0x0f; /* mov dr0, eax/rax */
	c->code[c->code_len++] = 0x23;
	c->code[c->code_len++] = 0xc0;
	put_mov_eax(c, dr7);
	c->code[c->code_len++] = 0x0f; /* mov dr7, eax/rax */
	c->code[c->code_len++] = 0x23;
	c->code[c->code_len++] = 0xf8;
	return kind == 2 ? at : 0;
}

int gen_insn(struct gen_rng *r, struct test_case *c)
{
	/* Short streams dominate: most bugs need one or two instructions,
	 * and a short case is cheaper to run and to triage. */
	static const uint8_t count_weights[8] = { 22, 20, 17, 13, 10, 8, 5, 5 };
	gen_regs_fill(r, c);
	uint32_t exec_bp = 0, starts[8];
	if (!(c->knobs & KNOB_CPL3) && gen_rng_chance(r, 3))
		exec_bp = bp_prologue(r, c);
	unsigned w = gen_rng_below(r, 100), n = 1;
	for (unsigned i = 0; i < 8 && w >= count_weights[i]; i++, n++)
		w -= count_weights[i];
	for (unsigned i = 0; i < n; i++) {
		starts[i] = c->code_len;
		gen_insn_one(r, c);
	}
	if (exec_bp) {
		uint32_t target = LAYOUT_CODE + starts[gen_rng_below(r, n)];
		for (int i = 0; i < 4; i++)
			c->code[exec_bp + i] = (uint8_t)(target >> (8 * i));
	}
	/* Usually an explicit HLT; otherwise the padding catches it. */
	if (gen_rng_chance(r, 90) && c->code_len < CASE_CODE_MAX)
		c->code[c->code_len++] = 0xf4;
	return 0;
}
