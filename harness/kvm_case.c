/*
 * One case from reset to outcome (kvm_exec_case), and the small guests of
 * the executor's own around it: the settle run after a template KVM alters
 * (kvm_mode.c asks for it with settle_due) and the CR8 reset. Everything
 * here runs on the VM kvm_vm.c made; the recovery policy above it is
 * kvm_executor.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kvm_internal.h"
#include "layout.h"

/* Runs a small long64 CPL0 guest of the executor's own (not a case) to
 * its end. Returns 0 with o filled, or -1 (err says why). */
static int kvm_run_internal(struct kvm_ctx *k, const char *id, const uint8_t *code,
			    uint32_t len, struct outcome **o, char *err, size_t errlen)
{
	struct test_case *c = malloc(sizeof(*c));
	*o = malloc(sizeof(**o));
	int rc = -1;
	if (!c || !*o) {
		snprintf(err, errlen, "%s: out of memory", id);
		goto out;
	}
	case_init(c);
	snprintf(c->id, sizeof(c->id), "%s", id);
	memcpy(c->code, code, len);
	c->code_len = len;
	outcome_init(*o);
	if (kvm_state_load(k, c, err, errlen) < 0 || kvm_run_case(k, *o, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	free(c);
	return rc;
}

/* KVM_SET_SREGS does not reset CR8 on this KVM (kvm_pvm: a MOV CR8 in
 * one case was still visible to the next, measured): put it back from
 * inside the guest with a MOV CR8 of its own. Only cases that changed CR8
 * pay for this extra run. */
static int kvm_reset_cr8(struct kvm_ctx *k, char *err, size_t errlen)
{
	static const uint8_t clear_cr8[] = {
		0x31, 0xc0,             /* xor eax, eax */
		0x44, 0x0f, 0x22, 0xc0, /* mov cr8, rax */
		0xf4,                   /* hlt */
	};
	struct outcome *o = NULL;
	int rc = kvm_run_internal(k, "cr8-reset", clear_cr8, sizeof(clear_cr8), &o, err, errlen);
	if (rc == 0 && o->state.cr8 != k->sregs0.cr8) {
		snprintf(err, errlen, "resetting CR8: still 0x%llx after the reset guest",
			 (unsigned long long)o->state.cr8);
		rc = -1;
	}
	if (rc == 0)
		k->cr8_resets++;
	free(o);
	return rc;
}

/* Runs a long64 HLT guest so that whatever a template build left pending
 * in KVM (a triple fault, kvm_mode.c) is spent before the case. */
static void kvm_settle(struct kvm_ctx *k)
{
	static const uint8_t hlt[] = { 0xf4 };
	char err[160];
	/* At most twice: a pending triple fault makes the first run a
	 * SHUTDOWN, the second must then end at its HLT. */
	for (int i = 0; i < 2; i++) {
		struct outcome *o = NULL;
		int rc = kvm_run_internal(k, "settle", hlt, sizeof(hlt), &o, err, sizeof(err));
		int done = rc == 0 && outcome_terminal(o) &&
			   outcome_terminal(o)->kind == EXIT_HLT;
		free(o);
		k->settles++;
		if (done)
			break;
	}
}

int kvm_case_load(struct kvm_ctx *k, const struct test_case *c, char *err, size_t errlen)
{
	int rc = kvm_state_load(k, c, err, errlen);
	if (!k->settle_due)
		return rc;
	/* The template build inside that load left something pending: spend
	 * it on a guest of ours, then load the case again (its template is
	 * built now, so this load builds nothing). */
	k->settle_due = 0;
	kvm_settle(k);
	return rc == 0 ? kvm_state_load(k, c, err, errlen) : rc;
}

/* Notes where kvm_exec_case failed (errno of the ioctl that failed, when
 * one did) unless the run loop already did; returns -1. */
static int kvm_failed_at(struct kvm_ctx *k, const char *op)
{
	int e = errno;
	if (!k->fail_op) {
		k->fail_op = op;
		k->fail_errno = e;
	}
	return -1;
}

/* Whether the RIP KVM reports at a watchdog interrupt tells where the
 * guest is, at one privilege: a four-instruction loop must not look hung.
 * On kvm_pvm it does at CPL3 (samples read the address after the loop's
 * first instruction, mostly), so there a hang cannot be told from a guest
 * loop and stays the timeout it may be (docs/harness.md "Hang"). Measured
 * once, when a case first looks hung: a runaway loop costs a full time
 * budget, too much for every executor's start. One probe that looks hung
 * is enough to call the samples blind; up to three are run because a
 * blind host still answers "moved" now and then. */
static int kvm_calibrate_hang(struct kvm_ctx *k, int cpl3, char *err, size_t errlen)
{
	static const uint8_t loop[] = { 0x90, 0x90, 0x90, 0xeb, 0xfb }; /* l: nop x3; jmp l */
	struct test_case *c = malloc(sizeof(*c));
	struct outcome *out = malloc(sizeof(*out));
	int rc = c && out ? 0 : -1;
	k->rip_known[cpl3] = 1;
	k->rip_blind[cpl3] = 0;
	for (unsigned i = 0; rc == 0 && i < 3 && !k->rip_blind[cpl3]; i++) {
		case_init(c);
		snprintf(c->id, sizeof(c->id), "hang-calibration%s", cpl3 ? "-cpl3" : "");
		c->knobs = cpl3 ? KNOB_CPL3 : 0;
		memcpy(c->code, loop, sizeof(loop));
		c->code_len = sizeof(loop);
		rc = kvm_exec_case(k, c, out, err, errlen);
		const struct exit_event *e = outcome_terminal(out);
		k->rip_blind[cpl3] = rc == 0 && e && e->kind == EXIT_HANG;
	}
	if (!c || !out)
		snprintf(err, errlen, "out of memory");
	free(c);
	free(out);
	return rc < 0 ? -1 : 0;
}

/* A hang where RIP samples are not yet known to mean something: measure
 * that now (after the case: the probe runs cases of its own), and where
 * they mean nothing the hang is the timeout it may be. */
static int kvm_hang_checked(struct kvm_ctx *k, const struct test_case *c, struct outcome *out,
			    char *err, size_t errlen)
{
	struct exit_event *t = out->n_events ? &out->events[out->n_events - 1] : NULL;
	if (!t || t->kind != EXIT_HANG)
		return 0;
	int cpl3 = (c->knobs & KNOB_CPL3) != 0;
	if (!k->rip_known[cpl3] && kvm_calibrate_hang(k, cpl3, err, errlen) < 0)
		return kvm_failed_at(k, "hang-calibration");
	if (k->rip_blind[cpl3])
		*t = (struct exit_event){ .kind = EXIT_TIMEOUT };
	return 0;
}

int kvm_exec_case(struct kvm_ctx *k, const struct test_case *c,
		  struct outcome *out, char *err, size_t errlen)
{
	k->fail_op = NULL;
	k->fail_errno = 0;
	k->restore_by_scan = 0;
	for (;;) {
		outcome_init(out);
		int rc = kvm_case_load(k, c, err, errlen);
		if (rc == -1)
			return kvm_failed_at(k, "state-load");
		if (rc < 0)
			return rc;
		if (case_events_after(c->event)) {
			/* Stepped to instruction N first (kvm_after.c). */
			int ar = kvm_after_run(k, c, out, err, errlen);
			if (ar == KVM_CASE_REFUSED)
				return ar;
			if (ar < 0)
				return kvm_failed_at(k, k->fail_op ? k->fail_op : "step-to-after");
			if (ar == 1) {
				k->cases++;
				return 0;
			}
		} else if (kvm_run_case(k, out, err, errlen) < 0) {
			return -1;
		}
		if (!k->msr_filter_off_now)
			break;
		/* Ran under the MSR filter it does not want and met it
		 * (kvm_msr_filter.c): again from the reset, every piece of
		 * state re-set; the load removes the filter. */
		k->need_restore = KVM_RESTORE_ALL;
		k->sync_fresh = 0;
	}
	uint64_t pt = kvm_prof_start(k);
	/* What this case may have changed outside the sync regs is put back
	 * before the next one; most cases pay nothing for it. */
	unsigned touched = insn_state_scan(c->code, c->code_len, mode_long((enum cpu_mode)c->mode));
	/* What only the scan asks for: a reference that ran the case to the
	 * same outcome can say it was not touched (kvm_agreed). */
	k->restore_by_scan = touched & KVM_RESTORE_ALL & ~k->need_restore;
	k->need_restore |= touched & KVM_RESTORE_ALL;
	/* A #DB leaves its cause in DR6 (BS for single-step), which the next
	 * case would read back: put the debug registers back after one. */
	const struct exit_event *t = outcome_terminal(out);
	if ((c->rflags & RFLAGS_TF) || (t && t->kind == EXIT_EXCEPTION && t->addr == 1)) {
		k->need_restore |= KVM_RESTORE_DREGS;
		k->restore_by_scan &= ~KVM_RESTORE_DREGS;
	}
	if ((touched & INSN_STATE_XMM) && kvm_read_xmm(k, out->state.xmm, err, errlen) < 0)
		return kvm_failed_at(k, "read-xmm");
	memcpy(out->mem, k->ram + LAYOUT_CMP_BASE, LAYOUT_CMP_SIZE);
	k->cases++;
	if (out->state.cr8 != k->sregs0.cr8 && kvm_reset_cr8(k, err, errlen) < 0)
		return kvm_failed_at(k, k->fail_op ? k->fail_op : "cr8-reset");
	int rc2 = kvm_hang_checked(k, c, out, err, errlen);
	if (k->prof_on) {
		kvm_prof_lap(k, KVM_PROF_AFTER, &pt);
		k->prof.cases++;
	}
	return rc2;
}
