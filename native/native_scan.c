/* Which cases the host would answer with its own system state instead of
 * the environment's: a linear decode of the case's code (Capstone, 64-bit)
 * looking for instructions whose result depends on what the host kernel
 * set up and the guest environment (core/mode.c) sets otherwise:
 *   - selectors and descriptor tables: MOV/PUSH/POP Sreg, LAR, LSL, VERR,
 *     VERW, far JMP/CALL/RET, IRET read or load the host's GDT and its
 *     selectors (user CS 0x33, data 0 or 0x2b), not the layout's 0x3b/0x33;
 *     SGDT, SIDT, SLDT, STR, SMSW are emulated by Linux under UMIP
 *     (arch/x86/kernel/umip.c) and return made-up values;
 *   - CR4.OSXSAVE and XCR0: the environment has OSXSAVE=0 (VEX, EVEX and
 *     XOP encodings, XGETBV, XSAVE.. raise #UD there, SDM Vol. 2A 2.3.1 and
 *     XGETBV) and XCR0 = x87 only; the host has both on;
 *   - CR4.FSGSBASE (RDFSBASE..: #UD in the environment, on for the host)
 *     and CR4.PKE (RDPKRU/WRPKRU);
 *   - the FS/GS bases, on a host kernel that does not let user code set
 *     them (no HWCAP2_FSGSBASE): the case would run with glibc's FS base;
 *   - RFLAGS.IF, which PUSHF stores: the host's user mode has IF=1;
 *   - instructions whose CPUID feature the environment's table and the
 *     host disagree about (native_cpuid.c).
 * And the knobs the host cannot set, for code that would see them: CR0.TS,
 * CR0.EM, CR4.OSFXSR clear with x87/MMX/SSE, CR4.TSD with RDTSC(P). The
 * others change nothing the host would not do alike at CPL3 (SMAP governs
 * CPL0 only, UMIP/OSXSAVE/FSGSBASE are the host's own settings, SYSCALL is
 * refused whatever EFER.SCE says).
 * A linear decode sees the bytes a case holds, not what it jumps into; a
 * jump into the middle of an instruction can hide one (docs/native.md). */
#include <stdio.h>
#include <sys/auxv.h>
#include "code_walk.h"
#include "knobs.h"
#include "native.h"
#include "native_cpuid.h"

static const unsigned host_state_insns[] = {
	X86_INS_LAR, X86_INS_LSL, X86_INS_VERR, X86_INS_VERW,
	X86_INS_LJMP, X86_INS_LCALL, X86_INS_RETF, X86_INS_RETFQ,
	X86_INS_IRET, X86_INS_IRETD, X86_INS_IRETQ,
	X86_INS_SGDT, X86_INS_SIDT, X86_INS_SLDT, X86_INS_STR, X86_INS_SMSW,
	X86_INS_XGETBV, X86_INS_XSETBV, X86_INS_XSAVE, X86_INS_XSAVE64,
	X86_INS_XSAVEC, X86_INS_XSAVEC64, X86_INS_XSAVEOPT, X86_INS_XSAVEOPT64,
	X86_INS_XSAVES, X86_INS_XSAVES64, X86_INS_XRSTOR, X86_INS_XRSTOR64,
	X86_INS_XRSTORS, X86_INS_XRSTORS64,
	X86_INS_RDFSBASE, X86_INS_RDGSBASE, X86_INS_WRFSBASE, X86_INS_WRGSBASE,
	/* RFLAGS.IF: 1 in the host's user mode, 0 in the environment; the
	 * image PUSHF stores carries it (SDM Vol. 2B PUSHF). */
	X86_INS_PUSHF, X86_INS_PUSHFD, X86_INS_PUSHFQ,
	/* Hypercalls: what they do is the hypervisor's, and under this host
	 * (itself possibly a guest) that is not the case's KVM. */
	X86_INS_VMCALL, X86_INS_VMMCALL,
};

/* The first opcode byte after legacy prefixes and REX. C4/C5 (VEX), 62
 * (EVEX) and 8F with a ModRM reg field other than 0 (XOP) start an encoding
 * that needs CR4.OSXSAVE in 64-bit mode (LES, LDS and BOUND do not exist
 * there). Also RDPKRU/WRPKRU (0F 01 EE/EF), unknown to Capstone 4. */
static int needs_host_cr4(const uint8_t *b, size_t n)
{
	size_t i = 0;
	while (i < n && dec_is_legacy_prefix(b[i]))
		i++;
	if (i < n && (b[i] & 0xf0) == 0x40)
		i++;
	if (i >= n)
		return 0;
	if (b[i] == 0xc4 || b[i] == 0xc5 || b[i] == 0x62)
		return 1;
	if (b[i] == 0x8f && i + 1 < n && ((b[i + 1] >> 3) & 7) != 0)
		return 1;
	return i + 2 < n && b[i] == 0x0f && b[i + 1] == 0x01 && (b[i + 2] == 0xee || b[i + 2] == 0xef);
}

/* MOV to or from a segment register, PUSH/POP FS/GS. */
static int uses_sreg(const cs_insn *in)
{
	if (in->id != X86_INS_MOV && in->id != X86_INS_PUSH && in->id != X86_INS_POP)
		return 0;
	const cs_x86 *x = &in->detail->x86;
	for (unsigned k = 0; k < x->op_count; k++)
		if (x->operands[k].type == X86_OP_REG) {
			x86_reg r = x->operands[k].reg;
			if (r == X86_REG_CS || r == X86_REG_DS || r == X86_REG_ES ||
			    r == X86_REG_FS || r == X86_REG_GS || r == X86_REG_SS)
				return 1;
		}
	return 0;
}

/* Capstone groups of the x87, MMX, SSE and AVX families (all need the
 * FPU state CR0.TS/EM and CR4.OSFXSR govern, SDM Vol. 3A 2.5 and table
 * 13-1... for #NM and #UD). */
static const uint8_t fpu_groups[] = {
	X86_GRP_FPU, X86_GRP_MMX, X86_GRP_3DNOW, X86_GRP_SSE1, X86_GRP_SSE2, X86_GRP_SSE3,
	X86_GRP_SSE41, X86_GRP_SSE42, X86_GRP_SSE4A, X86_GRP_SSSE3, X86_GRP_AES, X86_GRP_SHA,
	X86_GRP_PCLMUL, X86_GRP_AVX, X86_GRP_AVX2, X86_GRP_AVX512, X86_GRP_F16C, X86_GRP_FMA,
	X86_GRP_FMA4, X86_GRP_XOP,
};
/* In those groups but untouched by CR0.TS/EM and CR4.OSFXSR (their SDM
 * exception tables name none of the three). */
static const unsigned fpu_free[] = {
	X86_INS_LFENCE, X86_INS_MFENCE, X86_INS_SFENCE, X86_INS_PAUSE, X86_INS_MOVNTI,
	X86_INS_PREFETCHNTA, X86_INS_PREFETCHT0, X86_INS_PREFETCHT1, X86_INS_PREFETCHT2,
	X86_INS_CLFLUSH,
};

static int is_fpu_reg(x86_reg r)
{
	return (r >= X86_REG_ST0 && r <= X86_REG_ST7) || (r >= X86_REG_MM0 && r <= X86_REG_MM7) ||
	       (r >= X86_REG_XMM0 && r <= X86_REG_ZMM31) || r == X86_REG_FPSW;
}

/* 1 when the instruction uses x87, MMX or SSE state: what CR0.TS, CR0.EM
 * and a clear CR4.OSFXSR turn into #NM or #UD. Over-approximated: a
 * refusal costs a verdict, a miss costs a wrong one. */
static int uses_fpu(const cs_insn *in)
{
	for (unsigned k = 0; k < sizeof(fpu_free) / sizeof(fpu_free[0]); k++)
		if (in->id == fpu_free[k])
			return 0;
	const cs_detail *d = in->detail;
	for (unsigned g = 0; g < d->groups_count; g++)
		for (unsigned k = 0; k < sizeof(fpu_groups); k++)
			if (d->groups[g] == fpu_groups[k])
				return 1;
	for (unsigned k = 0; k < d->x86.op_count; k++)
		if (d->x86.operands[k].type == X86_OP_REG && is_fpu_reg(d->x86.operands[k].reg))
			return 1;
	unsigned i = 0;
	while (i < in->size && (dec_is_legacy_prefix(in->bytes[i]) || (in->bytes[i] & 0xf0) == 0x40))
		i++;
	if (i < in->size && ((in->bytes[i] >= 0xd8 && in->bytes[i] <= 0xdf) || in->bytes[i] == 0x9b))
		return 1;   /* x87 escape, WAIT (with CR0.MP, #NM under TS) */
	return in->id == X86_INS_FXSAVE || in->id == X86_INS_FXSAVE64 || in->id == X86_INS_FXRSTOR ||
	       in->id == X86_INS_FXRSTOR64 || in->id == X86_INS_LDMXCSR || in->id == X86_INS_STMXCSR ||
	       in->id == X86_INS_EMMS;
}

/* A knob the host cannot set changes nothing for code that never reaches
 * what it governs: the reason when in is such a thing, else NULL. */
static const char *knob_conflict(uint32_t knobs, const cs_insn *in)
{
	if ((knobs & KNOB_CR0_TS) && uses_fpu(in))
		return "cr0.ts";
	if ((knobs & KNOB_CR0_EM) && uses_fpu(in))
		return "cr0.em";
	if ((knobs & KNOB_NO_OSFXSR) && uses_fpu(in))
		return "no-osfxsr";
	if ((knobs & KNOB_CR4_TSD) && (in->id == X86_INS_RDTSC || in->id == X86_INS_RDTSCP))
		return "cr4.tsd";
	return NULL;
}

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)   /* Linux: arch/x86/include/uapi/asm/hwcap2.h */
#endif

int native_host_fsgsbase(void)
{
	return (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE) != 0;
}

/* A memory operand through FS or GS: with the host's FS base it would
 * read glibc's TLS where the guest reads from 0. */
static int uses_fs_gs_base(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	for (unsigned k = 0; k < x->op_count; k++)
		if (x->operands[k].type == X86_OP_MEM &&
		    (x->operands[k].mem.segment == X86_REG_FS || x->operands[k].mem.segment == X86_REG_GS))
			return 1;
	return 0;
}

static int is_fsgsbase(unsigned id)
{
	return id == X86_INS_RDFSBASE || id == X86_INS_RDGSBASE || id == X86_INS_WRFSBASE ||
	       id == X86_INS_WRGSBASE;
}

/* 1 (why filled) when in is something the native run cannot judge. */
static int refuses(const struct cpuid_table *t, uint32_t knobs, int host_fsgsbase,
		   const cs_insn *in, char *why, size_t whylen)
{
	int hit = needs_host_cr4(in->bytes, in->size) || uses_sreg(in);
	for (unsigned k = 0; !hit && k < sizeof(host_state_insns) / sizeof(host_state_insns[0]); k++)
		hit = in->id == host_state_insns[k];
	/* With the knob the environment has CR4.FSGSBASE=1, as the host,
	 * and native_enter made the bases 0, as the guest's. */
	if (hit && host_fsgsbase && (knobs & KNOB_CR4_FSGSBASE) && is_fsgsbase(in->id))
		hit = 0;
	if (!host_fsgsbase && uses_fs_gs_base(in)) {
		snprintf(why, whylen, "native:no-fsgsbase %s", in->mnemonic);
		return 1;
	}
	const char *knob = knob_conflict(knobs, in);
	if (knob) {
		snprintf(why, whylen, "native:%s %s", knob, in->mnemonic);
		return 1;
	}
	if (hit) {
		snprintf(why, whylen, "native:host %s", in->mnemonic);
		return 1;
	}
	return native_cpuid_differs(t, in, why, whylen);
}

struct scan {
	const struct cpuid_table *t;
	uint32_t knobs;
	int host_fsgsbase;
	char *why;
	size_t whylen;
};

static int visit(const cs_insn *in, void *ctx)
{
	struct scan *sc = ctx;
	return refuses(sc->t, sc->knobs, sc->host_fsgsbase, in, sc->why, sc->whylen);
}

/* The walk follows direct branches (codewalk/): a case that jumps into the
 * middle of what a sweep decodes (E9 0A 00 00 00 ... F6 DE E0 reaches
 * DE E0, FSUBRP) is judged by what it runs. */
int native_scan_host_state(const struct cpuid_table *t, uint32_t knobs, int host_fsgsbase,
			   const uint8_t *code, uint32_t len, char *why, size_t whylen)
{
	struct scan sc = { t, knobs, host_fsgsbase, why, whylen };
	int r = code_walk64(code, len, visit, &sc);
	if (r < 0)
		snprintf(why, whylen, "native:no decoder");
	return r != 0;
}
