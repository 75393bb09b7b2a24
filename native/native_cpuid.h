/* native_cpuid.c: instructions the environment's CPUID and the host's
 * disagree about. */
#ifndef EXITDIFF_NATIVE_CPUID_H
#define EXITDIFF_NATIVE_CPUID_H

#include <stddef.h>
#include <capstone/capstone.h>
#include "executor.h"

/* 1 when in needs a CPUID feature that table t (the environment's) and
 * the host CPU disagree about; why gets "native:cpuid MNEMONIC". 0 when
 * they agree, the instruction needs none, or t is NULL (no table). */
int native_cpuid_differs(const struct cpuid_table *t, const cs_insn *in, char *why, size_t whylen);

#endif
