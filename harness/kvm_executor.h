/* What the KVM executor offers beyond its executor_ops (core/executor.h)
 * to code outside harness/; its insides are kvm_internal.h's. */
#ifndef EXITDIFF_KVM_EXECUTOR_H
#define EXITDIFF_KVM_EXECUTOR_H

#include "executor.h"

/* The FLOOR of `exitdiff bench`: n times set RIP through sync regs and
 * KVM_RUN a code page holding one HLT; no reset, no capture. Returns 0,
 * or -1 (reason in ex->err). */
int kvm_bench_bare_run(struct executor *ex, unsigned n);

#endif
