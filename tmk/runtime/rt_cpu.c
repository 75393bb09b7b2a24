/*
 * TMK runtime: the CPU's registers that outlive a case. Every executor
 * starts each case with the same MSRs, debug registers, CR2 and CR8
 * (harness/kvm_vm.c restores the MSRs and debug registers it read at
 * start-up, harness/kvm_mode.c sets CR2 and CR8 to 0); a runtime that runs
 * many cases on one CPU must put them back itself, or a case reads what the
 * case before it left: its page fault's address in MOV from CR2, its
 * TSC_AUX in RDTSCP, its LSTAR in SYSCALL, its DR0 in MOV from DR0 (57
 * buckets of a 10-minute campaign against QEMU TCG, 427 hits, were such
 * cases, which agreed when run alone).
 */
#include "tmk.h"

void rt_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

void rt_wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* core/carried_msrs.def: every 64-bit CPU has them but TSC_AUX, the
 * last, which is taken only with RDTSCP or RDPID. */
static const uint32_t carried_msr[] = {
#define X(msr, name) msr,
#include "carried_msrs.def"
#undef X
};
#define N_CARRIED (sizeof(carried_msr) / sizeof(carried_msr[0]))

static uint64_t msr0[N_CARRIED];
static unsigned n_msr;   /* 0: nothing read yet */

static int has_tsc_aux(void)
{
	uint32_t r[4];
	rt_cpuid(0x80000000u, 0, r);
	if (r[0] >= 0x80000001u) {
		rt_cpuid(0x80000001u, 0, r);
		if (r[3] & (1u << 27))    /* RDTSCP */
			return 1;
	}
	rt_cpuid(0, 0, r);
	if (r[0] < 7)
		return 0;
	rt_cpuid(7, 0, r);
	return (r[2] >> 22) & 1;      /* RDPID */
}

/* Debug register n read and written through one table: MOV to and from
 * DRn names n in the instruction itself. */
#define DR_IO(n) \
	static uint64_t get_dr##n(void) { uint64_t v; __asm__ volatile("mov %%dr" #n ", %0" : "=r"(v)); return v; } \
	static void set_dr##n(uint64_t v) { __asm__ volatile("mov %0, %%dr" #n : : "r"(v)); }
DR_IO(0) DR_IO(1) DR_IO(2) DR_IO(3) DR_IO(6) DR_IO(7)
static const struct { uint64_t (*get)(void); void (*set)(uint64_t); } dr_io[] = {
	{ get_dr0, set_dr0 }, { get_dr1, set_dr1 }, { get_dr2, set_dr2 },
	{ get_dr3, set_dr3 }, { get_dr6, set_dr6 }, { get_dr7, set_dr7 },
};
#define N_DR (sizeof(dr_io) / sizeof(dr_io[0]))
static uint64_t dr0[N_DR];

/* Only what differs is written: a case rarely changes any of it, and
 * where every runtime instruction is emulated (kvm_pvm at CPL0) each one
 * costs. */
void rt_carried_restore(void)
{
	if (!n_msr) {
		/* Before the first case: the state every case starts from. */
		n_msr = N_CARRIED - !has_tsc_aux();
		for (unsigned i = 0; i < n_msr; i++)
			msr0[i] = rdmsr(carried_msr[i]);
		for (unsigned i = 0; i < N_DR; i++)
			dr0[i] = dr_io[i].get();
	}
	for (unsigned i = 0; i < n_msr; i++)
		if (rdmsr(carried_msr[i]) != msr0[i])
			rt_wrmsr(carried_msr[i], msr0[i]);
	for (unsigned i = 0; i < N_DR; i++)
		if (dr_io[i].get() != dr0[i])
			dr_io[i].set(dr0[i]);
	uint64_t cr;
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr));
	if (cr)
		__asm__ volatile("mov %0, %%cr2" : : "r"(0ull));
	__asm__ volatile("mov %%cr8, %0" : "=r"(cr));
	if (cr)
		__asm__ volatile("mov %0, %%cr8" : : "r"(0ull));
}
