/*
 * The case's events made pending later than the start (docs/formats.md
 * "Events"): after=N, once kvm_after.c has stepped the case to its Nth
 * instruction, and at=handler, when the vCPU halts at an exception stub.
 * An NMI is queued with KVM_NMI (api.rst: well defined without an
 * in-kernel irqchip, as here); KVM decides whether it is taken (NMIs are
 * blocked after one until an IRET, SDM Vol. 3A 6.7.1; MOV SS holds one
 * back, 6.8.3). An interrupt is held by us until a window, as from the
 * start (kvm_irq.c).
 *
 * At the stub: the stub's HLT exit has RIP after it (KVM's userspace HLT
 * exit skips the HLT, leaving the vCPU runnable), the event is pending,
 * and the run goes on. Taken, it is delivered right there: its stub's HLT
 * exit then reads a frame whose RIP is the first stub's HLT + 1. Held, the
 * vCPU runs the next byte, the adjacent stub's HLT, and exits again with
 * the first frame untouched: then nothing happened that a guest could
 * see, the case ends with the first exception and the state kept from it.
 */
#include <errno.h>
#include <sys/ioctl.h>
#include "kvm_internal.h"

int kvm_events_pend(struct kvm_ctx *k, int in_handler)
{
	for (unsigned i = 0; i < CASE_EVENTS_MAX; i++) {
		struct case_event *e = &k->later[i];
		if (!e->kind || (in_handler ? !e->in_handler : !e->after))
			continue;
		if (e->kind == CASE_EVENT_INTR) {
			k->intr_vector = e->vector;
			k->vcpu.run->request_interrupt_window = 1;
		} else if (ioctl(k->vcpu.fd, KVM_NMI, 0) < 0) {
			k->fail_op = "KVM_NMI";
			k->fail_errno = errno;
			return -1;
		}
		e->kind = CASE_EVENT_NONE;
	}
	return 0;
}

static int have_handler_events(const struct kvm_ctx *k)
{
	for (unsigned i = 0; i < CASE_EVENTS_MAX; i++)
		if (k->later[i].kind && k->later[i].in_handler)
			return 1;
	return 0;
}

int kvm_events_at_stub(struct kvm_ctx *k, struct outcome *out, const struct exit_event *e,
		       int stub)
{
	if (k->halt_watch) {
		k->halt_watch = 0;
		if (!stub || e->rip != k->halt_rip) {
			/* Held: the vCPU ran on into the next stub's HLT. */
			out->state = k->halt_state;
			return KVM_STOP;
		}
	}
	outcome_push(out, e);
	if (!stub || k->mode != MODE_LONG64 || !have_handler_events(k) ||
	    out->n_events >= TRACE_MAX)
		return KVM_STOP;
	k->halt_watch = 1;
	k->halt_rip = kvm_regs_of(k)->rip;
	k->halt_state = out->state;
	if (kvm_events_pend(k, 1) < 0)
		return KVM_FAILED;
	return KVM_GO_ON;
}
