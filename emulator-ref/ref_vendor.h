/* Where Intel's SDM and AMD's APM define an instruction differently, the
 * reference follows the vendor of the host it is compared with
 * (ref_cpu.vendor). One row per difference; docs/vendors.md is the same
 * table with the measurements behind it. */
#ifndef EXITDIFF_REF_VENDOR_H
#define EXITDIFF_REF_VENDOR_H

#include "vendor.h"

enum ref_quirk {
	/* A near CALL stores its return address before the target's
	 * canonical check faults (the stack write is visible after #GP). */
	QUIRK_CALL_PUSHES_BEFORE_TARGET_CHECK,
	/* SYSRET with a non-canonical RCX faults #GP(0) at CPL0 instead of
	 * returning and faulting on the fetch at CPL3. */
	QUIRK_SYSRET_CHECKS_RCX,
	/* SYSENTER and SYSEXIT run in IA-32e mode (else #UD). */
	QUIRK_SYSENTER_IN_LONG_MODE,
	/* SYSCALL and SYSRET run only in 64-bit mode (else #UD); the other
	 * vendor runs them in legacy mode too (not modeled: UNSUPPORTED). */
	QUIRK_SYSCALL_64_ONLY,
	/* CPUID of a leaf above its range's highest answers the highest
	 * basic leaf (else: zeros). */
	QUIRK_CPUID_OUT_OF_RANGE_IS_HIGHEST_BASIC,
	/* A REP string instruction with 67h in 64-bit mode and ECX = 0 still
	 * writes RCX and its RSI/RDI zero-extended (else: untouched). */
	QUIRK_REP_A32_ZERO_COUNT_WRITES,
	/* A #DB trap after an element of a REP string instruction that is not
	 * its last pushes RF = 1 (else: RF as it was, 0). */
	QUIRK_REP_TRAP_PUSHES_RF,
	/* LOOPE/LOOPNE with an F3/F2 prefix loop on the prefix's condition
	 * (F3: while ZF = 1, F2: while ZF = 0) instead of their own (else:
	 * not modeled, the prefix is undefined there). */
	QUIRK_REP_PREFIX_PICKS_LOOP_CONDITION,
	QUIRK_COUNT
};

struct ref_cpu;
/* 1 when the cpu's vendor has the quirk. */
int ref_quirk(const struct ref_cpu *cpu, enum ref_quirk q);
/* The vendor a run follows: ex_vendor when set, else the calibrated CPUID
 * table's leaf 0, else the host's. */
struct cpuid_table;
enum cpu_vendor ref_vendor_pick(enum cpu_vendor ex_vendor, const struct cpuid_table *t);

#endif
