/* The KVM executor: executor_ops glue and the recovery policy. One VM and
 * one vCPU per executor, created in init, reused for every case (see
 * docs/harness.md); one case's run is kvm_case.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include "kvm_executor.h"
#include "kvm_internal.h"
#include "layout.h"

struct kvm_priv {
	struct kvm_ctx k;
	int own_cpuid;    /* ex->cpuid allocated here, freed in fini */
	struct kvm_step step;  /* a lockstep run in progress (kvm_step.c) */
};

static void kvm_fini(struct executor *ex)
{
	struct kvm_priv *p = ex->priv;
	if (!p)
		return;
	kvm_watchdog_fini();
	kvm_vm_close(&p->k);
	if (ex->cpuid) {
		/* The CPL3 view is always ours, the table only when own_cpuid. */
		free(ex->cpuid->user);
		ex->cpuid->user = NULL;
	}
	if (p->own_cpuid) {
		free(ex->cpuid);
		ex->cpuid = NULL;
	}
	free(p);
	ex->priv = NULL;
}

static int same_table(const struct cpuid_table *a, const struct cpuid_table *b)
{
	return a->n == b->n && !memcmp(a->e, b->e, a->n * sizeof(a->e[0]));
}

/* CPUID as CPL3 code reads it; kept only when it differs from CPL0's. */
static int calibrate_user(struct kvm_priv *p, struct cpuid_table *t, char *err, size_t errlen)
{
	struct cpuid_table *u = calloc(1, sizeof(*u));
	if (!u) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (kvm_calibrate_cpuid(&p->k, u, KNOB_CPL3, err, errlen) < 0) {
		free(u);
		return -1;
	}
	if (same_table(t, u)) {
		free(u);
		u = NULL;
	}
	free(t->user);
	t->user = u;
	return 0;
}

static int kvm_init(struct executor *ex, char *err, size_t errlen)
{
	struct kvm_priv *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ex->priv = p;
	kvm_env_fill(&ex->env);
	if (kvm_vm_open(&p->k, err, errlen) < 0) {
		kvm_vm_close(&p->k);
		free(p);
		ex->priv = NULL;
		return -1;
	}
	if (kvm_watchdog_init(err, errlen) < 0) {
		kvm_vm_close(&p->k);
		free(p);
		ex->priv = NULL;
		return -1;
	}
	if (!ex->cpuid) {
		ex->cpuid = calloc(1, sizeof(*ex->cpuid));
		p->own_cpuid = 1;
		if (!ex->cpuid) {
			snprintf(err, errlen, "out of memory");
			kvm_fini(ex);
			return -1;
		}
	}
	if (kvm_calibrate_cpuid(&p->k, ex->cpuid, 0, err, errlen) < 0 ||
	    calibrate_user(p, ex->cpuid, err, errlen) < 0) {
		kvm_fini(ex);
		return -1;
	}
	kvm_env_hash_cpuid(&ex->env, ex->cpuid);
	/* The test hook (kvm.h) counts from here: set-up never fails by it. */
	const char *every = getenv(KVM_TEST_FAIL_RUN_ENV);
	if (every && *every)
		p->k.test_fail_every = strtoull(every, NULL, 0);
	return 0;
}

/* Rebuilds the VM after a failure. Returns 0, or -1 with the executor
 * marked dead and ex->err saying everything that happened. */
static int kvm_recover(struct executor *ex, struct kvm_priv *p, const char *id,
		       const char *history)
{
	char why[200];
	if (kvm_vm_rebuild(&p->k, why, sizeof(why)) == 0) {
		ex->recoveries++;
		return 0;
	}
	ex->dead = 1;
	snprintf(ex->err, sizeof(ex->err), "case %.60s: %.400s; rebuilding the VM: %.140s",
		 id, history, why);
	return -1;
}

/*
 * A case KVM refuses (knobs outside the mode, sregs KVM rejects) fails at
 * once and is never retried. When KVM itself fails on a case (KVM_RUN
 * returns an error), that is a finding: the executor reports it (-1 with
 * fail_errno and fail_where, the FIRST error's text in err) and makes sure
 * the next case can run:
 *   1. the case runs again with every piece of state re-set
 *      ("retried": the vCPU recovered by itself);
 *   2. if the vCPU refuses again, the whole VM is rebuilt (kvm_vm_rebuild:
 *      a vCPU cannot be recreated alone) and the case runs once more on
 *      the fresh VM ("rebuilt": the vCPU was broken; "fails-fresh": the
 *      case breaks a fresh VM too, after which the VM is rebuilt again).
 * The outcome of a rerun is not returned: the case's verdict is the
 * failure. If a rebuild fails the executor is dead (ex->dead) and the
 * caller must stop using it.
 */
static int kvm_run_op(struct executor *ex, const struct test_case *c,
		      struct outcome *out)
{
	struct kvm_priv *p = ex->priv;
	char why[200];
	ex->fail_errno = 0;
	ex->fail_where[0] = 0;
	if (!p || ex->dead) {
		snprintf(ex->err, sizeof(ex->err), "case %s: KVM executor %s", c->id,
			 p ? "dead: an earlier recovery failed" : "not initialised");
		return -1;
	}
	if (p->k.flush_left) {
		/* The last case left KVM an instruction it would go on with
		 * inside this one (kvm_run.c, KVM_FLUSH_MAX). */
		if (kvm_vm_rebuild(&p->k, why, sizeof(why)) < 0) {
			ex->dead = 1;
			snprintf(ex->err, sizeof(ex->err),
				 "case %s: rebuilding the VM the last case left an exit pending in: %s",
				 c->id, why);
			return -1;
		}
	}
	p->k.budget_us = ex->budget_us;
	p->k.hang_probe = ex->hang_probe;
	int rc = kvm_exec_case(&p->k, c, out, why, sizeof(why));
	if (rc == 0)
		return 0;
	if (rc == KVM_CASE_REFUSED) {
		/* The message names the case already; no retry helps. */
		snprintf(ex->err, sizeof(ex->err), "%s", why);
		return -1;
	}
	char first[200], history[420];
	const char *op = p->k.fail_op ? p->k.fail_op : "vcpu";
	ex->fail_errno = p->k.fail_errno;
	snprintf(first, sizeof(first), "%s", why);

	p->k.need_restore = KVM_RESTORE_ALL;
	const char *after = "retried";
	if (kvm_exec_case(&p->k, c, out, why, sizeof(why)) != 0) {
		snprintf(history, sizeof(history), "%s; retry: %s", first, why);
		if (kvm_recover(ex, p, c->id, history) < 0)
			goto report_dead;
		after = "rebuilt";
		if (kvm_exec_case(&p->k, c, out, why, sizeof(why)) != 0) {
			after = "fails-fresh";
			snprintf(history, sizeof(history), "%s; on a fresh VM: %s", first, why);
			if (kvm_recover(ex, p, c->id, history) < 0)
				goto report_dead;
		}
	}
	snprintf(ex->fail_where, sizeof(ex->fail_where), "%.15s:%s", op, after);
	if (!strcmp(after, "retried"))
		snprintf(ex->err, sizeof(ex->err), "case %s: %s (a retry on the same vCPU ran it)",
			 c->id, first);
	else if (!strcmp(after, "rebuilt"))
		snprintf(ex->err, sizeof(ex->err), "case %s: %s; the VM was rebuilt and ran it",
			 c->id, history);
	else
		snprintf(ex->err, sizeof(ex->err), "case %s: %s; VM rebuilt", c->id, history);
	return -1;
report_dead:
	snprintf(ex->fail_where, sizeof(ex->fail_where), "%.15s:dead", op);
	return -1;
}

static int bare_run(struct executor *ex, unsigned n, int full_sync);

int kvm_bench_bare_run(struct executor *ex, unsigned n)
{
	return bare_run(ex, n, 0);
}

int kvm_bench_bare_run_full_sync(struct executor *ex, unsigned n)
{
	return bare_run(ex, n, 1);
}

void kvm_prof_enable(struct executor *ex, int on)
{
	struct kvm_priv *p = ex->priv;
	if (!p)
		return;
	memset(&p->k.prof, 0, sizeof(p->k.prof));
	p->k.prof_on = on;
}

void kvm_prof_read(const struct executor *ex, struct kvm_prof *out)
{
	const struct kvm_priv *p = ex->priv;
	if (p)
		*out = p->k.prof;
	else
		memset(out, 0, sizeof(*out));
}

const char *kvm_prof_name(enum kvm_prof_phase ph)
{
	static const char *const names[KVM_PROF_COUNT] = {
		[KVM_PROF_RESTORE_MSRS] = "restore MSRs",
		[KVM_PROF_RESTORE_XCRS] = "restore XCR0",
		[KVM_PROF_RESTORE_DREGS] = "restore debug regs",
		[KVM_PROF_RESTORE_XSAVE] = "restore XSAVE (FPU/SSE)",
		[KVM_PROF_RAM] = "memory reset",
		[KVM_PROF_LOAD] = "state load (sync regs)",
		[KVM_PROF_RUN] = "KVM_RUN (entry/exit + read-back)",
		[KVM_PROF_EXITS] = "exit decoding, end-state capture",
		[KVM_PROF_AFTER] = "after: scan, XMM read, memory window",
	};
	return ph < KVM_PROF_COUNT ? names[ph] : "?";
}

static int bare_run(struct executor *ex, unsigned n, int full_sync)
{
	struct kvm_priv *p = ex->priv;
	if (!p) {
		snprintf(ex->err, sizeof(ex->err), "KVM executor not initialised");
		return -1;
	}
	struct kvm_ctx *k = &p->k;
	struct test_case *hlt_case = malloc(sizeof(*hlt_case));
	if (!hlt_case) {
		snprintf(ex->err, sizeof(ex->err), "bench: out of memory");
		return -1;
	}
	case_init(hlt_case);
	snprintf(hlt_case->id, sizeof(hlt_case->id), "bench-floor");
	hlt_case->code[0] = 0xf4;
	hlt_case->code_len = 1;
	int rc = kvm_case_load(k, hlt_case, ex->err, sizeof(ex->err));
	free(hlt_case);
	if (rc < 0)
		return -1;
	struct kvm_run *run = k->vcpu.run;
	char why[160];
	/* The floor is the bare round trip: only the GPRs come back through
	 * the sync area (SREGS and EVENTS cost KVM ~0.2 us more per exit,
	 * measured), which is all a loop that moves RIP back needs. The
	 * executor's own runs ask for everything again. */
	uint64_t valid = run->kvm_valid_regs;
	if (k->have_sync)
		run->kvm_valid_regs = full_sync ? KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS |
						  KVM_SYNC_X86_EVENTS : KVM_SYNC_X86_REGS;
	int rc2 = 0;
	run->immediate_exit = 0;
	for (unsigned i = 0; i < n && rc2 == 0; i++) {
		if (i > 0) {
			run->s.regs.regs.rip = LAYOUT_CODE;
			if (k->have_sync) {
				run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
			} else if (kvm_ioctl(k->vcpu.fd, KVM_SET_REGS, &run->s.regs.regs,
					     why, sizeof(why)) < 0) {
				snprintf(ex->err, sizeof(ex->err), "bench: %s", why);
				rc2 = -1;
				break;
			}
		}
		if (kvm_ioctl(k->vcpu.fd, KVM_RUN, NULL, why, sizeof(why)) < 0) {
			if (errno == EINTR) {
				/* A watchdog tick that landed between the
				 * last case's loop and its kvm_watchdog_end
				 * left immediate_exit set: without clearing
				 * it every KVM_RUN returns EINTR (seen: the
				 * floor spun for minutes under load). */
				run->immediate_exit = 0;
				i--;
				continue;
			}
			snprintf(ex->err, sizeof(ex->err), "bench: %s", why);
			rc2 = -1;
			break;
		}
		if (run->exit_reason != KVM_EXIT_HLT) {
			snprintf(ex->err, sizeof(ex->err), "bench: wanted exit hlt, got %u (%s)",
				 run->exit_reason, kvm_exit_name(run->exit_reason));
			rc2 = -1;
			break;
		}
		if (!k->have_sync &&
		    kvm_ioctl(k->vcpu.fd, KVM_GET_REGS, &run->s.regs.regs, why, sizeof(why)) < 0) {
			snprintf(ex->err, sizeof(ex->err), "bench: %s", why);
			rc2 = -1;
		}
	}
	run->kvm_valid_regs = valid;
	/* The next case re-sets what this loop did not keep fresh. */
	k->sync_fresh = 0;
	return rc2;
}

/* Stepping traps after every instruction (KVM_SET_GUEST_DEBUG, kvm_step.c)
 * on the executor's own VM; a failure is not recovered from (lockstep
 * reports it and stops), and step_end leaves the vCPU as a whole case
 * expects it. */
static int kvm_step_begin_op(struct executor *ex, const struct test_case *c,
			     struct outcome *out)
{
	struct kvm_priv *p = ex->priv;
	outcome_init(out);
	if (!p || ex->dead) {
		snprintf(ex->err, sizeof(ex->err), "case %s: KVM executor %s", c->id,
			 p ? "dead: an earlier recovery failed" : "not initialised");
		return -1;
	}
	/* Measured on kvm_pvm: how single-stepping meets natively run (CPL3)
	 * code depends on what the vCPU ran before. On a fresh VM the trap
	 * reaches the guest as #DB, which lockstep can tell; after the CPUID
	 * calibration it ran CPL3 code, the whole case ran as one step
	 * instead. Stepping starts from a fresh VM, so a stepped run depends
	 * on nothing before it. */
	for (unsigned i = 0; i < CASE_EVENTS_MAX; i++)
		if (c->event[i].kind && !case_event_at_start(&c->event[i])) {
			snprintf(ex->err, sizeof(ex->err), "case %.60s: an event made pending after "
				 "N or in a handler: not single-stepped", c->id);
			return -1;
		}
	char why[200];
	if (kvm_vm_rebuild(&p->k, why, sizeof(why)) < 0) {
		ex->dead = 1;
		snprintf(ex->err, sizeof(ex->err), "case %.60s: a fresh VM for stepping: %.200s",
			 c->id, why);
		return -1;
	}
	return kvm_step_begin(&p->step, &p->k, c, ex->err, sizeof(ex->err)) < 0 ? -1 : 0;
}

static int kvm_step_op(struct executor *ex, uint32_t n, struct outcome *out)
{
	struct kvm_priv *p = ex->priv;
	int r = EXEC_STEPPED;
	if (!p) {
		snprintf(ex->err, sizeof(ex->err), "KVM executor not initialised");
		return -1;
	}
	for (uint32_t i = 0; i < n && r == EXEC_STEPPED; i++)
		r = kvm_step_next(&p->step, out, ex->err, sizeof(ex->err));
	return r;
}

static void kvm_step_end_op(struct executor *ex, char *note, size_t len)
{
	struct kvm_priv *p = ex->priv;
	if (!p || !p->step.active) {
		if (len)
			note[0] = 0;
		return;
	}
	if (p->step.guest_tf)
		snprintf(note, len, "kvm: stepped with TF (CPL3): %u #DB traps through the guest's "
			 "IDT, %u inside REP instructions", p->step.tf_traps, p->step.rep_merged);
	else
		snprintf(note, len, "kvm: %u debug exits, %u merged inside REP instructions, %u I/O "
			 "steps completed by an immediate exit", p->step.debug_exits,
			 p->step.rep_merged, p->step.io_completions);
	kvm_step_end(&p->step);
}

static void kvm_agreed_op(struct executor *ex, const struct outcome *ref)
{
	struct kvm_priv *p = ex->priv;
	if (p && (ref->insn_state & INSN_STATE_KNOWN))
		kvm_agreed(&p->k, ref->insn_state);
}

const struct executor_ops kvm_executor_ops = {
	.name = "kvm",
	.init = kvm_init,
	.run = kvm_run_op,
	.fini = kvm_fini,
	.step_begin = kvm_step_begin_op,
	.step = kvm_step_op,
	.step_end = kvm_step_end_op,
	.agreed = kvm_agreed_op,
};
