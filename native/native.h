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
 */
#ifndef EXITDIFF_NATIVE_H
#define EXITDIFF_NATIVE_H

#include <stddef.h>
#include "executor.h"

extern const struct executor_ops native_executor_ops;

/* 0 when the native executor can run c. Otherwise 1 and why gets the
 * mnemonic its UNSUPPORTED outcome carries ("native:cpl0",
 * "native:mode prot32", "native:knob cr0.ts"). */
int native_refuses(const struct test_case *c, char *why, size_t len);

#endif
