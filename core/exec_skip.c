/* Cases an executor in KVM's place is not given, known from the
 * reference's outcome (executor.h exec_skip_reason, exec_run_after). */
#include <stdio.h>
#include "diff.h"
#include "executor.h"
#include "layout.h"
#include "mode.h"

/* The reference (and KVM, whose memslot there is read-only) takes a write
 * below LAYOUT_RW_BASE for an MMIO write that changes nothing: the GDT,
 * IDT, stubs and page tables stay as layout_build made them. A VMM seen
 * from inside its guest (no_trace) has its runtime's live tables there:
 * the write lands, the case reads back what it wrote (the reference reads
 * the table), an exception frame pushed there is kept, and a GDT entry
 * overwritten (CS at 0x1028) hangs the runtime at its next far return, a
 * 5 s wait. Nothing after such a write is the instruction's doing. */
static int writes_system_part(const struct outcome *ref)
{
	for (uint32_t i = 0; i < ref->n_events && i < TRACE_MAX; i++) {
		const struct exit_event *e = &ref->events[i];
		if (e->kind == EXIT_MMIO && e->dir == DIR_OUT && e->addr < LAYOUT_RW_BASE)
			return 1;
	}
	return 0;
}

/* The same write by a VMM's runtime: it ends a HLT with an NMI, whose
 * 12-byte frame goes on the case's own stack in 32-bit legacy modes at
 * CPL0; a case that halts with ESP at most 12 bytes above the system part
 * has its GDT or IDT overwritten at its end (ESP 0x1020 hung the runtime,
 * 20 times in a 10-minute campaign). An exception's frame needs no such
 * rule: the reference pushes it itself, and its trace has the writes. */
static int halts_over_system_part(const struct test_case *c, const struct outcome *ref)
{
	const struct exit_event *t = outcome_terminal(ref);
	uint32_t esp = (uint32_t)ref->state.gpr[RSP];
	return t && t->kind == EXIT_HLT && mode_frames_on_case_stack(c) && esp >= 12 &&
	       esp - 12 < LAYOUT_RW_BASE;
}

const char *exec_skip_reason(const struct executor *hv, const struct test_case *c,
			     const struct outcome *ref)
{
	if (!hv->ops->no_trace)
		return NULL;
	if (writes_system_part(ref) || halts_over_system_part(c, ref))
		return "vmm:system-write";
	/* A reference that spent its step budget, or whose trace filled up
	 * where the VMM keeps none, makes any end of the VMM agree or not
	 * compare (core/diff.c): its run can decide nothing. And it is the
	 * dearest a VMM gets: 4096 steps of zeroes, or a loop of MMIO
	 * accesses, each of which costs TCG under -icount about half a
	 * millisecond (it translates the block again with the access last),
	 * so 64 of them and more ran into the 5 s wait (vmm:hung, 29 in a
	 * 10-minute campaign), and a runaway real16 case overwrote the
	 * mailbox (vmm:protocol, 28). */
	if (outcome_step_budget_spent(ref))
		return "step-budget";
	/* Never compared (the diff names the reference's own reason); a
	 * jump the reference could not follow, to 0x3000000 past its RAM,
	 * ran on through the VMM's 64 MiB into the 5 s wait. */
	const struct exit_event *t = outcome_terminal(ref);
	if (t && t->kind == EXIT_UNSUPPORTED)
		return "ref-unsupported";
	if (outcome_trace_full(ref))
		return "trace-full";
	return NULL;
}

void exec_not_run(struct outcome *out, const struct test_case *c, const char *why)
{
	struct exit_event e = { .kind = EXIT_UNSUPPORTED, .rip = LAYOUT_CODE };
	outcome_init(out);
	/* Nothing ran: the window as the case starts it (outcome_init leaves
	 * the memory as it was, and `run` shows it). */
	layout_case_window(out->mem, c->code, c->code_len, c->data, c->data_len);
	out->state.rip = LAYOUT_CODE;
	outcome_push(out, &e);
	snprintf(out->mnemonic, sizeof(out->mnemonic), "%s", why);
}

int exec_run_after(struct executor *hv, const struct test_case *c, const struct outcome *ref,
		   struct outcome *out)
{
	const char *why = ref ? exec_skip_reason(hv, c, ref) : NULL;
	if (!why)
		return hv->ops->run(hv, c, out);
	exec_not_run(out, c, why);
	return 0;
}
