/* The executor interface: something that runs a case and yields an outcome.
 * Adding an executor (Unicorn, another VMM) is one file filling these ops. */
#ifndef EXITDIFF_EXECUTOR_H
#define EXITDIFF_EXECUTOR_H

#include <stddef.h>
#include <stdint.h>
#include "case.h"
#include "host.h"
#include "outcome.h"

/* CPUID answers the guest really reads, calibrated in the KVM guest at
 * start-up and handed to the reference so both answer alike. */
struct cpuid_entry {
	uint32_t leaf, subleaf;
	uint32_t eax, ebx, ecx, edx;
};
#define CPUID_TABLE_MAX 256
struct cpuid_table {
	uint32_t n;
	struct cpuid_entry e[CPUID_TABLE_MAX];
	/* What CPUID answers at CPL3 when that differs: a backend that runs
	 * CPL3 guest code natively (kvm_pvm) lets the host CPU answer CPUID
	 * there unless the CPU can make CPUID fault. NULL: as at CPL0. (The
	 * APIC-ID registers, cpuid_per_cpu_regs, are never predicted.) */
	struct cpuid_table *user;
};
/* CPUID output registers, as bits. */
enum { CPUID_REG_EAX = 1, CPUID_REG_EBX = 2, CPUID_REG_ECX = 4, CPUID_REG_EDX = 8 };
/* The registers of leaf whose answer names the logical processor (APIC
 * IDs): 0 for most leaves (core/cpuid.c). */
unsigned cpuid_per_cpu_regs(uint32_t leaf);
/* Looks up (leaf, subleaf); NULL when the table has no such entry. */
const struct cpuid_entry *cpuid_lookup(const struct cpuid_table *t,
				       uint32_t leaf, uint32_t subleaf);


struct executor;

struct executor_ops {
	const char *name;
	/* 1 when the executor observes no exit trace, only how a case ended
	 * and its end state (a VMM): it cannot stop where a full trace stops
	 * the reference, so a case whose reference trace filled up is not
	 * comparable there (core/diff.c), and a short budget does for it. */
	int no_trace;
	/* Returns 0, or -1 with a one-line reason in err. */
	int (*init)(struct executor *ex, char *err, size_t errlen);
	/* Runs one case. Returns 0 when an outcome was produced (whatever it
	 * says), -1 when the executor itself failed (reason in ex->err). */
	int (*run)(struct executor *ex, const struct test_case *c,
		   struct outcome *out);
	void (*fini)(struct executor *ex);

	/*
	 * Stepping, for lockstep runs (core/lockstep.c); all three NULL in an
	 * executor that cannot. step_begin starts case c and initialises out
	 * (no events). Each step then runs up to n more instructions of the
	 * case into out, which holds what the earlier steps gave (or a copy of
	 * it): events are appended, state and memory window replaced.
	 * Returns EXEC_STEPPED when n instructions ran and the case goes on,
	 * EXEC_ENDED when it ended (out has its terminal event), -1 when the
	 * executor failed or cannot step this case (ex->err says why). An
	 * executor may step by re-running the case for a bounded number of
	 * instructions (the reference, Unicorn) or by trapping after each one
	 * (KVM). step_end puts it back to running whole cases and leaves in
	 * note (may be "") what stepping met, for the report.
	 */
	int (*step_begin)(struct executor *ex, const struct test_case *c, struct outcome *out);
	int (*step)(struct executor *ex, uint32_t n, struct outcome *out);
	void (*step_end)(struct executor *ex, char *note, size_t len);

	/* Optional: the case just run ended exactly as the reference's ref
	 * did (divergence.whole), so both ran the same instructions, and
	 * ref->insn_state says what they touched. An executor that puts
	 * state back between cases from a guess (the KVM executor's byte
	 * scan) may put back only that. */
	void (*agreed)(struct executor *ex, const struct outcome *ref);

	/* Optional: runs cases[0..n) into outs[0..n), case i bounded by
	 * budget_us[i] (0, or budget_us NULL: as run() would; EXEC_NOT_RUN:
	 * not run and outs[i] left alone, the caller fills it), for an
	 * executor to which a call for many cases costs less than a run()
	 * each (the VMM executor: one mailbox round, one wake-up). Returns
	 * how many cases from the front produced an outcome; fewer than n
	 * when cases[that] failed, with err, fail_errno, fail_where and dead
	 * as after a run() that returned -1, and the caller goes on from the
	 * case after it. agreed() is never called after a batch: it speaks of
	 * the case just run. */
	size_t (*run_batch)(struct executor *ex, const struct test_case *cases, size_t n,
			    const uint32_t *budget_us, struct outcome *outs);
};
enum { EXEC_ENDED = 0, EXEC_STEPPED = 1 };
/* run_batch's budget for a case the caller does not give the executor
 * (exec_skip_reason), so one call still takes the batch. */
#define EXEC_NOT_RUN UINT32_MAX

/* How an executor that steps by re-running keeps its place: the case and
 * the instructions run so far. */
struct exec_rerun {
	const struct test_case *c;
	uint32_t done;
};
/* The bound of the next re-run for n more instructions: done + n, at most
 * REF_STEP_BUDGET (the bound of a whole run). Advances done. */
uint32_t exec_rerun_next(struct exec_rerun *r, uint32_t n);
/* The step operations of such an executor, around its own bounded run:
 * begin starts c (r NULL: ex is not initialised, -1 with ex->err); going
 * is 1 when out, from a run bounded to `bound` instructions, stopped at the
 * bound (TIMEOUT addr 0 below REF_STEP_BUDGET): the case goes on; end
 * forgets the case (no note). */
int exec_rerun_begin(struct executor *ex, struct exec_rerun *r, const struct test_case *c,
		     struct outcome *out);
int exec_rerun_going(uint32_t bound, const struct outcome *out);
void exec_rerun_end(struct exec_rerun *r, char *note, size_t len);

struct executor {
	const struct executor_ops *ops;
	void *priv;
	struct cpuid_table *cpuid;      /* shared: KVM fills, reference reads */
	struct environment_info env;
	/* KVM: when not 0, each run's time budget in us instead of
	 * KVM_TIME_BUDGET_US. A caller sets it for a run whose verdict a longer
	 * run could not change (the reference spent its step budget: any KVM
	 * end compares as agree or not comparable, core/diff.c). The VMM
	 * executor then gives the case its short attempt alone (vmm/). */
	uint32_t budget_us;
	/* KVM: when set (and budget_us is 0), a vCPU still in KVM_RUN at the
	 * watchdog's first interrupt (0-5 ms in) is sampled for a hang at
	 * once, instead of after the whole budget (~10 ms). A caller sets it
	 * for a case the reference ended by itself, so KVM should long have
	 * exited; a vCPU that moves still gets the whole budget, so only
	 * `hang` comes sooner (harness/kvm_run.c, the probe). It re-arms no
	 * timer: that syscall cost ~7 us a case here. */
	int hang_probe;
	/* Reference: the CPU vendor whose definition it follows where the
	 * manuals differ (docs/vendors.md). VENDOR_UNKNOWN: the vendor of the
	 * calibrated CPUID table, else of the host. */
	enum cpu_vendor vendor;
	/* Reference and Unicorn: what a read of the MMIO window answers, as
	 * the hypervisor in KVM's place answers it (layout.h env_mmio_byte):
	 * 0, all ones as KVM's executor; 0x100 | B for a VMM's profile. */
	uint16_t mmio_window_read;
	/* Why the last run failed; long enough for a failure, the retry's and
	 * the recovery's (kvm_run_op keeps all three). */
	char err[640];
	/* Set by run() when it returned -1 because the hypervisor itself
	 * failed on the case (an ioctl such as KVM_RUN returned an error), not
	 * because the case was refused: the errno of the FIRST failure (0 when
	 * none was set), and where it happened and what recovery did, e.g.
	 * "KVM_RUN:rebuilt" (core/exec_fail.c makes the signature of it). err
	 * keeps the first error text and what the recovery met after it. */
	int fail_errno;
	char fail_where[32];
	/* The executor could not recover (rebuilding its VM failed): it cannot
	 * run another case; the caller must give up on it. */
	int dead;
	/* Times the executor rebuilt itself (a new VM) after a failure. */
	uint64_t recoveries;
	/* What the executor runs, for those that take an argument: the VMM
	 * executor's "qemu-tcg" or command line (vmm/vmm.h); NULL otherwise. */
	const char *spec;
};

/* The signature of a hypervisor failure of ex (fail_errno, fail_where):
 * "executor#EINVAL/KVM_RUN:rebuilt" (docs/formats.md). */
void exec_fail_signature(const struct executor *ex, char *sig, size_t len);

/* Why hv is not given c, whose reference outcome is ref, or NULL: what
 * would follow is hv's environment, not the instruction, or nothing hv
 * does could diverge (core/exec_skip.c: a VMM's guest keeps a write to
 * the system part of the layout, where the reference and KVM drop it; a
 * reference that spent its step budget or filled its trace). The
 * pipeline, the minimizer's predicate and the oracles ask before they
 * run hv. */
const char *exec_skip_reason(const struct executor *hv, const struct test_case *c,
			     const struct outcome *ref);
/* out becomes what an executor that did not run c shows: an UNSUPPORTED
 * end at the first instruction named why, the window as c starts it. */
void exec_not_run(struct outcome *out, const struct test_case *c, const char *why);
/* hv->ops->run, or exec_not_run when exec_skip_reason names a reason (ref
 * NULL: always run). Returns as run does. */
int exec_run_after(struct executor *hv, const struct test_case *c, const struct outcome *ref,
		   struct outcome *out);

extern const struct executor_ops kvm_executor_ops;
extern const struct executor_ops ref_executor_ops;

#endif
