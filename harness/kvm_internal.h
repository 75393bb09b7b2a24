/*
 * Internal API of the KVM executor (harness/): nothing outside harness/
 * includes it (tests of the executor's insides aside); other users of KVM
 * go through kvm_lib.h. One VM with one vCPU per executor, created in init
 * and reused for every case. See docs/harness.md.
 *
 *   kvm_vm.c        the executor's VM: layout RAM, slots, captured state, rebuild
 *   kvm_mode.c      vCPU system state per (mode, knobs), from core/mode.c
 *   kvm_state.c     per-case reset (RAM, sync regs) and capture of the end state
 *   kvm_run.c       run loop: KVM exits -> normalised exit events
 *   kvm_irq.c       the case's external interrupt: window, injection
 *   kvm_hypercall.c hypercalls KVM hands to user space
 *   kvm_exits.def   KVM exit reason -> name, handler
 *   kvm_watchdog.c  per-thread periodic timer that interrupts a stuck KVM_RUN
 *   kvm_calibrate.c CPUID as the guest really reads it
 *   kvm_env.c       kernel, backend module, module parameters
 *   kvm_case.c      one case from reset to outcome, settle and CR8 guests
 *   kvm_step.c      single-stepping, the executor's step operations
 *   kvm_executor.c  executor_ops glue, recovery policy, bench helper
 */
#ifndef EXITDIFF_KVM_INTERNAL_H
#define EXITDIFF_KVM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <linux/kvm.h>
#include "executor.h"
#include "insn_state.h"
#include "kvm_executor.h"
#include "kvm_lib.h"
#include "mode.h"

/* MSRs a case can change with WRMSR or SWAPGS and that KVM_SET_SREGS does
 * not restore (EFER, FS/GS base are part of sregs). */
#define KVM_SAVED_MSRS_MAX 16
/* KVM_RUNs with immediate_exit spent completing what a stopped case left
 * pending. KVM reads REP INS data a page at a time and writes it back 8
 * bytes an MMIO exit: 512 exits, and the next page waits for the guest to
 * run again, which an immediate exit never lets it. The bound is for what
 * nobody has seen. */
#define KVM_FLUSH_MAX 1024

/* The sregs of one (mode, knobs) pair as KVM accepted them (kvm_mode.c),
 * built on first use and kept: a table of pointers indexed by
 * mode | knobs << MODE_KEY_BITS (16384 keys, 128 KiB; a campaign with
 * random knobs uses a few hundred pairs, ~0.5 KiB each). */
#define KVM_TMPL_KEYS ((uint32_t)(KNOBS_KNOWN + 1) << MODE_KEY_BITS)
struct kvm_tmpl {
	uint32_t key;              /* mode | knobs << MODE_KEY_BITS */
	uint8_t cpl;
	uint8_t paging;            /* levels of the page walk, 0 = unpaged */
	uint8_t altered;           /* KVM took the sregs but reports others */
	int refused;               /* errno of KVM_SET_SREGS, 0 = accepted */
	uint64_t seen_cr0, seen_cr4, seen_efer; /* what it reports, if altered */
	uint64_t rip;              /* first RIP of the mode */
	uint64_t rflags;           /* the mode's RFLAGS bits (v86: VM, IOPL) */
	struct kvm_sregs sregs;
	char why[160];             /* when refused: what, for the error */
};

struct kvm_ctx {
	struct kvm_vm vm;
	struct kvm_vcpu vcpu;
	uint8_t *ram;              /* LAYOUT_RAM_SIZE bytes, guest phys 0 */
	uint8_t *pristine_sys;     /* [0, LAYOUT_RW_BASE) when !ro_slot */
	uint8_t holes_dirty;       /* mode_reset_ram_tracked */

	/* Capabilities. */
	int ro_slot;               /* system part in a KVM_MEM_READONLY slot */
	int have_sync;             /* sync regs cover REGS|SREGS|EVENTS */
	int have_xcrs, have_debugregs, have_xsave;
	/* User-space MSR exits for filtered MSRs (knob msr-exit), and
	 * whether the filter is installed now (kvm_msr_filter.c). */
	int have_msr_exit, msr_filter_on;
	/* The case in hand has the knob; the filter left on made a case
	 * without it exit, so it is to be removed and the case run again
	 * (kvm_msr_filter.c). */
	int msr_filter_want, msr_filter_off_now;
	/* KVM_HC_MAP_GPA_RANGE exits to user space (kvm_hypercall.c). */
	int have_exit_hypercall;
	/* [0] CPL0, [1] CPL3: the RIP at a watchdog interrupt says nothing
	 * (kvm_calibrate_hang), so no case there is called hung; measured
	 * (known) the first time a case there looks hung. */
	int rip_blind[2], rip_known[2];
	/* run->s.regs holds the vCPU's current sregs and events (KVM stored
	 * them at the last KVM_RUN return), so they can be compared instead
	 * of re-set. Cleared when the vCPU is (re)created or KVM_RUN failed. */
	int sync_fresh;

	/* Pristine state captured once after setup, restored per case.
	 * sregs0 is the long64 CPL0 template; sregs_kvm what KVM reported
	 * for a fresh vCPU (the fields no mode sets, e.g. apic_base). */
	struct kvm_regs regs0;
	struct kvm_sregs sregs0;
	struct kvm_sregs sregs_kvm;
	struct kvm_vcpu_events events0;
	/* The events the case in hand starts with: events0, or with its
	 * pending NMI / injected exception (case_event.h). */
	struct kvm_vcpu_events events_case;
	struct kvm_cpuid2 *cpuid2;
	struct kvm_msrs *msrs0;    /* KVM_SAVED_MSRS_MAX entries, heap */
	struct kvm_xcrs xcrs0;
	struct kvm_debugregs dbg0;
	struct kvm_xsave *xsave0;
	struct kvm_xsave *xsave_now;  /* kvm_read_xmm's buffer, xsave0's size */
	unsigned long xsave_get;      /* KVM_GET_XSAVE or KVM_GET_XSAVE2 */

	/* Set when the last case may have changed state that the sync regs
	 * do not cover (MSRs, XCR0, DRs, FPU/SSE), or ended so badly that
	 * everything is re-set. */
	unsigned need_restore;
	/* The part of need_restore only the last case's byte scan asked for
	 * (kvm_agreed narrows it). */
	unsigned restore_by_scan;
	uint32_t budget_us;        /* ex->budget_us of the case in hand */
	int hang_probe;            /* ex->hang_probe of the case in hand */
	/* A template KVM altered was just built: KVM may hold a triple fault
	 * for the next KVM_RUN, which kvm_case_load spends on a guest of its
	 * own before the case runs. */
	int settle_due;

	/* The case being run: its mode (masks, exception frames) and its
	 * template (what an early EINTR reloads). */
	uint8_t mode;
	const struct kvm_tmpl *cur;
	struct kvm_tmpl *tmpl[KVM_TMPL_KEYS]; /* [0] = long64, no knobs */
	/* Tests only: CR4 bits to treat as refused by KVM (0 otherwise),
	 * so the refusal path runs on a KVM that accepts every knob. */
	uint64_t test_refuse_cr4;

	/* The last failure of kvm_exec_case: the ioctl (or step) that failed
	 * and its errno, for the executor's failure signature. */
	const char *fail_op;
	int fail_errno;

	/* Test hook (docs/harness.md "Recovery"): with
	 * EXITDIFF_TEST_FAIL_RUN_EVERY=N (read once at executor init), every
	 * Nth KVM_RUN fails with EINVAL before entering KVM, and so does every
	 * KVM_RUN after it until the VM is rebuilt: a vCPU KVM refuses to run
	 * again, on demand. 0 = off. */
	uint64_t test_fail_every, test_runs;
	int test_vcpu_dead;

	/* Where the time goes (kvm_executor.h), when prof_on. */
	int prof_on;
	struct kvm_prof prof;
	/* The case's external interrupt (event intr) while KVM has not been
	 * given it yet, else -1 (kvm_irq.c). */
	int intr_vector;
	/* The case's events made pending later (kvm_events.c): after=N
	 * (stepped to by kvm_after.c) and at=handler (at the first stub HLT).
	 * halt_watch: at=handler events were made pending at the stub HLT
	 * whose RIP is halt_rip; halt_state is the end state there, kept
	 * for when nothing is delivered. */
	struct case_event later[CASE_EVENTS_MAX];
	int halt_watch;
	uint64_t halt_rip;
	struct end_state halt_state;

	/* Figures for docs and reports. */
	uint64_t cases, eintr, restores, vm_rebuilds, run_failures, io_flushes;
	/* KVM_RUNs a stopped case's pending exits may take (0: KVM_FLUSH_MAX;
	 * tests lower it), and whether the last case used them all with an
	 * exit still pending: the next case then needs a new VM. */
	unsigned flush_max;
	int flush_left;
	uint64_t sregs_sets, events_sets, cr8_resets, tmpl_builds, settles;
	/* The hang probe's three ends: a hang, the vCPU moved, or its thread
	 * ran too little of the samples' time to tell (preempted). */
	uint64_t probe_hangs, probe_moved, probe_preempted;
	uint64_t msr_filter_removals;
	uint64_t irq_window_exits, irq_hlt_wakes;
};

/* Profiling (kvm_executor.h "kvm_prof"): t = kvm_prof_start(k) at the
 * start of a stretch of work, kvm_prof_lap(k, PHASE, &t) at its end adds
 * the stretch to PHASE and starts the next one. Off, each is one branch. */
static inline uint64_t kvm_prof_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
static inline uint64_t kvm_prof_start(const struct kvm_ctx *k)
{
	return k->prof_on ? kvm_prof_clock() : 0;
}
static inline void kvm_prof_lap(struct kvm_ctx *k, enum kvm_prof_phase p, uint64_t *t)
{
	if (!k->prof_on)
		return;
	uint64_t now = kvm_prof_clock();
	k->prof.ns[p] += now - *t;
	k->prof.times[p]++;
	*t = now;
}

/* need_restore bits: what a case may have changed (core/insn_state.h). */
#define KVM_RESTORE_MSRS  INSN_STATE_MSRS
#define KVM_RESTORE_XCRS  INSN_STATE_XCRS
#define KVM_RESTORE_DREGS INSN_STATE_DREGS
#define KVM_RESTORE_FPU   INSN_STATE_FPU
#define KVM_RESTORE_ALL   INSN_STATE_RESTORABLE

/* kvm_vm.c */
int kvm_vm_open(struct kvm_ctx *k, char *err, size_t errlen);

/* kvm_msr_filter.c: knob msr-exit */
/* Enables user-space exits for filtered MSRs where KVM has them. */
void kvm_msr_exit_enable(struct kvm_ctx *k);
/* Installs or removes the filter as case c's knobs want. Returns 0, -1
 * when KVM failed, KVM_CASE_REFUSED when this KVM cannot do it. */
int kvm_msr_filter_apply(struct kvm_ctx *k, const struct test_case *c, char *err, size_t errlen);
/* The exit handler of KVM_EXIT_X86_RDMSR/WRMSR: an msr event, answered
 * as the table says. Returns 1 to go on, 0 when the trace is full. */
int kvm_on_msr(struct kvm_ctx *k, struct outcome *out);
void kvm_vm_close(struct kvm_ctx *k);
/* Closes the vCPU, the VM and its memory and brings up a new VM the way
 * kvm_vm_open does (memslots, CPUID, captured state, XCR0): what the
 * executor does when a vCPU refuses to run again. Counters and the test
 * hook survive. Returns 0, or -1 (err says why; the context is closed). */
int kvm_vm_rebuild(struct kvm_ctx *k, char *err, size_t errlen);
/* Environment variable of the test hook above. */
#define KVM_TEST_FAIL_RUN_ENV "EXITDIFF_TEST_FAIL_RUN_EVERY"

/* kvm_mode.c */
/* A segment register as KVM takes it, from core/mode.h's seg_desc. */
void kvm_seg_from_desc(struct kvm_segment *s, const struct seg_desc *d);
/* Every system field of s from a mode environment; fields no mode sets
 * (apic_base) are left as they were. */
void kvm_sregs_from_env(struct kvm_sregs *s, const struct mode_env *e);
/* The template of (m, knobs), built on first use (this sets the vCPU's
 * sregs). Never NULL; t->refused != 0 with t->why when KVM refuses it. */
const struct kvm_tmpl *kvm_tmpl_get(struct kvm_ctx *k, enum cpu_mode m, uint32_t knobs);
/* Frees every template (a new vCPU, or the end). */
void kvm_tmpl_reset(struct kvm_ctx *k);

/* kvm_state.c */
/* The last case agreed whole with a reference that says its instructions
 * touched only insn_state (INSN_STATE_*): what the byte scan alone asked
 * to put back and they did not touch is not put back. */
void kvm_agreed(struct kvm_ctx *k, unsigned insn_state);
/* Reads XMM0-15 into xmm ([i][0] low half). Returns 0, or -1 (err). */
int kvm_read_xmm(struct kvm_ctx *k, uint64_t xmm[16][2], char *err, size_t errlen);
/* Restores the state in mask (KVM_RESTORE_*) with ioctls. */
int kvm_restore_extra(struct kvm_ctx *k, unsigned mask, char *err, size_t errlen);
/* Loads the case's registers and the initial system state of its mode and
 * knobs for the next KVM_RUN (sync regs, or ioctls without them). Returns
 * 0, -1 when KVM failed, KVM_CASE_REFUSED when the case cannot run here
 * (mode/knobs invalid, or KVM refuses them): err says why, no retry helps. */
#define KVM_CASE_REFUSED (-2)
int kvm_state_load(struct kvm_ctx *k, const struct test_case *c,
		   char *err, size_t errlen);
/* After an exit: fresh registers and sregs (no-op with sync regs). */
int kvm_state_fetch(struct kvm_ctx *k);
static inline struct kvm_regs *kvm_regs_of(struct kvm_ctx *k)
{
	return &k->vcpu.run->s.regs.regs;
}
static inline struct kvm_sregs *kvm_sregs_of(struct kvm_ctx *k)
{
	return &k->vcpu.run->s.regs.sregs;
}
/* Fills out->state from the vCPU; GPRs, RIP and RFLAGS masked to the
 * current mode (mode_reg_mask). */
void kvm_state_capture(struct kvm_ctx *k, struct end_state *st);

/* kvm_run.c */
/* What an exit handler returns: the run goes on, the outcome is complete,
 * an ioctl failed (fail_op and fail_errno say which), or the exit is not
 * one the handler expected (the run loop ends the case with it verbatim,
 * as for a reason without a handler). */
enum { KVM_FAILED = -1, KVM_STOP = 0, KVM_GO_ON = 1, KVM_UNEXPECTED = 2 };
/* Ends the case with the exit verbatim (EXIT_OTHER, addr = reason). */
int kvm_on_other(struct kvm_ctx *k, struct outcome *out, uint32_t reason);

/* kvm_hypercall.c */
/* Enables KVM_CAP_EXIT_HYPERCALL for KVM_HC_MAP_GPA_RANGE where offered. */
void kvm_hypercall_exit_enable(struct kvm_ctx *k);
/* KVM_EXIT_HYPERCALL: a hypercall event, answered 0. */
int kvm_on_hypercall(struct kvm_ctx *k, struct outcome *out);

/* kvm_irq.c */
/* Arms the case's external interrupt, if it has one, for the next run. */
void kvm_irq_arm(struct kvm_ctx *k, const struct test_case *c);
/* KVM_EXIT_IRQ_WINDOW_OPEN: the irq_window event, then KVM_INTERRUPT. */
int kvm_on_irq_window(struct kvm_ctx *k, struct outcome *out);
/* 1 when a HLT exit wakes for the case's interrupt (pending, IF = 1);
 * kvm_irq_wake then records and injects it like a window. */
int kvm_irq_wakes(const struct kvm_ctx *k);
int kvm_irq_wake(struct kvm_ctx *k, struct outcome *out);

/* Completes, without entering the guest, what the last exit left for the
 * next KVM_RUN (an I/O, MMIO, MSR or hypercall exit); sets k->flush_left
 * when k->flush_max KVM_RUNs did not finish it. */
void kvm_flush_pending(struct kvm_ctx *k);

/* kvm_events.c: events made pending later than the start. kvm_events_pend
 * makes the ones that match (after=N, or at=handler) pending now: KVM_NMI,
 * or the interrupt held for a window. 0, or -1 (k->fail_op set). */
int kvm_events_pend(struct kvm_ctx *k, int in_handler);
/* A HLT exit at an exception stub (e is its exception, st the state read
 * from its frame): KVM_GO_ON when at=handler events were made pending and
 * the run goes on, KVM_STOP when the case ends here (the trace gets e, or
 * nothing when the events were held: the state is the one before). */
int kvm_events_at_stub(struct kvm_ctx *k, struct outcome *out, const struct exit_event *e,
		       int stub);
/* kvm_after.c: runs a case whose events wait for instruction N: steps
 * there (KVM_GUESTDBG_SINGLESTEP), makes them pending, runs on. 0, 1 when
 * the case ended while stepping (out is complete, memory included),
 * KVM_CASE_REFUSED when this KVM cannot step (err says why), -1. */
int kvm_after_run(struct kvm_ctx *k, const struct test_case *c, struct outcome *out,
		  char *err, size_t errlen);
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
/* The same with the next tick due in us (then every period again): a case
 * with a short budget ends at it. One timer syscall. */
void kvm_watchdog_begin_within(struct kvm_run *run, uint32_t us);
void kvm_watchdog_end(void);
void kvm_watchdog_fini(void);

/* kvm_calibrate.c: fills t with what the guest reads, running the probe
 * with the given knobs (KNOB_CPL3: what CPL3 code reads). */
int kvm_calibrate_cpuid(struct kvm_ctx *k, struct cpuid_table *t, uint32_t knobs,
			char *err, size_t errlen);

/* kvm_env.c */
void kvm_env_fill(struct environment_info *env);
/* Records a hash of the calibrated CPUID table in env->cpuid_hash. */
void kvm_env_hash_cpuid(struct environment_info *env, const struct cpuid_table *t);

/* kvm_case.c: one case from reset to outcome (memory window included).
 * Returns 0, -1 when KVM failed, KVM_CASE_REFUSED (kvm_state_load) (err
 * says why, with the case id). */
int kvm_exec_case(struct kvm_ctx *k, const struct test_case *c,
		  struct outcome *out, char *err, size_t errlen);
/* kvm_state_load, then the settle guest when a template build asked for
 * it, then the case loaded again: what every run of a case starts with. */
int kvm_case_load(struct kvm_ctx *k, const struct test_case *c, char *err, size_t errlen);


/* kvm_step.c: single-stepping for `exitdiff run --lockstep`
 * (docs/lockstep.md). */
struct kvm_step {
	struct kvm_ctx *k;
	uint8_t mode;              /* enum cpu_mode of the case */
	int active;                /* guest debug is on */
	unsigned exits, debug_exits, io_exits;
	unsigned rep_merged;       /* debug exits inside one REP instruction */
	unsigned io_completions;   /* I/O steps ended by an immediate exit */
	int hlt_stepped;           /* a HLT retired as a debug exit */
	uint64_t dr6;              /* of the last KVM_EXIT_DEBUG */
	uint32_t exception;        /* vector KVM reported with it (1 = #DB) */
	/* CPL3: stepped by the guest's own TF, not by guest debug (kvm_step.c
	 * says why): the #DB traps taken through the guest's IDT. */
	int guest_tf;
	unsigned tf_traps;
	int read_xmm;              /* the case's code can change XMM registers */
};
/* Loads case c into k and turns single-stepping on. Returns 0; -1 when
 * KVM failed; KVM_NO_STEP when this KVM cannot single-step (err says why). */
#define KVM_NO_STEP (-2)
int kvm_step_begin(struct kvm_step *s, struct kvm_ctx *k, const struct test_case *c,
		   char *err, size_t errlen);
/* Runs to the next KVM_EXIT_DEBUG, appending the I/O and MMIO events met
 * on the way to out; out->state and out->mem are then the vCPU's. Returns
 * 1 after a debug exit, 0 when out got its terminal event (HLT, exception
 * stub, shutdown, ...), -1 when KVM failed (err says why). */
int kvm_step_next(struct kvm_step *s, struct outcome *out, char *err, size_t errlen);
/* Turns single-stepping off; the next case re-sets all vCPU state. */
void kvm_step_end(struct kvm_step *s);

#endif
