/* The case's external interrupt (event intr V): pending from the start,
 * recognised at an instruction boundary where IF = 1 and no interrupt
 * shadow holds it (SDM Vol. 3A 6.8.1; the shadow of an STI that set IF,
 * or of MOV SS / POP SS, covers the one instruction after it: 6.8.3), or
 * by a HLT with IF = 1, which it wakes (Vol. 2A HLT: the saved RIP is the
 * instruction after the HLT). Either way the VMM learns there that it may
 * inject (the irq_window event, docs/formats.md "Events"), then the vector
 * is delivered through the IDT like any external event: RIP the next
 * instruction to run, RF as it was, no error code (Vol. 3A 6.12.1). */
#include "ref_internal.h"

int ref_intr_ready(const struct ref_cpu *cpu)
{
	return cpu->intr_vector >= 0 && (cpu->rflags & RFLAGS_IF) && !cpu->irq_shadow;
}

int ref_intr_wakes_hlt(const struct ref_cpu *cpu)
{
	return cpu->intr_vector >= 0 && (cpu->rflags & RFLAGS_IF);
}

enum ref_status ref_intr_take(struct ref_cpu *cpu)
{
	struct case_event e = { .kind = CASE_EVENT_INTR, .vector = (uint8_t)cpu->intr_vector };
	/* Named by the interrupt, like its delivery: a signature then says
	 * "(intr)" wherever the window is what differs. */
	struct exit_event w = { .kind = EXIT_IRQ_WINDOW, .rip = cpu->rip, .by = "(intr)" };
	cpu->intr_vector = -1;
	if (!outcome_push(cpu->out, &w))
		return REF_STOP;
	return ref_deliver_event(cpu, &e);
}
