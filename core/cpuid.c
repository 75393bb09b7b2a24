#include <stddef.h>
#include "executor.h"

const struct cpuid_entry *cpuid_lookup(const struct cpuid_table *t,
				       uint32_t leaf, uint32_t subleaf)
{
	for (uint32_t i = 0; t && i < t->n; i++)
		if (t->e[i].leaf == leaf && t->e[i].subleaf == subleaf)
			return &t->e[i];
	return NULL;
}

/* Registers that name the logical processor answering (CPUID_REG_* bits):
 * the initial APIC ID in leaf 1 EBX[31:24], the x2APIC ID in EDX of the
 * topology leaves 0Bh and 1Fh (SDM Vol. 2A CPUID), AMD's extended APIC,
 * core and node IDs in Fn8000_001E (APM Vol. 3 E.4.14). Where the host CPU
 * answers CPUID (CPL3 on kvm_pvm) they depend on which CPU ran the vCPU
 * thread. */
unsigned cpuid_per_cpu_regs(uint32_t leaf)
{
	static const struct { uint32_t leaf; unsigned regs; } per_cpu[] = {
		{ 0x1, CPUID_REG_EBX },
		{ 0xb, CPUID_REG_EDX },
		{ 0x1f, CPUID_REG_EDX },
		{ 0x8000001eu, CPUID_REG_EAX | CPUID_REG_EBX | CPUID_REG_ECX },
	};
	for (size_t i = 0; i < sizeof(per_cpu) / sizeof(per_cpu[0]); i++)
		if (per_cpu[i].leaf == leaf)
			return per_cpu[i].regs;
	return 0;
}
