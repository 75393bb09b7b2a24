/* Availability of the x87, MMX, SSE and AVX instructions: the #NM/#UD
 * checks every one of them makes before anything else it does. The end
 * state carries no x87/MMX/XMM registers, so their data operations stay
 * UNSUPPORTED (a GPR or memory result would depend on register contents
 * no executor reports); what this file models is only whether they fault.
 *
 * The rules (SDM Vol. 3A 2.5 table 2-2 "Effect of the MP, EM and TS
 * flags", Vol. 3A 13.1.3 and 12.1 for SSE and MMX; Vol. 2A 2.4 and 2.8,
 * the exception-class tables, for each instruction's "Exceptions"):
 *   class   CR0.EM=1   CR4.OSFXSR=0   CR0.TS=1
 *   x87     #NM        -              #NM        (ESC opcodes D8-DF)
 *   WAIT    -          -              #NM only when CR0.MP=1 as well
 *   FXSAVE  #NM        -              #NM        (FXSAVE/FXRSTOR)
 *   MMX     #UD        -              #NM
 *   SSE     #UD        #UD            #NM
 *   AVX     -          -              #NM, after #UD when CR4.OSXSAVE=0
 *           or XCR0 does not enable SSE and AVX state (bits 2:1), and
 *           always #UD in real mode (C4/C5 are LES/LDS there)
 * #UD wins over #NM: table 2-2 lists EM=1 as #UD for MMX/SSE whatever TS
 * is, and KVM's emulator checks in the same order (x86_emulate_insn).
 *
 * A class is recognised by what the instruction touches rather than by
 * Capstone's ISA group alone: Capstone files PAUSE, the fences, CLFLUSH,
 * PREFETCHh, MOVNTI, CRC32, MONITOR/MWAIT under SSE groups although none
 * of them uses the x87/XMM state or cares about CR0.TS. */
#include "ref_internal.h"

#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXSAVE (1ull << 18)

enum fp_class { FP_NONE, FP_X87, FP_WAIT, FP_FXSR, FP_MMX, FP_SSE, FP_AVX, FP_AMBIG };

static int has_group(const cs_insn *insn, uint8_t g)
{
	for (unsigned i = 0; i < insn->detail->groups_count; i++)
		if (insn->detail->groups[i] == g)
			return 1;
	return 0;
}

/* The first opcode byte after the legacy and REX prefixes. */
static uint8_t first_opcode(const cs_insn *insn)
{
	for (unsigned i = 0; i < insn->size; i++) {
		uint8_t b = insn->bytes[i];
		if (dec_is_legacy_prefix(b))
			continue;
		if ((b & 0xf0) == 0x40 && insn->detail->x86.rex)
			continue;
		return b;
	}
	return 0;
}

static enum fp_class classify(const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;
	switch (insn->id) {
	case X86_INS_WAIT:
		return FP_WAIT;
	case X86_INS_FXSAVE: case X86_INS_FXSAVE64:
	case X86_INS_FXRSTOR: case X86_INS_FXRSTOR64:
		return FP_FXSR;
	case X86_INS_LDMXCSR: case X86_INS_STMXCSR:
		return FP_SSE;
	case X86_INS_EMMS: case X86_INS_FEMMS:
		return FP_MMX;
	default:
		break;
	}
	/* VEX/EVEX/XOP encoded vector instructions (not BMI1/BMI2, which
	 * are VEX encoded but work on GPRs only). */
	if (has_group(insn, X86_GRP_AVX) || has_group(insn, X86_GRP_AVX2) ||
	    has_group(insn, X86_GRP_AVX512) || has_group(insn, X86_GRP_FMA) ||
	    has_group(insn, X86_GRP_F16C) || has_group(insn, X86_GRP_FMA4) ||
	    has_group(insn, X86_GRP_XOP))
		return FP_AVX;
	uint8_t op = first_opcode(insn);
	if (op >= 0xd8 && op <= 0xdf)
		return FP_X87;
	int mm = 0, xmm = 0;
	for (unsigned i = 0; i < x->op_count; i++) {
		if (x->operands[i].type != X86_OP_REG)
			continue;
		x86_reg r = x->operands[i].reg;
		if (r >= X86_REG_MM0 && r <= X86_REG_MM7)
			mm = 1;
		else if (r >= X86_REG_XMM0 && r <= X86_REG_XMM31)
			xmm = 1;
	}
	if (xmm)
		return FP_SSE; /* also CVTPI2PS xmm, mm and friends */
	if (mm) {
		/* MMX-register forms the SSE/SSSE3 extensions added (PSHUFB
		 * mm, PAVGB mm, ...): whether CR4.OSFXSR=0 makes them #UD is
		 * not spelled out consistently; MMX proper never checks it. */
		if (has_group(insn, X86_GRP_MMX) || has_group(insn, X86_GRP_3DNOW))
			return FP_MMX;
		return FP_AMBIG;
	}
	return FP_NONE;
}

int ref_fpsse_check(struct ref_cpu *cpu, const cs_insn *insn)
{
	enum fp_class c = classify(insn);
	if (c == FP_NONE)
		return 0;
	int em = (cpu->cr0 & CR0_EM) != 0, ts = (cpu->cr0 & CR0_TS) != 0;
	int nofxsr = !(cpu->cr4 & CR4_OSFXSR);
	switch (c) {
	case FP_X87:
	case FP_FXSR:
		if (em || ts)
			return ref_raise(cpu, 7, 0, 0), 1;
		return 0;
	case FP_WAIT:
		if (ts && (cpu->cr0 & CR0_MP))
			return ref_raise(cpu, 7, 0, 0), 1;
		return 0;
	case FP_MMX:
		if (em)
			return ref_raise(cpu, 6, 0, 0), 1;
		if (ts)
			return ref_raise(cpu, 7, 0, 0), 1;
		return 0;
	case FP_AMBIG:
		if (em)
			return ref_raise(cpu, 6, 0, 0), 1;
		if (nofxsr) {
			ref_terminal(cpu, EXIT_UNSUPPORTED, 0, cpu->rip);
			return 1;
		}
		if (ts)
			return ref_raise(cpu, 7, 0, 0), 1;
		return 0;
	case FP_SSE:
		if (em || nofxsr)
			return ref_raise(cpu, 6, 0, 0), 1;
		if (ts)
			return ref_raise(cpu, 7, 0, 0), 1;
		return 0;
	case FP_AVX: {
		/* AVX-512 state also needs XCR0 bits 7:5 (SDM Vol. 1 15.2). */
		uint64_t need = has_group(insn, X86_GRP_AVX512) ? 0xe6 : 0x6;
		if (cpu->mode == MODE_REAL16 || !(cpu->cr4 & CR4_OSXSAVE) ||
		    (cpu->xcr0 & need) != need)
			return ref_raise(cpu, 6, 0, 0), 1;
		if (ts)
			return ref_raise(cpu, 7, 0, 0), 1;
		return 0;
	}
	default:
		return 0;
	}
}
