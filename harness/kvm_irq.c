/*
 * The case's external interrupt (event intr V), delivered as a VMM without
 * an in-kernel interrupt controller delivers one (Documentation/virt/kvm/
 * api.rst: KVM_INTERRUPT, request_interrupt_window, if_flag,
 * ready_for_interrupt_injection). The vector stays with us, not with KVM,
 * until the guest can take it: the run asks for an interrupt window, and
 * KVM_EXIT_IRQ_WINDOW_OPEN says IF = 1 with no STI or MOV SS shadow. A HLT
 * exit with IF = 1 is the other moment a VMM injects (the halted vCPU
 * wakes for the interrupt). Either is an irq_window event at the RIP the
 * interrupt comes before; then KVM_INTERRUPT, and the run goes on to the
 * delivery through the IDT (the vector's stub ends the case). An interrupt
 * the guest never opens a window for is still pending at the end: the
 * trace has no irq_window event.
 */
#include <errno.h>
#include <sys/ioctl.h>
#include "kvm_internal.h"

void kvm_irq_arm(struct kvm_ctx *k, const struct test_case *c)
{
	/* Only an interrupt pending from the start; a later one waits in
	 * k->later (kvm_events.c). */
	k->intr_vector = -1;
	for (unsigned i = 0; i < CASE_EVENTS_MAX; i++) {
		const struct case_event *e = &c->event[i];
		if (e->kind == CASE_EVENT_INTR && case_event_at_start(e))
			k->intr_vector = e->vector;
		k->later[i] = case_event_at_start(e) ? (struct case_event){ 0 } : *e;
	}
	k->halt_watch = 0;
	k->vcpu.run->request_interrupt_window = k->intr_vector >= 0;
}

/* Records the window at the current RIP and hands the vector to KVM. */
static int kvm_irq_inject(struct kvm_ctx *k, struct outcome *out)
{
	struct kvm_run *run = k->vcpu.run;
	struct exit_event e = { .kind = EXIT_IRQ_WINDOW, .rip = kvm_regs_of(k)->rip };
	if (k->mode != MODE_LONG64)
		e.rip &= mode_reg_mask((enum cpu_mode)k->mode);
	if (!outcome_push(out, &e))
		return KVM_STOP;
	struct kvm_interrupt irq = { .irq = (uint32_t)k->intr_vector };
	run->request_interrupt_window = 0;
	k->intr_vector = -1;
	if (ioctl(k->vcpu.fd, KVM_INTERRUPT, &irq) < 0) {
		k->fail_op = "KVM_INTERRUPT";
		k->fail_errno = errno;
		return KVM_FAILED;
	}
	return KVM_GO_ON;
}

int kvm_on_irq_window(struct kvm_ctx *k, struct outcome *out)
{
	/* Asked for by nobody: an exit no case explains, kept verbatim. */
	if (k->intr_vector < 0)
		return KVM_UNEXPECTED;
	k->irq_window_exits++;
	return kvm_irq_inject(k, out);
}

int kvm_irq_wakes(const struct kvm_ctx *k)
{
	return k->intr_vector >= 0 && k->vcpu.run->if_flag;
}

int kvm_irq_wake(struct kvm_ctx *k, struct outcome *out)
{
	k->irq_hlt_wakes++;
	return kvm_irq_inject(k, out);
}
