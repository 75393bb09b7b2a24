/* Private to the system-instruction family (ref_sys.c, ref_sys_desc.c,
 * ref_sys_msr.c, and ref_debug.c for CR4.DE): the control-register bits they test, CPUID feature
 * look-ups and the small helpers the three files share. */
#ifndef EXITDIFF_REF_SYS_PRIV_H
#define EXITDIFF_REF_SYS_PRIV_H

#include "ref_internal.h"
#include "ref_ext_priv.h"

/* CR0 (SDM Vol. 3A 2.5). */
#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_AM (1ull << 18)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)
/* CR4 (SDM Vol. 3A 2.5). */
#define CR4_TSD      (1ull << 2)
#define CR4_DE       (1ull << 3)
#define CR4_PSE      (1ull << 4)
#define CR4_PAE      (1ull << 5)
#define CR4_UMIP     (1ull << 11)
#define CR4_LA57     (1ull << 12)
#define CR4_FSGSBASE (1ull << 16)
#define CR4_PCIDE    (1ull << 17)
#define CR4_OSXSAVE  (1ull << 18)
#define CR4_SMEP     (1ull << 20)
#define CR4_PKE      (1ull << 22)
#define CR4_SMAP     (1ull << 21)
/* EFER (SDM Vol. 3A 2.2.1, Vol. 4 table 2-2). */
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

#define RFLAGS_AC_BIT (1ull << 18)

/* CPUID feature registers, for ref_sys_feature(). */
enum sys_cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

/* 1 when CPUID.(leaf, sub):reg[bit] is set in the guest's CPUID table, 0
 * when clear or absent, -1 when the reference has no table at all (the
 * caller then ends the form UNSUPPORTED: it cannot know the #UD rule). */
int ref_sys_feature(const struct ref_cpu *cpu, uint32_t leaf, uint32_t sub,
		    enum sys_cpuid_reg reg, unsigned bit);

/* 1 in 64-bit mode proper (IA-32e mode with CS.L=1, SDM Vol. 3A 2.2). */
static inline int ref_sys_64(const struct ref_cpu *cpu)
{
	return ref_lma(cpu) && cpu->code_bits == 64;
}

/* 1 in protected or long mode (CR0.PE); real mode has CPL 0 and no
 * descriptor-table instructions but LGDT/LIDT/SGDT/SIDT/SMSW/LMSW. */
static inline int ref_sys_protected(const struct ref_cpu *cpu)
{
	return (cpu->cr0 & CR0_PE) != 0;
}

/* #UD; always REF_STOP. */
static inline enum ref_status ref_sys_ud(struct ref_cpu *cpu)
{
	return ref_raise(cpu, 6, 0, 0);
}

/* #GP(code); always REF_STOP. */
static inline enum ref_status ref_sys_gp(struct ref_cpu *cpu, uint32_t code)
{
	return ref_raise(cpu, 13, 1, code);
}

/* Writes v to GPR g zero-extended to 64 bits (a 32-bit destination in
 * 64-bit mode, SDM Vol. 1 3.4.1.1) and records the writer. */
static inline void ref_sys_set_gpr(struct ref_cpu *cpu, int g, uint64_t v)
{
	cpu->gpr[g] = v;
	ref_note_gpr_write(cpu, g);
}

/* Marks GPR g as holding a value no executor can predict (RDTSC, RDRAND:
 * outcome.undefined_gprs, masked by the diff). */
static inline void ref_sys_undefine_gpr(struct ref_cpu *cpu, int g)
{
	cpu->out->undefined_gprs |= 1u << g;
	ref_note_gpr_write(cpu, g);
}

/* Ends the form UNSUPPORTED with a mnemonic of our own ("rdmsr:0x8b",
 * "mov cr4:smep"): the run loop keeps a mnemonic a handler set. */
enum ref_status ref_sys_unsupported(struct ref_cpu *cpu, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The debug registers as the guest reads them: DR6 and DR7 have fixed
 * bits, so a stored 0 means "never written" and reads as the reset value
 * (DR6 0xffff0ff0, DR7 0x400: SDM Vol. 3A 17.2.3, 17.2.4). */
uint64_t ref_sys_dr(const struct ref_cpu *cpu, unsigned n);

#endif
