/*
 * Internal API of the KVM executor (harness/). One VM with one vCPU per
 * executor, created in init and reused for every case. See docs/harness.md.
 *
 *   kvm_vm.c        device, VM, memslots, vCPU, initial system state
 *   kvm_state.c     per-case reset (RAM, sync regs) and capture of the end state
 *   kvm_run.c       run loop: KVM exits -> normalised exit events
 *   kvm_exits.def   KVM exit reason -> name, handler
 *   kvm_watchdog.c  per-thread periodic timer that interrupts a stuck KVM_RUN
 *   kvm_calibrate.c CPUID as the guest really reads it
 *   kvm_env.c       kernel, backend module, module parameters
 *   kvm_executor.c  executor_ops glue, bench helper
 */
#ifndef EXITDIFF_KVM_H
#define EXITDIFF_KVM_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>
#include "executor.h"

/* Environment variable overriding the device path (tests point it at a
 * missing file to check the error path). */
#define KVM_DEVICE_ENV     "EXITDIFF_KVM_DEVICE"
#define KVM_DEVICE_DEFAULT "/dev/kvm"

/* MSRs a case can change with WRMSR or SWAPGS and that KVM_SET_SREGS does
 * not restore (EFER, FS/GS base are part of sregs). */
#define KVM_SAVED_MSRS_MAX 16

struct kvm_ctx {
	int sys_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *ram;              /* LAYOUT_RAM_SIZE bytes, guest phys 0 */
	uint8_t *pristine_sys;     /* [0, LAYOUT_RW_BASE) when !ro_slot */
	char device[128];

	/* Capabilities. */
	int ro_slot;               /* system part in a KVM_MEM_READONLY slot */
	int have_sync;             /* sync regs cover REGS|SREGS|EVENTS */
	int have_xcrs, have_debugregs, have_xsave;
	/* run->s.regs holds the vCPU's current sregs and events (KVM stored
	 * them at the last KVM_RUN return), so they can be compared instead
	 * of re-set. Cleared when the vCPU is (re)created or KVM_RUN failed. */
	int sync_fresh;

	/* Pristine state captured once after setup, restored per case. */
	struct kvm_regs regs0;
	struct kvm_sregs sregs0;
	struct kvm_vcpu_events events0;
	struct kvm_cpuid2 *cpuid2;
	struct kvm_msrs *msrs0;    /* KVM_SAVED_MSRS_MAX entries, heap */
	struct kvm_xcrs xcrs0;
	struct kvm_debugregs dbg0;
	struct kvm_xsave *xsave0;

	/* Set when the last case may have changed state that the sync regs
	 * do not cover (MSRs, XCR0, DRs, FPU/SSE), or ended so badly that
	 * everything is re-set. */
	unsigned need_restore;

	/* Figures for docs and reports. */
	uint64_t cases, eintr, restores, vcpu_recreations, run_failures, io_flushes;
	uint64_t sregs_sets, events_sets, cr8_resets;
};

/* need_restore bits. */
#define KVM_RESTORE_MSRS  (1u << 0)
#define KVM_RESTORE_XCRS  (1u << 1)
#define KVM_RESTORE_DREGS (1u << 2)
#define KVM_RESTORE_FPU   (1u << 3)
#define KVM_RESTORE_ALL   0xfu

/* kvm_vm.c */
/* A flat 4 GiB segment with the accessed bit preset, as the layout's GDT
 * holds it (db: default size 32, l: 64-bit code). The TMK runner uses it
 * too. */
void kvm_flat_segment(struct kvm_segment *s, uint16_t sel, uint8_t type,
		      uint8_t db, uint8_t l);

int kvm_vm_open(struct kvm_ctx *k, char *err, size_t errlen);
void kvm_vm_close(struct kvm_ctx *k);
/* Destroys and recreates the vCPU (same VM, same memory), then sets it up
 * again. Used when KVM_RUN keeps failing after a terminal exit. */
int kvm_vcpu_recreate(struct kvm_ctx *k, char *err, size_t errlen);

/* kvm_state.c */
/* Which extra state a case's code can change, from a scan of its bytes. */
unsigned kvm_scan_code(const uint8_t *code, uint32_t len);
/* Restores the state in mask (KVM_RESTORE_*) with ioctls. */
int kvm_restore_extra(struct kvm_ctx *k, unsigned mask, char *err, size_t errlen);
/* Loads the case's registers and the initial system state for the next
 * KVM_RUN (sync regs, or ioctls without them). */
int kvm_state_load(struct kvm_ctx *k, const struct test_case *c,
		   char *err, size_t errlen);
/* After an exit: fresh registers and sregs (no-op with sync regs). */
int kvm_state_fetch(struct kvm_ctx *k);
static inline struct kvm_regs *kvm_regs_of(struct kvm_ctx *k)
{
	return &k->run->s.regs.regs;
}
static inline struct kvm_sregs *kvm_sregs_of(struct kvm_ctx *k)
{
	return &k->run->s.regs.sregs;
}
/* Fills out->state from the vCPU. */
void kvm_state_capture(struct kvm_ctx *k, struct end_state *st);

/* kvm_run.c */
/* Runs from the loaded state until a terminal event; fills out->events
 * and out->state. Returns 0, or -1 when KVM itself failed (err says why). */
int kvm_run_case(struct kvm_ctx *k, struct outcome *out, char *err, size_t errlen);
/* Name of a KVM exit reason, "?" when unknown. */
const char *kvm_exit_name(uint32_t reason);

/* kvm_watchdog.c */
/* Creates (once per thread) the periodic timer whose signal sets
 * run->immediate_exit of the case running on this thread. */
int kvm_watchdog_init(char *err, size_t errlen);
/* Marks the start of a case on this thread: arms the timer if it went idle
 * (one syscall only then). */
void kvm_watchdog_begin(struct kvm_run *run);
void kvm_watchdog_end(void);
void kvm_watchdog_fini(void);
uint64_t kvm_now_us(void);

/* kvm_calibrate.c */
int kvm_calibrate_cpuid(struct kvm_ctx *k, struct cpuid_table *t,
			char *err, size_t errlen);

/* kvm_env.c */
void kvm_env_fill(struct environment_info *env);

/* kvm_executor.c: one case from reset to outcome (memory window included).
 * Returns 0, or -1 when KVM failed (err says why, with the case id). */
int kvm_exec_case(struct kvm_ctx *k, const struct test_case *c,
		  struct outcome *out, char *err, size_t errlen);
/* The FLOOR of `exitdiff bench`: n times set RIP through
 * sync regs and KVM_RUN a code page holding one HLT; no reset, no capture.
 * Returns 0, or -1 (reason in ex->err). */
int kvm_bench_bare_run(struct executor *ex, unsigned n);

#endif
