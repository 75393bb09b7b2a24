/* The native executor: a long64 CPL3 case run on the host CPU, in a forked
 * process at the case's own addresses, under a seccomp filter that lets
 * nothing the case does reach the host kernel. docs/native.md.
 *
 *   native_executor.c  executor_ops: refusals, fork per case, budget, wait
 *   native_child.c     the child: pages, signal handlers, timer, jump
 *   native_seccomp.c   the filter: every system call traps but our exit
 *   native_entry.c     assembly: register load and jump, signal entry,
 *                      the one allowed exit_group
 *   native_outcome.c   the child's report (signal, ucontext) -> outcome
 *   native_scan.c      refusals: instructions the host answers with its
 *                      own system state (GDT, CR4.OSXSAVE, ...)
 *   native_cpuid.c     refusals: features the environment's CPUID and the
 *                      host's disagree about
 */
#ifndef EXITDIFF_NATIVE_H
#define EXITDIFF_NATIVE_H

#include <stddef.h>
#include "executor.h"

extern const struct executor_ops native_executor_ops;

/* 0 when the native executor can run c. Otherwise 1 and why gets the
 * mnemonic its UNSUPPORTED outcome carries ("native:cpl0",
 * "native:mode prot32", "native:cr0.ts movaps", "native:host lar"). */
int native_refuses(const struct executor *ex, const struct test_case *c, char *why, size_t len);

/* 1 when the code holds an instruction whose outcome the host's system
 * state decides rather than the environment's (selectors and descriptor
 * tables, CR4.OSXSAVE/FSGSBASE/PKE, RFLAGS.IF, the FS/GS bases when
 * host_fsgsbase is 0) or about whose CPUID
 * feature the environment's table t and the host disagree, or that a
 * knob the host cannot set would change (CR0.TS and x87/SSE, ...); why
 * gets "native:host MNEMONIC", "native:cpuid MNEMONIC" or "native:KNOB
 * MNEMONIC". */
int native_scan_host_state(const struct cpuid_table *t, uint32_t knobs, int host_fsgsbase,
			   const uint8_t *code, uint32_t len, char *why, size_t whylen);

/* 1 when the host kernel lets user code write its FS/GS bases
 * (HWCAP2_FSGSBASE): the case then runs with both bases 0, as the guest.
 * Without it the case would run with glibc's FS base, so the scan
 * refuses FS/GS-relative accesses and RDFSBASE... too. The CPU may run
 * RDFSBASE all the same (a host that is itself a guest: seen on kvm_pvm),
 * so the instruction working is no proof. */
int native_host_fsgsbase(void);

#endif
