/* MSRs and the instructions built on them: RDMSR/WRMSR over a documented
 * MSR table, SYSCALL/SYSRET, SYSENTER/SYSEXIT, RDTSC/RDTSCP, RDRAND/RDSEED, XGETBV/XSETBV,
 * RDFSBASE/RDGSBASE/WRFSBASE/WRGSBASE (docs/semantics.md, "System
 * instructions", lists the MSR set).
 *
 * An MSR outside the table ends the case UNSUPPORTED ("rdmsr:0x<index>"):
 * the hypervisor may know MSRs we do not model, so a #GP from us would be
 * a false report. */
#include "msr_filter.h"
#include "ref_vendor.h"
#include "ref_sys_priv.h"

#define MSR_TSC             0x00000010u
#define MSR_SYSENTER_CS     0x00000174u
#define MSR_SYSENTER_ESP    0x00000175u
#define MSR_SYSENTER_EIP    0x00000176u
#define MSR_PAT             0x00000277u
#define MSR_EFER            0xc0000080u
#define MSR_STAR            0xc0000081u
#define MSR_LSTAR           0xc0000082u
#define MSR_CSTAR           0xc0000083u
#define MSR_FMASK           0xc0000084u
#define MSR_FS_BASE         0xc0000100u
#define MSR_GS_BASE         0xc0000101u
#define MSR_KERNEL_GS_BASE  0xc0000102u
#define MSR_TSC_AUX         0xc0000103u

#define PAT_RESET 0x0007040600070406ull

/* How a write is checked (SDM Vol. 4 table 2-2 and the sections cited). */
enum msr_rule {
	MSR_ANY,        /* every 64-bit value */
	MSR_CANONICAL,  /* #GP unless canonical (SDM Vol. 3A 5.8.8 for the
			   SYSCALL targets, 3.4.4 for the bases) */
	MSR_LOW32,      /* bits 63:32 reserved: #GP */
	MSR_LOW32_UNSURE, /* bits 63:32 reserved by the SDM, but what a CPU
			     does with them is not settled: a write setting
			     them is UNSUPPORTED */
	MSR_EFER_RULE,  /* write_efer() */
	MSR_PAT_RULE,   /* each byte a valid memory type (SDM Vol. 3A 12.12.2) */
	MSR_READ_ONLY_UNDEF, /* reads give an unpredictable value; writes not
				modeled (they move the TSC) */
};

struct msr_def {
	uint32_t index;
	const char *name;
	enum msr_rule rule;
	size_t off;          /* offset of the field in struct ref_cpu */
};

#define F(field) offsetof(struct ref_cpu, field)
#define NOFIELD ((size_t)-1)

/* The MSRs the reference models. FS/GS bases live in the segment
 * registers; PAT is fixed at its reset value (a write is checked and, if
 * it changes the value, not modeled: the memory type is invisible but the
 * harness does not restore PAT). */
static const struct msr_def msr_defs[] = {
	{ MSR_TSC, "tsc", MSR_READ_ONLY_UNDEF, NOFIELD },
	{ MSR_SYSENTER_CS, "sysenter_cs", MSR_ANY, F(msr_sysenter_cs) },
	/* SDM Vol. 2B WRMSR: #GP for a non-canonical SYSENTER_ESP/EIP on
	 * Intel (upstream KVM canonicalises instead). */
	{ MSR_SYSENTER_ESP, "sysenter_esp", MSR_CANONICAL, F(msr_sysenter_esp) },
	{ MSR_SYSENTER_EIP, "sysenter_eip", MSR_CANONICAL, F(msr_sysenter_eip) },
	{ MSR_PAT, "pat", MSR_PAT_RULE, NOFIELD },
	{ MSR_EFER, "efer", MSR_EFER_RULE, F(efer) },
	{ MSR_STAR, "star", MSR_ANY, F(msr_star) },
	{ MSR_LSTAR, "lstar", MSR_CANONICAL, F(msr_lstar) },
	{ MSR_CSTAR, "cstar", MSR_CANONICAL, F(msr_cstar) },
	{ MSR_FMASK, "fmask", MSR_LOW32_UNSURE, F(msr_fmask) },
	{ MSR_FS_BASE, "fs_base", MSR_CANONICAL, F(seg[SEG_FS].base) },
	{ MSR_GS_BASE, "gs_base", MSR_CANONICAL, F(seg[SEG_GS].base) },
	{ MSR_KERNEL_GS_BASE, "kernel_gs_base", MSR_CANONICAL, F(msr_kernel_gs_base) },
	{ MSR_TSC_AUX, "tsc_aux", MSR_LOW32, F(msr_tsc_aux) },
};

static const struct msr_def *msr_find(uint32_t index)
{
	for (unsigned i = 0; i < sizeof(msr_defs) / sizeof(msr_defs[0]); i++)
		if (msr_defs[i].index == index)
			return &msr_defs[i];
	return NULL;
}

static uint64_t *msr_field(struct ref_cpu *cpu, const struct msr_def *d)
{
	return (uint64_t *)((uint8_t *)cpu + d->off);
}

/* EFER: SCE, LME, NXE writable; LMA is read-only and a written value is
 * ignored (SDM Vol. 3A 2.2.1); other bits are reserved (#GP) unless the
 * CPU has the AMD feature behind them. LME cannot change while paging is
 * on (#GP, SDM Vol. 3A 9.8.5). A change of NXE changes what the page
 * walk reserves (not modeled with paging on, below); SCE is followed. */
static enum ref_status write_efer(struct ref_cpu *cpu, uint64_t v)
{
	uint64_t ok = EFER_SCE | EFER_LME | EFER_LMA;
	if (ref_sys_feature(cpu, 0x80000001u, 0, CPUID_EDX, 20) != 0)
		ok |= EFER_NXE;
	if (v & ~ok)
		return ref_sys_gp(cpu, 0);
	if ((cpu->cr0 & CR0_PG) && ((v ^ cpu->efer) & EFER_LME))
		return ref_sys_gp(cpu, 0);
	/* With paging on, NXE decides whether bit 63 of every entry is NX
	 * or reserved, for the exception delivery too, which the reference
	 * does without a walk in long mode: not modeled. */
	if ((cpu->cr0 & CR0_PG) && ((v ^ cpu->efer) & EFER_NXE))
		return ref_sys_unsupported(cpu, "wrmsr:efer.nxe");
	cpu->efer = (v & ~EFER_LMA) | (cpu->efer & EFER_LMA);
	return REF_NEXT;
}

static int pat_valid(uint64_t v)
{
	for (unsigned i = 0; i < 8; i++) {
		unsigned t = (v >> (8 * i)) & 0xff;
		if (t == 2 || t == 3 || t > 7)
			return 0;
	}
	return 1;
}

/* 1 when the MSR exists for this guest: TSC_AUX only with RDTSCP or
 * RDPID (SDM Vol. 4 table 2-2); -1 when unknown (no CPUID table). */
static int msr_exists(const struct ref_cpu *cpu, uint32_t index)
{
	if (index != MSR_TSC_AUX)
		return 1;
	int a = ref_sys_feature(cpu, 0x80000001u, 0, CPUID_EDX, 27);
	int b = ref_sys_feature(cpu, 7, 0, CPUID_ECX, 22);
	if (a < 0 || b < 0)
		return -1;
	return a || b;
}

static enum ref_status msr_unsupported(struct ref_cpu *cpu, int wr, uint32_t index)
{
	return ref_sys_unsupported(cpu, "%s:0x%x", wr ? "wrmsr" : "rdmsr", index);
}

/* Knob msr-exit: an access the filter sends to user space (core/
 * msr_filter.h) is an msr event, after the CPL check (the CPU checks the
 * privilege before the hypervisor sees the instruction), and then either
 * takes user space's answer or raises #GP(0). Returns REF_NEXT to go on
 * with the normal path (not filtered), else what the instruction ends in. */
static enum ref_status msr_filtered(struct ref_cpu *cpu, uint32_t index, int write,
				    uint64_t value, int *done)
{
	enum msr_filter_action a = (cpu->knobs & KNOB_MSR_EXIT) ?
				   msr_filter_action(index, write) : MSR_PASS;
	*done = a != MSR_PASS;
	if (a == MSR_PASS)
		return REF_NEXT;
	uint64_t reply = write || a == MSR_REFUSE ? 0 : msr_filter_reply(index);
	struct exit_event e = { .kind = EXIT_MSR, .dir = (uint8_t)(write ? DIR_OUT : DIR_IN),
				.addr = index, .data = write ? value : reply };
	if (ref_event(cpu, &e) < 0)
		return REF_STOP;
	if (a == MSR_REFUSE)
		return ref_sys_gp(cpu, 0);
	if (!write) {
		ref_sys_set_gpr(cpu, RAX, reply & 0xffffffffu);
		ref_sys_set_gpr(cpu, RDX, reply >> 32);
	}
	return REF_NEXT;
}

/* RDMSR/WRMSR: #GP(0) above CPL0 (SDM Vol. 2 RDMSR, WRMSR); ECX names
 * the MSR, EDX:EAX the value (upper halves of RAX/RDX cleared). */
static enum ref_status msr_rdmsr(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	if (!ref_require_cpl0(cpu))
		return REF_STOP;
	uint32_t index = (uint32_t)cpu->gpr[RCX];
	int filtered;
	enum ref_status fs = msr_filtered(cpu, index, 0, 0, &filtered);
	if (filtered)
		return fs;
	const struct msr_def *d = msr_find(index);
	if (!d || (!mode_long((enum cpu_mode)cpu->mode) && index >= MSR_STAR && index != MSR_TSC_AUX))
		return msr_unsupported(cpu, 0, index);
	int ex = msr_exists(cpu, index);
	if (ex <= 0)
		return ex < 0 ? msr_unsupported(cpu, 0, index) : ref_sys_gp(cpu, 0);
	uint64_t v;
	if (d->rule == MSR_READ_ONLY_UNDEF) {
		v = 0;
		ref_sys_undefine_gpr(cpu, RAX);
		ref_sys_undefine_gpr(cpu, RDX);
	} else {
		v = d->rule == MSR_PAT_RULE ? PAT_RESET : *msr_field(cpu, d);
	}
	ref_sys_set_gpr(cpu, RAX, v & 0xffffffffu);
	ref_sys_set_gpr(cpu, RDX, v >> 32);
	return REF_NEXT;
}

static enum ref_status msr_wrmsr(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	if (!ref_require_cpl0(cpu))
		return REF_STOP;
	uint32_t index = (uint32_t)cpu->gpr[RCX];
	uint64_t v = (cpu->gpr[RAX] & 0xffffffffu) | (cpu->gpr[RDX] << 32);
	int filtered;
	enum ref_status fs = msr_filtered(cpu, index, 1, v, &filtered);
	if (filtered)
		return fs;
	const struct msr_def *d = msr_find(index);
	if (!d || (!mode_long((enum cpu_mode)cpu->mode) && index >= MSR_STAR && index != MSR_TSC_AUX))
		return msr_unsupported(cpu, 1, index);
	int ex = msr_exists(cpu, index);
	if (ex <= 0)
		return ex < 0 ? msr_unsupported(cpu, 1, index) : ref_sys_gp(cpu, 0);
	switch (d->rule) {
	case MSR_ANY:
		break;
	case MSR_CANONICAL:
		if (!ref_canonical(v))
			return ref_sys_gp(cpu, 0);
		break;
	case MSR_LOW32_UNSURE:
		if (v >> 32)
			return ref_sys_unsupported(cpu, "wrmsr:0x%x.hi", index);
		break;
	case MSR_LOW32:
		if (v >> 32)
			return ref_sys_gp(cpu, 0);
		break;
	case MSR_EFER_RULE:
		return write_efer(cpu, v);
	case MSR_PAT_RULE:
		if (!pat_valid(v))
			return ref_sys_gp(cpu, 0);
		if (v != PAT_RESET)
			return msr_unsupported(cpu, 1, index);
		return REF_NEXT;
	case MSR_READ_ONLY_UNDEF:
		return msr_unsupported(cpu, 1, index);
	}
	*msr_field(cpu, d) = v;
	return REF_NEXT;
}

/* ---- SYSCALL / SYSRET (SDM Vol. 2B "SYSCALL", "SYSRET"; Vol. 3A 5.8.8) ----
 * The selectors come from STAR and the hidden parts are fixed values, not
 * read from the GDT. The layout's GDT is built for STAR = 0x0028000800000000
 * (the harness does not set it: a case does): SYSCALL then loads CS 0x08 =
 * SEL_CODE64 and SS 0x10 = SEL_DATA; SYSRET CS 0x3b = SEL_UCODE64 and
 * SS 0x33 = SEL_UDATA. */
static struct seg_desc flat_seg(uint16_t sel, uint8_t type, uint8_t dpl, uint8_t l, uint8_t db)
{
	return (struct seg_desc){ .base = 0, .limit = 0xffffffffu, .sel = sel, .type = type,
				  .s = 1, .dpl = dpl, .present = 1, .db = db, .l = l, .g = 1 };
}

static enum ref_status msr_syscall(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	/* #UD with EFER.SCE = 0; outside 64-bit mode #UD on Intel, the
	 * legacy-mode form on AMD (ref_vendor.c; not modeled). */
	if (!(cpu->efer & EFER_SCE))
		return ref_sys_ud(cpu);
	if (!ref_sys_64(cpu))
		return ref_quirk(cpu, QUIRK_SYSCALL_64_ONLY) ? ref_sys_ud(cpu) :
			ref_sys_unsupported(cpu, "syscall:legacy");
	if (cpu->undefined_flags)
		return REF_UNSUPPORTED; /* R11 would carry an undefined flag */
	uint64_t fl = cpu->rflags & ~RFLAGS_RF;
	ref_sys_set_gpr(cpu, RCX, cpu->next_rip);
	ref_sys_set_gpr(cpu, R11, fl);
	uint64_t nf = (fl & ~cpu->msr_fmask) | RFLAGS_FIXED1;
	if (nf & RFLAGS_TF)
		return REF_UNSUPPORTED;
	uint16_t sel = (uint16_t)(cpu->msr_star >> 32);
	cpu->seg[SEG_CS] = flat_seg(sel & 0xfffc, 0xb, 0, 1, 0);
	cpu->seg[SEG_SS] = flat_seg((uint16_t)(sel + 8), 0x3, 0, 0, 1);
	cpu->cpl = 0;
	cpu->code_bits = 64;
	cpu->rflags = (cpu->rflags & ~0x3fffffull) | (nf & 0x3fffffull);
	ref_set_flags(cpu, RFLAGS_STATUS, nf);
	cpu->next_rip = cpu->msr_lstar;
	return REF_NEXT;
}

static enum ref_status msr_sysret(struct ref_cpu *cpu, const cs_insn *insn)
{
	if (!(cpu->efer & EFER_SCE))
		return ref_sys_ud(cpu);
	if (!ref_sys_64(cpu) && ref_quirk(cpu, QUIRK_SYSCALL_64_ONLY))
		return ref_sys_ud(cpu);
	if (!ref_require_cpl0(cpu))
		return REF_STOP;
	if (!ref_sys_64(cpu))
		return ref_sys_unsupported(cpu, "sysret:legacy");
	/* Without REX.W the return is to compatibility mode: not modeled. */
	if (!(insn->detail->x86.rex & 8))
		return ref_sys_unsupported(cpu, "sysret:compat");
	/* Intel: a non-canonical RCX is #GP(0) at CPL0 (SDM Vol. 2B
	 * SYSRET, 64-bit mode exceptions); AMD returns and the fetch at
	 * CPL3 faults (ref_vendor.c). */
	if (!ref_canonical(cpu->gpr[RCX]) && ref_quirk(cpu, QUIRK_SYSRET_CHECKS_RCX))
		return ref_sys_gp(cpu, 0);
	uint64_t nf = (cpu->gpr[R11] & 0x3c7fd7ull) | RFLAGS_FIXED1;
	if (nf & RFLAGS_TF)
		return REF_UNSUPPORTED;
	uint16_t sel = (uint16_t)(cpu->msr_star >> 48);
	cpu->seg[SEG_CS] = flat_seg((uint16_t)((sel + 16) | 3), 0xb, 3, 1, 0);
	/* SS.DPL = 3 and the RPL forced to 3 (SDM Vol. 2B SYSRET). */
	cpu->seg[SEG_SS] = flat_seg((uint16_t)((sel + 8) | 3), 0x3, 3, 0, 1);
	cpu->cpl = 3;
	cpu->rflags = (cpu->rflags & ~0x3fffffull) | (nf & 0x3fffffull);
	ref_set_flags(cpu, RFLAGS_STATUS, nf);
	cpu->next_rip = cpu->gpr[RCX];
	return REF_NEXT;
}

/* SYSENTER (SDM Vol. 2B "SYSENTER"): #GP(0) in real mode or with
 * SYSENTER_CS[15:2] = 0 (what every case gets until it writes the MSR).
 * CS = SYSENTER_CS & ~3 and SS = CS + 8 with fixed flat hidden parts,
 * 64-bit code in IA-32e mode, else 32-bit; RIP/RSP from SYSENTER_EIP/ESP;
 * VM, IF and RF cleared; CPL 0. */
static enum ref_status msr_sysenter(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	int lma = (cpu->efer & EFER_LMA) != 0;
	if (lma && !ref_quirk(cpu, QUIRK_SYSENTER_IN_LONG_MODE))
		return ref_sys_ud(cpu);
	if (!ref_sys_protected(cpu) || !(cpu->msr_sysenter_cs & 0xfffc))
		return ref_sys_gp(cpu, 0);
	uint16_t sel = (uint16_t)(cpu->msr_sysenter_cs & 0xfffc);
	cpu->seg[SEG_CS] = flat_seg(sel, 0xb, 0, (uint8_t)lma, (uint8_t)!lma);
	cpu->seg[SEG_SS] = flat_seg((uint16_t)(sel + 8), 0x3, 0, 0, 1);
	cpu->cpl = 0;
	cpu->code_bits = lma ? 64 : 32;
	cpu->rflags &= ~(RFLAGS_IF | RFLAGS_RF | (1ull << 17));
	uint64_t m = lma ? ~0ull : 0xffffffffull;
	cpu->gpr[RSP] = cpu->msr_sysenter_esp & m;
	ref_note_gpr_write(cpu, RSP);
	cpu->next_rip = cpu->msr_sysenter_eip & m;
	return REF_NEXT;
}

/* SYSEXIT (SDM Vol. 2B "SYSEXIT"): #GP(0) in real mode, above CPL0 or
 * with SYSENTER_CS[15:2] = 0. With REX.W: RIP = RDX, RSP = RCX (#GP(0)
 * unless both canonical), CS = SYSENTER_CS + 32 | 3 (64-bit), SS = +40 | 3.
 * The 32-bit form returns to compatibility mode from long mode, and to a
 * CPL3 whose later faults need a TSS stack switch in prot32: neither is
 * modeled. */
static enum ref_status msr_sysexit(struct ref_cpu *cpu, const cs_insn *insn)
{
	/* AMD in long mode: AMD CPUs differ. At CPL3, measured natively, an
	 * EPYC of family 19h raises #GP(0) and one of family 1Ah #UD (the
	 * APM's answer); CPL0 is not measured. Not modeled: an answer would
	 * be one host's, not AMD's. */
	if ((cpu->efer & EFER_LMA) && !ref_quirk(cpu, QUIRK_SYSENTER_IN_LONG_MODE))
		return ref_sys_unsupported(cpu, "sysexit:amd-long");
	if (!ref_sys_protected(cpu) || cpu->cpl != 0 || !(cpu->msr_sysenter_cs & 0xfffc))
		return ref_sys_gp(cpu, 0);
	if (!ref_sys_64(cpu) || !(insn->detail->x86.rex & 8))
		return ref_sys_unsupported(cpu, "sysexit:legacy");
	if (!ref_canonical(cpu->gpr[RCX]) || !ref_canonical(cpu->gpr[RDX]))
		return ref_sys_gp(cpu, 0);
	uint16_t sel = (uint16_t)(cpu->msr_sysenter_cs & 0xfffc);
	cpu->seg[SEG_CS] = flat_seg((uint16_t)((sel + 32) | 3), 0xb, 3, 1, 0);
	cpu->seg[SEG_SS] = flat_seg((uint16_t)((sel + 40) | 3), 0x3, 3, 0, 1);
	cpu->cpl = 3;
	cpu->gpr[RSP] = cpu->gpr[RCX];
	ref_note_gpr_write(cpu, RSP);
	cpu->next_rip = cpu->gpr[RDX];
	return REF_NEXT;
}

/* ---- time stamp and random numbers --------------------------------------- */

/* RDTSC/RDTSCP: EDX:EAX = TSC, unpredictable (outcome.undefined_gprs).
 * #GP(0) with CR4.TSD above CPL0 (SDM Vol. 2B RDTSC). RDTSCP also loads
 * ECX = TSC_AUX[31:0] and needs CPUID.80000001H:EDX[27] (else #UD). */
static enum ref_status msr_rdtsc(struct ref_cpu *cpu, const cs_insn *insn)
{
	int p = insn->id == X86_INS_RDTSCP;
	if (p) {
		int f = ref_sys_feature(cpu, 0x80000001u, 0, CPUID_EDX, 27);
		if (f < 0)
			return REF_UNSUPPORTED;
		if (!f)
			return ref_sys_ud(cpu);
	}
	if ((cpu->cr4 & CR4_TSD) && cpu->cpl > 0)
		return ref_sys_gp(cpu, 0);
	ref_sys_set_gpr(cpu, RAX, 0);
	ref_sys_set_gpr(cpu, RDX, 0);
	ref_sys_undefine_gpr(cpu, RAX);
	ref_sys_undefine_gpr(cpu, RDX);
	if (p)
		ref_sys_set_gpr(cpu, RCX, cpu->msr_tsc_aux & 0xffffffffu);
	return REF_NEXT;
}

/* RDPMC: EDX:EAX = performance counter ECX, unpredictable. #GP(0) above
 * CPL0 without CR4.PCE, and for a counter the PMU does not have: general
 * ones (ECX[30] = 0) below CPUID.0AH:EAX[15:8], fixed ones (ECX[30] = 1)
 * below EDX[4:0] from PMU version 2 (SDM Vol. 2B RDPMC, Vol. 3B 20.2). A
 * guest without a PMU (version 0) has no counter at all. Bits of ECX
 * other than 30 and the index are not modeled. */
#define CR4_PCE (1ull << 8)
static enum ref_status msr_rdpmc(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	if (cpu->cpl > 0 && !(cpu->cr4 & CR4_PCE))
		return ref_sys_gp(cpu, 0);
	const struct cpuid_entry *pm = cpu->cpuid ? cpuid_lookup(cpu->cpuid, 0xa, 0) : NULL;
	if (!pm)
		return REF_UNSUPPORTED;
	uint32_t ecx = (uint32_t)cpu->gpr[RCX], idx = ecx & 0x3fffffffu;
	unsigned version = pm->eax & 0xff, general = (pm->eax >> 8) & 0xff;
	unsigned fixed = version >= 2 ? (pm->edx & 0x1f) : 0;
	int valid = version && ((ecx & (1u << 30)) ? idx < fixed : idx < general);
	if (!valid)
		return ref_sys_gp(cpu, 0);
	if (ecx >> 31)
		return REF_UNSUPPORTED;
	ref_sys_set_gpr(cpu, RAX, 0);
	ref_sys_set_gpr(cpu, RDX, 0);
	ref_sys_undefine_gpr(cpu, RAX);
	ref_sys_undefine_gpr(cpu, RDX);
	return REF_NEXT;
}

/* RDRAND/RDSEED r16/32/64: #UD without CPUID.01H:ECX.RDRAND[30] /
 * CPUID.(7,0):EBX.RDSEED[18]. The value is unpredictable and so is CF
 * (the CPU may fail: CF=0, destination 0); OF SF ZF AF PF are cleared
 * (SDM Vol. 2B RDRAND, "Flags Affected"). */
static enum ref_status msr_rdpid(struct ref_cpu *cpu, const cs_insn *insn);

static enum ref_status msr_rdrand(struct ref_cpu *cpu, const cs_insn *insn)
{
	int seed = insn->id == X86_INS_RDSEED;
	if (seed && dec_has_prefix(insn, 0xf3) && !dec_has_prefix(insn, 0xf2))
		return msr_rdpid(cpu, insn);
	int f = seed ? ref_sys_feature(cpu, 7, 0, CPUID_EBX, 18) :
		       ref_sys_feature(cpu, 1, 0, CPUID_ECX, 30);
	if (f < 0)
		return REF_UNSUPPORTED;
	/* "NFx" encodings: an F2/F3 prefix is #UD (or another
	 * instruction: F3 0F C7 /7 is RDPID, which Capstone 4 does not
	 * decode) (SDM Vol. 2A 3.1.1.1, measured: F2 RDRAND is #UD). */
	if (!f || dec_has_prefix(insn, 0xf2) || dec_has_prefix(insn, 0xf3))
		return ref_sys_ud(cpu);
	const cs_x86_op *o = &insn->detail->x86.operands[0];
	int g = o->type == X86_OP_REG ? ref_reg_gpr(o->reg) : -1;
	if (g < 0)
		return ref_sys_ud(cpu);
	ref_set_reg(cpu, o->reg, 0);
	ref_sys_undefine_gpr(cpu, g);
	ref_set_flags(cpu, RFLAGS_STATUS, 0);
	ref_undefine_flags(cpu, RFLAGS_CF);
	return REF_NEXT;
}

/* RDPID r32/r64 (F3 0F C7 /7, mod = 3): the register gets TSC_AUX, all 64
 * bits in 64-bit mode (zero-extended: TSC_AUX is 32 bits wide), r32
 * elsewhere; #UD without CPUID.(7,0):ECX.RDPID[22]; no CPL or CR4.TSD
 * check, unlike RDTSCP (SDM Vol. 2B RDPID). Capstone 4 decodes these bytes
 * as RDSEED with an F3 prefix, which is how it gets here; a 66h prefix
 * is not an RDPID form (only the two above are listed), so it is left
 * unsupported rather than guessed. */
static enum ref_status msr_rdpid(struct ref_cpu *cpu, const cs_insn *insn)
{
	int f = ref_sys_feature(cpu, 7, 0, CPUID_ECX, 22);
	if (f < 0)
		return REF_UNSUPPORTED;
	if (!f)
		return ref_sys_ud(cpu);
	const cs_x86_op *o = &insn->detail->x86.operands[0];
	int g = o->type == X86_OP_REG ? ref_reg_gpr(o->reg) : -1;
	if (g < 0 || dec_has_prefix(insn, 0x66))
		return REF_UNSUPPORTED;
	ref_sys_set_gpr(cpu, g, cpu->msr_tsc_aux & 0xffffffffu);
	return REF_NEXT;
}

/* ---- XCR0 (SDM Vol. 1 13.3; Vol. 2C XGETBV, XSETBV) ----------------------- */

static enum ref_status msr_xgetbv(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	if (!(cpu->cr4 & CR4_OSXSAVE))
		return ref_sys_ud(cpu);
	uint32_t ecx = (uint32_t)cpu->gpr[RCX];
	if (ecx == 1) {
		/* XINUSE: which state components are not in their initial
		 * configuration; depends on history we do not track. */
		int f = ref_sys_feature(cpu, 0xd, 1, CPUID_EAX, 2);
		if (f != 0)
			return ref_sys_unsupported(cpu, "xgetbv:1");
	}
	if (ecx != 0)
		return ref_sys_gp(cpu, 0);
	ref_sys_set_gpr(cpu, RAX, cpu->xcr0 & 0xffffffffu);
	ref_sys_set_gpr(cpu, RDX, cpu->xcr0 >> 32);
	return REF_NEXT;
}

/* XSETBV: #GP(0) above CPL0, for ECX != 0, for bits the CPU does not
 * support (CPUID.(0DH,0):EDX:EAX), x87 clear, AVX without SSE, the three
 * AVX-512 bits not all equal or set without AVX, the two MPX bits not
 * equal, AMX tile bits (17, 18) not equal (SDM Vol. 1 13.3). */
static enum ref_status msr_xsetbv(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	if (!(cpu->cr4 & CR4_OSXSAVE))
		return ref_sys_ud(cpu);
	if (!ref_require_cpl0(cpu))
		return REF_STOP;
	if (!cpu->cpuid)
		return REF_UNSUPPORTED;
	const struct cpuid_entry *e = cpuid_lookup(cpu->cpuid, 0xd, 0);
	uint64_t supported = e ? ((uint64_t)e->edx << 32) | e->eax : 1;
	uint64_t v = (cpu->gpr[RAX] & 0xffffffffu) | (cpu->gpr[RDX] << 32);
	uint64_t avx512 = 0xe0;
	if ((uint32_t)cpu->gpr[RCX] != 0 || (v & ~supported) || !(v & 1) ||
	    ((v & 4) && !(v & 2)) ||
	    ((v & avx512) && ((v & avx512) != avx512 || !(v & 4))) ||
	    (((v >> 3) & 1) != ((v >> 4) & 1)) ||
	    (((v >> 17) & 1) != ((v >> 18) & 1)))
		return ref_sys_gp(cpu, 0);
	cpu->xcr0 = v;
	return REF_NEXT;
}

/* ---- FS/GS bases (SDM Vol. 2C RDFSBASE/RDGSBASE, WRFSBASE/WRGSBASE) -----
 * 64-bit mode only, CR4.FSGSBASE and CPUID.(7,0):EBX[0], else #UD. The
 * 32-bit forms read the low half zero-extended / write a zero-extended
 * base; a 64-bit write must be canonical (#GP(0)). Not privileged. */
static enum ref_status msr_fsgsbase(struct ref_cpu *cpu, const cs_insn *insn)
{
	int f = ref_sys_feature(cpu, 7, 0, CPUID_EBX, 0);
	if (f < 0)
		return REF_UNSUPPORTED;
	if (!f || !ref_sys_64(cpu) || !(cpu->cr4 & CR4_FSGSBASE))
		return ref_sys_ud(cpu);
	const cs_x86_op *o = &insn->detail->x86.operands[0];
	int g = o->type == X86_OP_REG ? ref_reg_gpr(o->reg) : -1;
	if (g < 0)
		return REF_UNSUPPORTED;
	unsigned size = ref_reg_size(o->reg);
	enum ref_seg s = (insn->id == X86_INS_RDFSBASE || insn->id == X86_INS_WRFSBASE) ?
			 SEG_FS : SEG_GS;
	if (insn->id == X86_INS_RDFSBASE || insn->id == X86_INS_RDGSBASE) {
		ref_sys_set_gpr(cpu, g, size == 8 ? cpu->seg[s].base :
					cpu->seg[s].base & 0xffffffffu);
		return REF_NEXT;
	}
	uint64_t v = size == 8 ? cpu->gpr[g] : cpu->gpr[g] & 0xffffffffu;
	if (!ref_canonical(v))
		return ref_sys_gp(cpu, 0);
	cpu->seg[s].base = v;
	return REF_NEXT;
}

const struct ref_sem ref_sem_sys_msr[] = {
	{ X86_INS_RDMSR, msr_rdmsr },       { X86_INS_WRMSR, msr_wrmsr },
	{ X86_INS_SYSCALL, msr_syscall },   { X86_INS_SYSRET, msr_sysret },
	{ X86_INS_SYSENTER, msr_sysenter }, { X86_INS_SYSEXIT, msr_sysexit },
	{ X86_INS_RDTSC, msr_rdtsc },       { X86_INS_RDTSCP, msr_rdtsc },
	{ X86_INS_RDPMC, msr_rdpmc },
	{ X86_INS_RDRAND, msr_rdrand },     { X86_INS_RDSEED, msr_rdrand },
	{ X86_INS_XGETBV, msr_xgetbv },     { X86_INS_XSETBV, msr_xsetbv },
	{ X86_INS_RDFSBASE, msr_fsgsbase }, { X86_INS_RDGSBASE, msr_fsgsbase },
	{ X86_INS_WRFSBASE, msr_fsgsbase }, { X86_INS_WRGSBASE, msr_fsgsbase },
};
const unsigned ref_sem_sys_msr_count = sizeof(ref_sem_sys_msr) / sizeof(ref_sem_sys_msr[0]);
