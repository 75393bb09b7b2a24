#include "ref_internal.h"
#include "ref_vendor.h"

/* Rows: quirks. Columns: vendors (an unknown vendor follows Intel, the
 * manual most of the reference is written from). */
static const uint8_t quirks[QUIRK_COUNT][VENDOR_COUNT] = {
	/* SDM Vol. 2A CALL: Intel CPUs write the return address, then
	 * fault on the target (measured natively at CPL3); AMD CPUs check
	 * the target first and store nothing (measured natively at CPL3 on
	 * an EPYC, family 19h). */
	[QUIRK_CALL_PUSHES_BEFORE_TARGET_CHECK] = { [VENDOR_UNKNOWN] = 1, [VENDOR_INTEL] = 1 },
	/* SDM Vol. 2B SYSRET: "If RCX is not canonical ... #GP(0)" at CPL0;
	 * APM Vol. 3 SYSRET: RIP is loaded from RCX unchecked, and the
	 * fetch at CPL3 faults (the well-known SYSRET difference). */
	[QUIRK_SYSRET_CHECKS_RCX] = { [VENDOR_UNKNOWN] = 1, [VENDOR_INTEL] = 1 },
	/* APM Vol. 3 SYSENTER/SYSEXIT: #UD in long mode. SDM Vol. 2B
	 * SYSENTER: available in IA-32e mode. */
	[QUIRK_SYSENTER_IN_LONG_MODE] = { [VENDOR_UNKNOWN] = 1, [VENDOR_INTEL] = 1 },
	/* SDM Vol. 2B SYSCALL: #UD outside 64-bit mode. APM Vol. 3
	 * SYSCALL: legacy and compatibility modes too, with EFER.SCE. */
	[QUIRK_SYSCALL_64_ONLY] = { [VENDOR_UNKNOWN] = 1, [VENDOR_INTEL] = 1 },
	/* SDM Vol. 2A CPUID: a leaf above the highest of its range returns
	 * the highest basic leaf's data; APM Vol. 3 CPUID: zeros. */
	[QUIRK_CPUID_OUT_OF_RANGE_IS_HIGHEST_BASIC] = { [VENDOR_UNKNOWN] = 1, [VENDOR_INTEL] = 1 },
	/* Neither manual says; measured natively with 67 F3 A4 at CPL3: a
	 * Xeon writes RCX/RSI/RDI zero-extended with ECX = 0, an EPYC
	 * (family 19h) leaves all three as they were. */
	[QUIRK_REP_A32_ZERO_COUNT_WRITES] = { [VENDOR_UNKNOWN] = 1, [VENDOR_INTEL] = 1 },
	/* SDM Vol. 3B 18.3.1.1: for a trap-class exception after any but the
	 * last iteration of a repeated string instruction the pushed RF is 1.
	 * Measured natively at CPL3 on an EPYC (family 19h): TF over REP
	 * STOSB traps after each element with RF = 0 in the frame. */
	[QUIRK_REP_TRAP_PUSHES_RF] = { [VENDOR_UNKNOWN] = 1, [VENDOR_INTEL] = 1 },
	/* Neither manual defines F2/F3 on LOOPcc (SDM Vol. 2A 2.1.1: REP
	 * prefixes on other instructions are reserved). Measured natively at
	 * CPL3 on an EPYC (family 19h), every prefix x opcode x ZF: F3 E0
	 * loops while ZF = 1, F2 E1 while ZF = 0, LOOP (E2) is unchanged
	 * (tests/test_ref_vendor.c; triage found it as a reference bug). */
	[QUIRK_REP_PREFIX_PICKS_LOOP_CONDITION] = { [VENDOR_AMD] = 1 },
};

int ref_quirk(const struct ref_cpu *cpu, enum ref_quirk q)
{
	return quirks[q][cpu->vendor < VENDOR_COUNT ? cpu->vendor : VENDOR_UNKNOWN];
}

enum cpu_vendor ref_vendor_pick(enum cpu_vendor ex_vendor, const struct cpuid_table *t)
{
	if (ex_vendor != VENDOR_UNKNOWN)
		return ex_vendor;
	const struct cpuid_entry *e0 = t ? cpuid_lookup(t, 0, 0) : NULL;
	if (e0) {
		enum cpu_vendor v = vendor_from_cpuid0(e0->ebx, e0->ecx, e0->edx);
		if (v != VENDOR_UNKNOWN)
			return v;
	}
	return vendor_of_host();
}
