/*
 * A case whose events wait for its Nth instruction (event ... after=N,
 * docs/formats.md "Events"): the case is stepped there with guest debug
 * (KVM_SET_GUEST_DEBUG, KVM_GUESTDBG_SINGLESTEP: one KVM_EXIT_DEBUG per
 * instruction, api.rst), through kvm_step.c, which already turns this
 * KVM's stepping into one step per instruction (a REP string's batches
 * merged, an I/O instruction's step ended by an immediate exit, a HLT
 * stepped over taken as the HLT exit: docs/lockstep.md "Pitfalls").
 * Nothing is pending while it steps (case_events_invalid: after=N events
 * share one N and do not mix with events from the start or at=handler),
 * so no delivery ever happens under stepping. At N, stepping is turned
 * off, the events are made pending (kvm_events.c) and the ordinary run
 * loop goes on from that boundary. CPL0 only: KVM does not step code it
 * runs natively (CPL3 on kvm_pvm), and the case's own TF would trap
 * inside the steps (the reference calls that unsupported).
 */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include "kvm_internal.h"
#include "layout.h"

int kvm_after_run(struct kvm_ctx *k, const struct test_case *c, struct outcome *out,
		  char *err, size_t errlen)
{
	unsigned n = case_events_after(c->event);
	struct kvm_step s;
	/* kvm_exec_case loaded the case already, and KVM has not consumed
	 * that load yet: the step's load must set everything again, not
	 * skip what looks set (kvm_state_load compares with the sync area). */
	k->sync_fresh = 0;
	int rc = kvm_step_begin(&s, k, c, err, errlen);
	if (rc == KVM_NO_STEP)
		return KVM_CASE_REFUSED; /* this KVM cannot step: err says so */
	if (rc < 0)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		int r = kvm_step_next(&s, out, err, errlen);
		if (r <= 0) {
			/* Ended before N (or failed): out is complete, memory
			 * and XMM included; the events were never pending. */
			kvm_step_end(&s);
			return r < 0 ? -1 : 1;
		}
	}
	/* The I/O events of the steps stay in out; the state will be
	 * captured again at the end. Guest debug off, nothing else: the
	 * vCPU goes on from where it stopped. */
	struct kvm_guest_debug dbg;
	memset(&dbg, 0, sizeof(dbg));
	if (ioctl(k->vcpu.fd, KVM_SET_GUEST_DEBUG, &dbg) < 0) {
		snprintf(err, errlen, "case %s: KVM_SET_GUEST_DEBUG (off after %u steps) failed",
			 c->id, n);
		kvm_step_end(&s);
		return -1;
	}
	kvm_watchdog_end();
	/* The next case re-sets every piece of state (debug registers
	 * included), as after any stepped run. */
	k->need_restore = KVM_RESTORE_ALL;
	if (kvm_events_pend(k, 0) < 0) {
		snprintf(err, errlen, "case %s: %s: making the after=%u events pending failed",
			 c->id, k->fail_op, n);
		return -1;
	}
	return kvm_run_case(k, out, err, errlen) < 0 ? -1 : 0;
}
