/* The remaining general-purpose instructions: ENTER, LEAVE, MOVBE, ADCX,
 * ADOX, PAUSE, the fences, CLFLUSH/CLFLUSHOPT/CLWB, PREFETCHh, MOVNTI,
 * CRC32, UD1, XLAT, BOUND and the BCD adjustments (AAA AAS DAA DAS AAM
 * AAD).
 *
 * The BCD instructions and BOUND are invalid in 64-bit mode: the run loop
 * raises #UD there before any handler (invalid_in_64bit in ref_exec.c),
 * so these handlers only ever run in 16/32-bit code.
 *
 * Every handler checks all faults before it commits a result (SDM Vol. 3A
 * 6.5: faults are restartable). Expected values in tests/test_ref_misc.c
 * were checked natively with tests/tools/misc_host_check.c. */
#include "ref_alu_priv.h"
#include "ref_ext_priv.h"

#define MISC_SZP (RFLAGS_SF | RFLAGS_ZF | RFLAGS_PF)

static inline const cs_x86 *x86(const cs_insn *insn)
{
	return &insn->detail->x86;
}

/* 1 = present, 0 = absent, -1 = no CPUID table (unknown: the handler
 * ends UNSUPPORTED, as the other families do). */
static int has_feature(const struct ref_cpu *cpu, uint32_t leaf, int reg, unsigned bit)
{
	if (!cpu->cpuid)
		return -1;
	const struct cpuid_entry *e = cpuid_lookup(cpu->cpuid, leaf, 0);
	if (!e)
		return 0;
	uint32_t v = reg == 'b' ? e->ebx : reg == 'c' ? e->ecx : e->edx;
	return (int)((v >> bit) & 1);
}

/* REF_NEXT when the feature is present, #UD when absent (the CPU does not
 * know the opcode), UNSUPPORTED when unknown. */
static enum ref_status feature_gate(struct ref_cpu *cpu, int have)
{
	if (have < 0)
		return REF_UNSUPPORTED;
	return have ? REF_NEXT : ref_raise(cpu, 6, 0, 0);
}

static enum ref_status misc_nop(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)cpu;
	(void)insn;
	return REF_NEXT;
}

static enum ref_status misc_ud(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	/* UD1 (0F B9 /r, Capstone "ud2b"): always #UD (SDM Vol. 2B UD). */
	return ref_raise(cpu, 6, 0, 0);
}

/* ---- fences and PAUSE ----------------------------------------------------
 * No architectural effect on one CPU. LFENCE and MFENCE need SSE2, SFENCE
 * SSE (CPUID.01H:EDX bits 26, 25): #UD without. They are not x87/SSE
 * instructions for CR0.TS/EM (SDM Vol. 2B LFENCE "Exceptions": only #UD
 * for LOCK). PAUSE is F3 90 and executes as NOP everywhere (SDM Vol. 2B
 * PAUSE). A LOCK prefix on any of them is #UD in the run loop. */
static enum ref_status misc_fence(struct ref_cpu *cpu, const cs_insn *insn)
{
	unsigned bit = insn->id == X86_INS_SFENCE ? 25 : 26;
	/* The fences are NP 0F AE E8/F0/F8: with 66h, F2h or F3h the slot is
	 * another instruction (INCSSP, UMONITOR/UMWAIT/TPAUSE, ...) that
	 * Capstone 4 still calls a fence. Those need CR4.CET (SDM Vol. 2A
	 * INCSSP) or CPUID.(7,0):ECX.WAITPKG[5] (Vol. 2B UMONITOR), neither
	 * modeled: #UD without WAITPKG (checked natively: all nine forms raise
	 * SIGILL here), not modeled with it. */
	int mandatory = 0;
	/* Every byte before the 0F escape is a prefix (a REX between F3 and
	 * 0F is ignored, the F3 still counts). */
	for (unsigned i = 0; i < insn->size && insn->bytes[i] != 0x0f; i++)
		mandatory |= insn->bytes[i] == 0x66 || insn->bytes[i] == 0xf2 ||
			     insn->bytes[i] == 0xf3;
	if (mandatory) {
		if (has_feature(cpu, 7, 'c', 5) != 0)
			return REF_UNSUPPORTED; /* WAITPKG present or unknown */
		return feature_gate(cpu, 0);
	}
	return feature_gate(cpu, has_feature(cpu, 1, 'd', bit));
}

/* ---- CLFLUSH, CLFLUSHOPT, CLWB, PREFETCHh --------------------------------
 * The cache-line flushes access no data but are checked like a one-byte
 * read: segment limit/type (#GP/#SS), canonical form in 64-bit mode, and
 * the page walk (#PF with a read error code) (SDM Vol. 2A CLFLUSH: "treated
 * by the processor as a data read ... page faults"). A target in the MMIO
 * window or in the read-only memslot is translated but never touched, so
 * no MMIO event. PREFETCHh are hints that never fault (SDM Vol. 2B
 * PREFETCHh: "does not cause any exceptions") whatever the address. */
static int probe_read(struct ref_cpu *cpu, int i)
{
	enum ref_seg s = ref_op_seg(cpu, i);
	uint64_t la;
	if (cpu->code_bits == 64) {
		la = ref_op_addr(cpu, i);
		if (!ref_canonical(la)) {
			ref_raise(cpu, s == SEG_SS ? 12 : 13, 1, 0);
			return -1;
		}
	} else {
		uint64_t off = ref_op_ea(cpu, i);
		if (ref_seg_check(cpu, s, off, 1, REF_ACC_READ) < 0)
			return -1;
		la = (cpu->seg[s].base + off) & 0xffffffffu;
	}
	uint64_t gpa;
	uint32_t pfec;
	if (ref_translate(cpu, la, REF_ACC_READ, &gpa, &pfec) < 0) {
		ref_raise_pf(cpu, la, pfec);
		return -1;
	}
	return 0;
}

static enum ref_status misc_clflush(struct ref_cpu *cpu, const cs_insn *insn)
{
	/* CLFLUSH: CPUID.01H:EDX.CLFSH[bit 19]; CLFLUSHOPT and CLWB:
	 * CPUID.(EAX=07H,ECX=0):EBX bits 23 and 24 (SDM Vol. 2A). */
	int ok = insn->id == X86_INS_CLFLUSH ? has_feature(cpu, 1, 'd', 19)
		 : insn->id == X86_INS_CLFLUSHOPT ? has_feature(cpu, 7, 'b', 23)
		 : has_feature(cpu, 7, 'b', 24);
	enum ref_status st = feature_gate(cpu, ok);
	if (st != REF_NEXT)
		return st;
	/* The opcodes take no F2/F3 prefix (SDM Vol. 2A: CLFLUSH is "NP 0F
	 * AE /7", CLFLUSHOPT/CLWB "NFx 66 0F AE /7 /6"); Capstone 4 still
	 * decodes F2/F3 0F AE /7 as CLFLUSH. Checked natively on this host
	 * at CPL3: both raise #UD, 66 0F AE /7 runs. */
	if (dec_has_prefix(insn, 0xf2) || dec_has_prefix(insn, 0xf3))
		return ref_raise(cpu, 6, 0, 0);
	return probe_read(cpu, 0) < 0 ? REF_STOP : REF_NEXT;
}

/* ---- MOVNTI ----------------------------------------------------------------
 * A store of a GPR with a non-temporal hint: architecturally a plain store
 * (SDM Vol. 2B MOVNTI); needs SSE2; not subject to CR0.TS/EM. */
static enum ref_status misc_movnti(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	uint64_t v;
	enum ref_status st = feature_gate(cpu, has_feature(cpu, 1, 'd', 26));
	if (st != REF_NEXT)
		return st;
	if (ref_read_op(cpu, 1, &v) < 0 || ref_write_op(cpu, 0, v) < 0)
		return REF_STOP;
	return REF_NEXT;
}

/* ---- MOVBE -----------------------------------------------------------------
 * Load or store with the bytes reversed; needs CPUID.01H:ECX.MOVBE[bit 22]
 * (SDM Vol. 2B MOVBE). A 16-bit load writes only the low word. A REP (F3)
 * prefix is #UD (SDM Vol. 2B MOVBE, "Protected Mode Exceptions"; checked
 * natively: F3 0F 38 F0/F1 raise SIGILL); Capstone 4 still decodes it. */
static uint64_t swap_bytes(uint64_t v, unsigned size)
{
	uint64_t r = 0;
	for (unsigned i = 0; i < size; i++)
		r |= ((v >> (8 * i)) & 0xff) << (8 * (size - 1 - i));
	return r;
}

static enum ref_status misc_movbe(struct ref_cpu *cpu, const cs_insn *insn)
{
	uint64_t v;
	enum ref_status st = feature_gate(cpu, has_feature(cpu, 1, 'c', 22));
	if (st != REF_NEXT)
		return st;
	if (dec_has_prefix(insn, 0xf3))
		return feature_gate(cpu, 0);
	/* F2 0F 38 F0/F1 is CRC32 (SDM Vol. 2A CRC32), but Capstone 4 decodes
	 * it in 16-bit code as MOVBE with MOVBE's operands: not modeled. */
	if (dec_has_prefix(insn, 0xf2))
		return REF_UNSUPPORTED;
	unsigned size = x86(insn)->operands[0].size;
	if (ref_read_op(cpu, 1, &v) < 0)
		return REF_STOP;
	return ref_write_op(cpu, 0, swap_bytes(v, size)) < 0 ? REF_STOP : REF_NEXT;
}

/* ---- ADCX, ADOX --------------------------------------------------------------
 * Unsigned add with carry through CF (ADCX) or OF (ADOX) only; every other
 * flag is unchanged (SDM Vol. 2A ADCX/ADOX). Need CPUID.(EAX=07H,ECX=0H):
 * EBX.ADX[bit 19]. Capstone marks the flag each one reads, so the run loop
 * already refuses an undefined carry-in. */
static enum ref_status misc_adx(struct ref_cpu *cpu, const cs_insn *insn)
{
	uint64_t a, b;
	enum ref_status st = feature_gate(cpu, has_feature(cpu, 7, 'b', 19));
	if (st != REF_NEXT)
		return st;
	uint64_t flag = insn->id == X86_INS_ADCX ? RFLAGS_CF : RFLAGS_OF;
	unsigned size = x86(insn)->operands[0].size;
	ALU_TRY(ref_read_op(cpu, 0, &a));
	ALU_TRY(ref_read_op(cpu, 1, &b));
	uint64_t cin = (cpu->rflags & flag) ? 1 : 0;
	uint64_t m = alu_mask(size);
	uint64_t r = (a + b + cin) & m;
	/* Carry out of the top bit: the sum wrapped, or equals a with a
	 * carry-in and b == all ones. */
	int cout = size == 8 ? (r < a || (cin && r == a)) : ((a + b + cin) >> (8 * size)) != 0;
	ALU_TRY(ref_write_op(cpu, 0, r));
	ref_set_flags(cpu, flag, cout ? flag : 0);
	return REF_NEXT;
}

/* ---- CRC32 -----------------------------------------------------------------
 * CRC-32C (polynomial 11EDC6F41h) of the source bytes, least significant
 * first, continuing from DEST[31:0], without the customary inversions;
 * the bit-reflected form of SDM Vol. 2A CRC32 "Operation" is the usual
 * shift-right update with the reflected polynomial 82F63B78h. The result
 * is 32 bits, zero-extended into a 64-bit destination. Flags unaffected.
 * Needs CPUID.01H:ECX.SSE4_2[bit 20]; not an SSE instruction for CR0. */
static enum ref_status misc_crc32(struct ref_cpu *cpu, const cs_insn *insn)
{
	enum ref_status st = feature_gate(cpu, has_feature(cpu, 1, 'c', 20));
	if (st != REF_NEXT)
		return st;
	uint64_t d, v;
	unsigned n = x86(insn)->operands[1].size;
	ALU_TRY(ref_read_op(cpu, 0, &d));
	ALU_TRY(ref_read_op(cpu, 1, &v));
	uint32_t crc = (uint32_t)d;
	for (unsigned i = 0; i < n; i++) {
		crc ^= (uint32_t)(v >> (8 * i)) & 0xff;
		for (int b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
	}
	return ref_write_op(cpu, 0, crc) < 0 ? REF_STOP : REF_NEXT;
}

/* ---- ENTER, LEAVE ----------------------------------------------------------
 * ENTER imm16, imm8 (SDM Vol. 2A ENTER, "Operation"): push rBP; FrameTemp
 * = rSP; for a nesting level L > 0 push L-1 frame pointers read at
 * rBP - k*size from SS, then FrameTemp; rBP = FrameTemp; rSP -= imm16.
 * The operand size (8 or 2 in 64-bit mode, else CS.D and 66h) sizes every
 * push and rBP: a 66h ENTER in 64-bit mode writes BP only and keeps bits
 * 63:16 (checked natively); the stack size (SS.B, ref_stack_mask) sizes
 * rSP.
 * Intel documents one more check: #PF "if a write using the final value
 * of the stack pointer ... would cause a page fault". Measured natively
 * (Intel Xeon): the pushes are already in memory, rSP and rBP keep their
 * old values, CR2 is the final rSP itself and the error code that of a
 * write (W|U at CPL3). The check is a page walk only: no access, so no
 * MMIO event for a final rSP in the MMIO window. A non-canonical final
 * rSP is #SS(0) (SDM ENTER, 64-bit mode exceptions). Outside 64-bit mode
 * an operand size that differs from the stack size (66h ENTER) ends
 * UNSUPPORTED: the SDM pseudo-code mixes the two ambiguously there. */
static int final_sp_check(struct ref_cpu *cpu, uint64_t sp)
{
	uint64_t la = sp, gpa;
	uint32_t pfec;
	if (cpu->code_bits == 64 && !ref_canonical(la)) {
		ref_raise(cpu, 12, 1, 0);
		return -1;
	}
	if (cpu->code_bits != 64)
		la = (cpu->seg[SEG_SS].base + sp) & 0xffffffffu;
	if (ref_translate(cpu, la, REF_ACC_WRITE, &gpa, &pfec) < 0) {
		ref_raise_pf(cpu, la, pfec);
		return -1;
	}
	return 0;
}

static void set_reg_sized(struct ref_cpu *cpu, int gpr, uint64_t v, uint64_t m)
{
	cpu->gpr[gpr] = (cpu->gpr[gpr] & ~m) | (v & m);
	ref_note_gpr_write(cpu, gpr);
}

/* One push of the frame at SS:(*sp - size), rSP itself untouched until
 * the instruction commits: a fault (or the final check) is then raised
 * with the registers as they were, which matters outside 64-bit mode
 * where delivery pushes its frame at the current rSP. */
static int frame_push(struct ref_cpu *cpu, uint64_t *sp, uint64_t v, unsigned size)
{
	uint64_t n = (*sp - size) & ref_stack_mask(cpu);
	if (ref_mem_write_off(cpu, SEG_SS, n, size, v) < 0)
		return -1;
	*sp = n;
	return 0;
}

static enum ref_status misc_enter(struct ref_cpu *cpu, const cs_insn *insn)
{
	unsigned size = ref_opsize(cpu, insn, 1);
	uint64_t smask = ref_stack_mask(cpu);
	if (cpu->code_bits != 64 && (size == 4) != (smask == 0xffffffffull))
		return REF_UNSUPPORTED;
	uint16_t alloc = (uint16_t)(insn->bytes[insn->size - 3] |
				    (insn->bytes[insn->size - 2] << 8));
	unsigned level = insn->bytes[insn->size - 1] & 31;
	uint64_t bp_mask = size == 8 ? ~0ull : alu_mask(size);
	uint64_t sp = cpu->gpr[RSP] & smask;
	if (frame_push(cpu, &sp, cpu->gpr[RBP] & bp_mask, size) < 0)
		return REF_STOP;
	uint64_t frame = sp;
	if (level > 0) {
		uint64_t bp = cpu->gpr[RBP];
		for (unsigned k = 1; k < level; k++) {
			uint64_t v;
			/* The frame pointers are read at SS:rBP, rBP sized by the
			 * stack size like the stack pointer (SDM: "IF StackSize
			 * = 32 ... EBP := EBP - 4; Push([EBP])"). */
			bp = (bp - size) & smask;
			if (ref_mem_read_off(cpu, SEG_SS, bp, size, &v) < 0 ||
			    frame_push(cpu, &sp, v, size) < 0)
				return REF_STOP;
		}
		if (frame_push(cpu, &sp, frame, size) < 0)
			return REF_STOP;
	}
	sp = (sp - alloc) & smask;
	if (final_sp_check(cpu, sp) < 0)
		return REF_STOP;
	set_reg_sized(cpu, RBP, frame, bp_mask);
	set_reg_sized(cpu, RSP, sp, smask);
	return REF_NEXT;
}

/* LEAVE (SDM Vol. 2A LEAVE): rSP = rBP (stack size), then pop rBP
 * (operand size). A faulting pop leaves both registers unchanged. */
static enum ref_status misc_leave(struct ref_cpu *cpu, const cs_insn *insn)
{
	unsigned size = ref_opsize(cpu, insn, 1);
	uint64_t smask = ref_stack_mask(cpu);
	uint64_t sp = cpu->gpr[RBP] & smask;
	uint64_t v;
	if (ref_mem_read_off(cpu, SEG_SS, sp, size, &v) < 0)
		return REF_STOP;
	set_reg_sized(cpu, RSP, sp + size, smask);
	set_reg_sized(cpu, RBP, v, size == 8 ? ~0ull : alu_mask(size));
	return REF_NEXT;
}

/* ---- XLAT ----------------------------------------------------------------
 * AL = [seg:rBX + AL] with AL zero-extended and the sum in the address
 * size; DS unless overridden (SDM Vol. 2B XLAT). Capstone 4 lists no
 * operands for it, so the address is computed here. */
static enum ref_status misc_xlat(struct ref_cpu *cpu, const cs_insn *insn)
{
	enum ref_seg s = SEG_DS;
	switch (x86(insn)->prefix[1]) {
	case X86_PREFIX_ES: s = SEG_ES; break;
	case X86_PREFIX_CS: s = SEG_CS; break;
	case X86_PREFIX_SS: s = SEG_SS; break;
	case X86_PREFIX_FS: s = SEG_FS; break;
	case X86_PREFIX_GS: s = SEG_GS; break;
	default: break;
	}
	unsigned as = x86(insn)->addr_size;
	uint64_t ea = cpu->gpr[RBX] + (cpu->gpr[RAX] & 0xff);
	ea &= as == 8 ? ~0ull : as == 4 ? 0xffffffffull : 0xffffull;
	uint64_t la = ea;
	if (s == SEG_FS || s == SEG_GS)
		la += cpu->seg[s].base;
	uint64_t v;
	if (ref_mem_read(cpu, s, la, 1, &v) < 0)
		return REF_STOP;
	set_reg_sized(cpu, RAX, v, 0xff);
	return REF_NEXT;
}

/* ---- BOUND (16/32-bit modes) ---------------------------------------------
 * Reads the signed lower and upper bounds (operand size each) at the
 * memory operand; an index below the lower or above the upper bound is
 * #BR (vector 5, a fault: it reports the BOUND itself) (SDM Vol. 2A BOUND). */
static enum ref_status misc_bound(struct ref_cpu *cpu, const cs_insn *insn)
{
	const cs_x86 *x = x86(insn);
	if (x->op_count != 2 || x->operands[1].type != X86_OP_MEM)
		return REF_UNSUPPORTED;
	unsigned size = x->operands[0].size;
	uint64_t idx, lo, hi;
	uint64_t la = ref_op_addr(cpu, 1);
	enum ref_seg s = ref_op_seg(cpu, 1);
	ALU_TRY(ref_read_op(cpu, 0, &idx));
	ALU_TRY(ref_mem_read(cpu, s, la, size, &lo));
	ALU_TRY(ref_mem_read(cpu, s, la + size, size, &hi));
	int64_t i = alu_sext(idx, size), l = alu_sext(lo, size), h = alu_sext(hi, size);
	if (i < l || i > h)
		return ref_raise(cpu, 5, 0, 0);
	return REF_NEXT;
}

/* ---- BCD adjustments (16/32-bit modes) -------------------------------------
 * SDM Vol. 2A AAA/AAS/DAA/DAS/AAM/AAD, "Operation" and "Flags Affected". */
static uint64_t al(const struct ref_cpu *cpu)
{
	return cpu->gpr[RAX] & 0xff;
}

static enum ref_status misc_aaa_aas(struct ref_cpu *cpu, const cs_insn *insn)
{
	/* AAA: AX += 106h; AAS: AX -= 6, AH -= 1 (the borrow of AL - 6
	 * reaches AH as well). CF = AF = the adjustment; AL keeps its low
	 * nibble. OF SF ZF PF undefined. */
	uint64_t ax = cpu->gpr[RAX] & 0xffff;
	int adj = (al(cpu) & 0xf) > 9 || (cpu->rflags & RFLAGS_AF);
	if (adj)
		ax = insn->id == X86_INS_AAA ? ax + 0x106 : ax - 6 - 0x100;
	ax = (ax & 0xff00) | (ax & 0x0f);
	set_reg_sized(cpu, RAX, ax, 0xffff);
	ref_set_flags(cpu, RFLAGS_CF | RFLAGS_AF, adj ? RFLAGS_CF | RFLAGS_AF : 0);
	ref_undefine_flags(cpu, RFLAGS_OF | MISC_SZP);
	return REF_NEXT;
}

static enum ref_status misc_daa_das(struct ref_cpu *cpu, const cs_insn *insn)
{
	/* old_AL, old_CF; low nibble > 9 or AF: AL +/-= 6, CF = old_CF or
	 * the carry/borrow of that step, AF = 1; then old_AL > 99h or
	 * old_CF: AL +/-= 60h, CF = 1. DAA's pseudo-code clears CF in the
	 * else branch, DAS's does not; the two only differ for DAS when the
	 * first step borrowed (AL < 6 with AF), checked natively. SF ZF PF
	 * by the result, OF undefined. */
	int sub = insn->id == X86_INS_DAS;
	uint64_t old = al(cpu), a = old;
	int old_cf = (cpu->rflags & RFLAGS_CF) != 0, cf = 0, af = 0;
	if ((old & 0xf) > 9 || (cpu->rflags & RFLAGS_AF)) {
		cf = old_cf || (sub ? old < 6 : old + 6 > 0xff);
		a = (sub ? a - 6 : a + 6) & 0xff;
		af = 1;
	}
	if (old > 0x99 || old_cf) {
		a = (sub ? a - 0x60 : a + 0x60) & 0xff;
		cf = 1;
	} else if (!sub) {
		cf = 0;
	}
	set_reg_sized(cpu, RAX, a, 0xff);
	ref_set_flags(cpu, RFLAGS_CF | RFLAGS_AF | MISC_SZP,
		      (cf ? RFLAGS_CF : 0) | (af ? RFLAGS_AF : 0) | alu_szp(a, 1));
	ref_undefine_flags(cpu, RFLAGS_OF);
	return REF_NEXT;
}

static enum ref_status misc_aam_aad(struct ref_cpu *cpu, const cs_insn *insn)
{
	/* The base is the immediate byte (D4 0A / D5 0A for decimal).
	 * AAM: AH = AL / base, AL = AL mod base; base 0 is #DE. AAD: AL =
	 * (AL + AH * base) & FFh, AH = 0. SF ZF PF by AL; OF AF CF
	 * undefined. */
	unsigned base = insn->bytes[insn->size - 1];
	uint64_t a = al(cpu), ah = (cpu->gpr[RAX] >> 8) & 0xff, ax;
	if (insn->id == X86_INS_AAM) {
		if (base == 0)
			return ref_raise(cpu, 0, 0, 0);
		ax = ((a / base) << 8) | (a % base);
	} else {
		ax = (a + ah * base) & 0xff;
	}
	set_reg_sized(cpu, RAX, ax, 0xffff);
	ref_set_flags(cpu, MISC_SZP, alu_szp(ax & 0xff, 1));
	ref_undefine_flags(cpu, RFLAGS_OF | RFLAGS_AF | RFLAGS_CF);
	return REF_NEXT;
}

const struct ref_sem ref_sem_misc[] = {
	{ X86_INS_ENTER, misc_enter },       { X86_INS_LEAVE, misc_leave },
	{ X86_INS_MOVBE, misc_movbe },       { X86_INS_MOVNTI, misc_movnti },
	{ X86_INS_ADCX, misc_adx },          { X86_INS_ADOX, misc_adx },
	{ X86_INS_PAUSE, misc_nop },
	{ X86_INS_LFENCE, misc_fence },      { X86_INS_MFENCE, misc_fence },
	{ X86_INS_SFENCE, misc_fence },
	{ X86_INS_CLFLUSH, misc_clflush },   { X86_INS_CLFLUSHOPT, misc_clflush },
	{ X86_INS_CLWB, misc_clflush },
	{ X86_INS_PREFETCHT0, misc_nop },    { X86_INS_PREFETCHT1, misc_nop },
	{ X86_INS_PREFETCHT2, misc_nop },    { X86_INS_PREFETCHNTA, misc_nop },
	{ X86_INS_PREFETCHW, misc_nop },     { X86_INS_PREFETCH, misc_nop },
	{ X86_INS_UD2B, misc_ud },           { X86_INS_CRC32, misc_crc32 },
	{ X86_INS_XLATB, misc_xlat },        { X86_INS_BOUND, misc_bound },
	{ X86_INS_AAA, misc_aaa_aas },       { X86_INS_AAS, misc_aaa_aas },
	{ X86_INS_DAA, misc_daa_das },       { X86_INS_DAS, misc_daa_das },
	{ X86_INS_AAM, misc_aam_aad },       { X86_INS_AAD, misc_aam_aad },
};
const unsigned ref_sem_misc_count = sizeof(ref_sem_misc) / sizeof(ref_sem_misc[0]);
