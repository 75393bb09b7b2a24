/* What the KVM executor offers beyond its executor_ops (core/executor.h)
 * to code outside harness/; its insides are kvm_internal.h's. */
#ifndef EXITDIFF_KVM_EXECUTOR_H
#define EXITDIFF_KVM_EXECUTOR_H

#include <stdint.h>
#include "executor.h"

/* The FLOOR of `exitdiff bench`: n times set RIP through sync regs and
 * KVM_RUN a code page holding one HLT; no reset, no capture. Returns 0,
 * or -1 (reason in ex->err). */
int kvm_bench_bare_run(struct executor *ex, unsigned n);
/* The same with SREGS and EVENTS also read back at every exit, as the
 * executor's own runs ask: the difference to the floor is what KVM spends
 * on the state read-back. */
int kvm_bench_bare_run_full_sync(struct executor *ex, unsigned n);

/* Where the KVM executor's time goes, per phase of a case (`exitdiff bench`
 * prints it): summed nanoseconds while profiling is on. Off by default; on,
 * each case pays ~8 clock reads (KVM_PROF_OVERHEAD measures them). */
enum kvm_prof_phase {
	KVM_PROF_RESTORE_MSRS,  /* KVM_SET_MSRS after a WRMSR/SWAPGS/... */
	KVM_PROF_RESTORE_XCRS,  /* KVM_SET_XCRS */
	KVM_PROF_RESTORE_DREGS, /* KVM_SET_DEBUGREGS */
	KVM_PROF_RESTORE_XSAVE, /* KVM_SET_XSAVE after x87/SSE/AVX code */
	KVM_PROF_RAM,           /* the guest's RW pages and system area reset */
	KVM_PROF_LOAD,          /* template, MSR filter, sync regs filled */
	KVM_PROF_RUN,           /* inside KVM_RUN: entry, guest, exit, sync */
	KVM_PROF_EXITS,         /* exit events decoded, end state captured */
	KVM_PROF_AFTER,         /* code scan, XMM read, memory window, CR8 */
	KVM_PROF_COUNT
};
struct kvm_prof {
	uint64_t ns[KVM_PROF_COUNT];
	uint64_t times[KVM_PROF_COUNT]; /* how often each ran (RUN: ioctls) */
	uint64_t cases;
};
/* Turns profiling on (zeroing the figures) or off. */
void kvm_prof_enable(struct executor *ex, int on);
/* The figures since profiling was turned on. */
void kvm_prof_read(const struct executor *ex, struct kvm_prof *out);
const char *kvm_prof_name(enum kvm_prof_phase p);

#endif
