/* Events the hypervisor makes pending while the vCPU halts in an exception
 * handler (event ... at=handler, docs/formats.md "Events"). In long mode
 * the reference stops at a delivery instead of pushing the frame; the
 * environment's handler is one HLT at LAYOUT_STUBS + vector, entered
 * through an IST1 interrupt gate, so the state in it follows from the
 * delivery alone (SDM Vol. 3A 6.14.2-6.14.5):
 *   RIP   the stub's HLT retired: LAYOUT_STUBS + vector + 1 (Vol. 2A HLT:
 *         an event that wakes it saves the next instruction);
 *   CS    the gate's selector, SEL_CODE64;
 *   RSP   IST1's top (already 16-byte aligned) minus the frame: SS, RSP,
 *         RFLAGS, CS, RIP, and the error code when one was pushed;
 *   SS    kept at the same privilege; the NULL selector when the delivery
 *         came from CPL3 (6.14.4: a CPL change loads SS with NULL);
 *   RFLAGS TF, NT, RF (and VM) cleared, IF too through an interrupt gate
 *         (6.12.1.3; every gate of layout.c is type 0xE).
 * Made pending there: an NMI is taken unless an NMI was already delivered
 * in this case (NMIs stay blocked until an IRET, which no stub runs: 6.7.1);
 * an external interrupt is held (IF = 0). The NMI's delivery is then the
 * trace's last event, its frame (the state above) the end state. */
#include <string.h>
#include "layout.h"
#include "ref_internal.h"

#define IRET_FRAME_BYTES 40u /* SS, RSP, RFLAGS, CS, RIP: 8 bytes each */

static void enter_stub(struct ref_cpu *cpu, const struct exit_event *x)
{
	cpu->rip = LAYOUT_STUBS + x->addr + 1;
	cpu->gpr[RSP] = LAYOUT_IST_TOP - IRET_FRAME_BYTES - (x->has_error_code ? 8u : 0u);
	if (cpu->cpl)
		cpu->seg[SEG_SS].sel = 0;
	cpu->seg[SEG_CS].sel = SEL_CODE64;
	cpu->cpl = 0;
	cpu->rflags &= ~(uint64_t)(RFLAGS_TF | RFLAGS_IF | RFLAGS_RF | (1u << 14) | (1u << 17));
}

void ref_events_in_handler(struct ref_cpu *cpu, const struct test_case *c)
{
	const struct exit_event *x = outcome_terminal(cpu->out);
	int want_nmi = 0;
	if (!x || x->kind != EXIT_EXCEPTION || x->addr > 255)
		return;
	for (unsigned i = 0; i < CASE_EVENTS_MAX; i++)
		if (c->event[i].kind == CASE_EVENT_NMI && c->event[i].in_handler)
			want_nmi = 1;
	if (!want_nmi || cpu->nmi_blocked)
		return;
	struct exit_event stub = *x;
	enter_stub(cpu, &stub);
	struct case_event nmi = { .kind = CASE_EVENT_NMI };
	cpu->nmi_blocked = 1;
	ref_deliver_event(cpu, &nmi);
}
