/* Bit instructions: BT BTS BTR BTC, BSF BSR, LZCNT TZCNT POPCNT, BSWAP.
 * SDM Vol. 2A BT/BTC/BTR/BTS/BSF/BSR/BSWAP/LZCNT, Vol. 2B POPCNT/TZCNT.
 *
 * Flags (each instruction's "Flags Affected"):
 *  - BT*: CF = the selected bit; ZF unaffected; OF SF AF PF undefined.
 *  - BSF/BSR: ZF = (source == 0); CF OF SF AF PF undefined. With a zero
 *    source the SDM calls the destination undefined; Intel CPUs (and AMD,
 *    which documents it) leave the whole 64-bit register unchanged, even
 *    for a 32-bit operand (checked natively: tests/tools/bits_host_check.c).
 *  - LZCNT/TZCNT: CF = (source == 0), ZF = (result == 0); OF SF AF PF
 *    undefined. Without the CPUID feature their F3 prefix is ignored and
 *    they execute as BSR/BSF.
 *  - POPCNT: ZF = (source == 0), CF OF SF AF PF cleared; #UD without
 *    CPUID.01H:ECX.POPCNT[bit 23]. */
#include "ref_alu_priv.h"
#include "ref_ext_priv.h"

#define BITS_SZAPO (RFLAGS_OF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF)

/* 1 = present, 0 = absent, -1 = no CPUID table (unknown). */
static int cpu_has(const struct ref_cpu *cpu, uint32_t leaf, int reg, unsigned bit)
{
	const struct cpuid_entry *e = cpuid_lookup(cpu->cpuid, leaf, 0);
	if (!cpu->cpuid)
		return -1;
	if (!e)
		return 0;
	uint32_t v = reg == 'b' ? e->ebx : reg == 'c' ? e->ecx : e->edx;
	return (int)((v >> bit) & 1);
}

/* ---- BT BTS BTR BTC ---------------------------------------------------------
 * With a register bit offset and a memory bit base the offset is signed
 * and selects memory beyond the operand: the operand-sized unit at
 * EA + size * (offset SAR log2(width)) holds bit offset mod width (SDM
 * Vol. 2A BT, "bit base/bit offset", Table 3-2). An immediate offset, or
 * a register bit base, is taken modulo the width. */
static enum ref_status bits_bt(struct ref_cpu *cpu, const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;
	if (x->op_count != 2)
		return REF_UNSUPPORTED;
	const unsigned size = ref_op_size(cpu, 0), w = alu_bits(size);
	uint64_t off, a;
	ALU_TRY(ref_read_op(cpu, 1, &off));
	const int writes = insn->id != X86_INS_BT;
	unsigned bit = (unsigned)(off & (w - 1));
	if (x->operands[0].type == X86_OP_MEM) {
		uint64_t ea = ref_op_ea(cpu, 0);
		if (x->operands[1].type == X86_OP_REG) {
			int64_t so = alu_sext(off, size);
			int64_t unit = so >> (w == 16 ? 4 : w == 32 ? 5 : 6);
			ea += (uint64_t)unit * size;
		}
		if (x->addr_size == 4)
			ea &= 0xffffffffu;
		enum ref_seg seg = ref_op_seg(cpu, 0);
		uint64_t la = ea + ((seg == SEG_FS || seg == SEG_GS) ? cpu->seg[seg].base : 0);
		ALU_TRY((writes ? ref_mem_read_rmw : ref_mem_read)(cpu, seg, la, size, &a));
		uint64_t r = a;
		switch (insn->id) {
		case X86_INS_BTS: r |= 1ull << bit; break;
		case X86_INS_BTR: r &= ~(1ull << bit); break;
		case X86_INS_BTC: r ^= 1ull << bit; break;
		default: break;
		}
		if (writes)
			ALU_TRY(ref_mem_write(cpu, seg, la, size, r));
	} else {
		ALU_TRY(ref_read_op(cpu, 0, &a));
		uint64_t r = a;
		switch (insn->id) {
		case X86_INS_BTS: r |= 1ull << bit; break;
		case X86_INS_BTR: r &= ~(1ull << bit); break;
		case X86_INS_BTC: r ^= 1ull << bit; break;
		default: break;
		}
		if (writes)
			ALU_TRY(ref_write_op(cpu, 0, r));
	}
	ref_set_flags(cpu, RFLAGS_CF, ((a >> bit) & 1) ? RFLAGS_CF : 0);
	ref_undefine_flags(cpu, BITS_SZAPO);
	return REF_NEXT;
}

/* ---- BSF BSR LZCNT TZCNT POPCNT -------------------------------------------- */

static unsigned lowest_set(uint64_t v) { return (unsigned)__builtin_ctzll(v); }
static unsigned highest_set(uint64_t v) { return 63u - (unsigned)__builtin_clzll(v); }

static enum ref_status bits_scan(struct ref_cpu *cpu, int forward)
{
	const unsigned size = ref_op_size(cpu, 0);
	uint64_t s;
	ALU_TRY(ref_read_op(cpu, 1, &s));
	s &= alu_mask(size);
	if (s) {
		ALU_TRY(ref_write_op(cpu, 0, forward ? lowest_set(s) : highest_set(s)));
	} else if (cpu->insn->detail->x86.operands[0].type == X86_OP_REG) {
		/* A zero source leaves the destination (all 64 bits) unchanged;
		 * it is still this instruction's result, so a differing value
		 * there is named by it, not by whatever ran last. */
		ref_note_gpr_write(cpu, ref_reg_gpr(cpu->insn->detail->x86.operands[0].reg));
	}
	ref_set_flags(cpu, RFLAGS_ZF, s ? 0 : RFLAGS_ZF);
	ref_undefine_flags(cpu, RFLAGS_CF | BITS_SZAPO);
	return REF_NEXT;
}

/* LZCNT: CPUID.80000001H:ECX.ABM[bit 5]; TZCNT: CPUID.(EAX=07H,
 * ECX=0):EBX.BMI1[bit 3]. */
static enum ref_status bits_count(struct ref_cpu *cpu, int lz)
{
	int have = lz ? cpu_has(cpu, 0x80000001u, 'c', 5) : cpu_has(cpu, 7, 'b', 3);
	if (have < 0)
		return REF_UNSUPPORTED;
	if (!have)
		return bits_scan(cpu, !lz);
	const unsigned size = ref_op_size(cpu, 0), w = alu_bits(size);
	uint64_t s;
	ALU_TRY(ref_read_op(cpu, 1, &s));
	s &= alu_mask(size);
	uint64_t r = !s ? w : lz ? (w - 1 - highest_set(s)) : lowest_set(s);
	ALU_TRY(ref_write_op(cpu, 0, r));
	ref_set_flags(cpu, RFLAGS_CF | RFLAGS_ZF,
		      (s ? 0 : RFLAGS_CF) | (r ? 0 : RFLAGS_ZF));
	ref_undefine_flags(cpu, BITS_SZAPO);
	return REF_NEXT;
}

static enum ref_status bits_cnt(struct ref_cpu *cpu, const cs_insn *insn)
{
	return bits_count(cpu, insn->id == X86_INS_LZCNT);
}

/* Capstone 4 decodes F3 66 0F BC/BD (the order the run loop puts the
 * prefixes in) as BSF/BSR ax: the F3 still makes it TZCNT/LZCNT. */
static enum ref_status bits_bsf(struct ref_cpu *cpu, const cs_insn *insn)
{
	return dec_has_prefix(insn, 0xf3) ? bits_count(cpu, 0) : bits_scan(cpu, 1);
}

static enum ref_status bits_bsr(struct ref_cpu *cpu, const cs_insn *insn)
{
	return dec_has_prefix(insn, 0xf3) ? bits_count(cpu, 1) : bits_scan(cpu, 0);
}

static enum ref_status bits_popcnt(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	int have = cpu_has(cpu, 1, 'c', 23);
	if (have < 0)
		return REF_UNSUPPORTED;
	if (!have)
		return ref_raise(cpu, 6, 0, 0);
	const unsigned size = ref_op_size(cpu, 0);
	uint64_t s;
	ALU_TRY(ref_read_op(cpu, 1, &s));
	s &= alu_mask(size);
	ALU_TRY(ref_write_op(cpu, 0, (uint64_t)__builtin_popcountll(s)));
	ref_set_flags(cpu, RFLAGS_STATUS, s ? 0 : RFLAGS_ZF);
	return REF_NEXT;
}

/* BSWAP r32/r64 (SDM Vol. 2A BSWAP). The operand size comes from the
 * mode, 66h and REX.W (Capstone 4 names the 32-bit register whatever 66h
 * says). With a 16-bit operand the result is undefined: the register is
 * marked unpredictable (outcome.undefined_gprs), as RDRAND's is. No flags. */
static enum ref_status bits_bswap(struct ref_cpu *cpu, const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;
	int g = x->op_count == 1 && x->operands[0].type == X86_OP_REG ?
		ref_reg_gpr(x->operands[0].reg) : -1;
	if (g < 0)
		return REF_UNSUPPORTED;
	const unsigned size = ref_opsize(cpu, insn, 0);
	if (size == 2) {
		cpu->out->undefined_gprs |= 1u << g;
	} else {
		uint64_t v = cpu->gpr[g];
		/* A 32-bit result zero-extends (SDM Vol. 1 3.4.1.1). */
		cpu->gpr[g] = size == 8 ? __builtin_bswap64(v) : __builtin_bswap32((uint32_t)v);
	}
	ref_note_gpr_write(cpu, g);
	return REF_NEXT;
}

/* ---- SHLD SHRD ------------------------------------------------------------
 * SDM Vol. 2B SHLD/SHRD: the count (imm8 or CL) is masked to 5 bits, 6
 * with REX.W. Count 0: no flag changes; the destination is still written,
 * as for the other shifts (ref_alu_shift.c). A count above the width
 * (16-bit operands only) leaves result and flags undefined: not modeled.
 * CF is the last bit shifted out of the destination, SF ZF PF follow the
 * result, OF (count 1 only) says the sign changed; AF is undefined, and OF
 * too for a count above 1. */
static enum ref_status bits_shxd(struct ref_cpu *cpu, const cs_insn *insn)
{
	if (insn->detail->x86.op_count != 3)
		return REF_UNSUPPORTED;
	const unsigned size = ref_op_size(cpu, 0), w = alu_bits(size);
	const uint64_t m = alu_mask(size), msb = alu_msb(size);
	uint64_t d, s, c;
	ALU_TRY(ref_read_op_rmw(cpu, 0, &d));
	ALU_TRY(ref_read_op(cpu, 1, &s));
	ALU_TRY(ref_read_op(cpu, 2, &c));
	d &= m;
	s &= m;
	c &= size == 8 ? 0x3f : 0x1f;
	if (c > w)
		return REF_UNSUPPORTED;
	if (c == 0) {
		ALU_TRY(ref_write_op(cpu, 0, d));
		return REF_NEXT;
	}
	uint64_t r, cf;
	if (insn->id == X86_INS_SHLD) {
		/* c == w (16-bit only): the source replaces the destination. */
		r = c == w ? s : ((d << c) | (s >> (w - c))) & m;
		cf = (d >> (w - c)) & 1;
	} else {
		r = c == w ? s : ((d >> c) | (s << (w - c))) & m;
		cf = (d >> (c - 1)) & 1;
	}
	ALU_TRY(ref_write_op(cpu, 0, r));
	uint64_t f = alu_szp(r, size) | (cf ? RFLAGS_CF : 0);
	if (c == 1) {
		if ((r ^ d) & msb)
			f |= RFLAGS_OF;
		ref_set_flags(cpu, RFLAGS_STATUS & ~(uint64_t)RFLAGS_AF, f);
		ref_undefine_flags(cpu, RFLAGS_AF);
	} else {
		ref_set_flags(cpu, RFLAGS_CF | RFLAGS_SF | RFLAGS_ZF | RFLAGS_PF, f);
		ref_undefine_flags(cpu, RFLAGS_AF | RFLAGS_OF);
	}
	return REF_NEXT;
}

const struct ref_sem ref_sem_bits[] = {
	{ X86_INS_BT, bits_bt },   { X86_INS_BTS, bits_bt },
	{ X86_INS_BTR, bits_bt },  { X86_INS_BTC, bits_bt },
	{ X86_INS_BSF, bits_bsf }, { X86_INS_BSR, bits_bsr },
	{ X86_INS_LZCNT, bits_cnt }, { X86_INS_TZCNT, bits_cnt },
	{ X86_INS_POPCNT, bits_popcnt }, { X86_INS_BSWAP, bits_bswap },
	{ X86_INS_SHLD, bits_shxd },  { X86_INS_SHRD, bits_shxd },
};
const unsigned ref_sem_bits_count = sizeof(ref_sem_bits) / sizeof(ref_sem_bits[0]);
