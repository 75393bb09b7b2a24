/* native_cpuid.c: instructions the environment's CPUID and the host's
 * disagree about. */
#ifndef EXITDIFF_NATIVE_CPUID_H
#define EXITDIFF_NATIVE_CPUID_H

#include <stddef.h>
#include <capstone/capstone.h>
#include "executor.h"

/* 1 when in needs a CPUID feature that table t (the environment's) and
 * the host CPU disagree about ("native:cpuid MNEMONIC" into why), or that
 * the host's CPUID hides ("native:cpuid-hidden MNEMONIC": its silicon may
 * run it all the same). 0 when both have it, the instruction needs none,
 * or t is NULL (no table). */
int native_cpuid_differs(const struct cpuid_table *t, const cs_insn *in, char *why, size_t whylen);

#endif
