/* Exceptions and exit events.
 *
 * Our guest's IDT sends every vector through IST1 to a one-HLT stub, so an
 * exception simply ends the case. The KVM executor reads the frame the CPU
 * pushed and reports RIP, RFLAGS and RSP from it; the reference reports the
 * same values directly:
 *   - faults push the address of the faulting instruction, and the saved
 *     RFLAGS image has RF set (SDM Vol. 3A 17.3.1.1: "the processor sets
 *     the RF flag in the EFLAGS image ... for all fault-class exceptions
 *     except instruction breakpoints"; KVM does the same when it injects a
 *     fault: inject_pending_event() sets X86_EFLAGS_RF for EXCPT_FAULT);
 *   - traps (INT3, INT n) push the address of the next instruction and
 *     leave RF as it was (SDM Vol. 3A 6.5).
 * The registers are those at the point of the exception: handlers check
 * every fault before they commit any result. */
#include "ref_internal.h"

/* Names the instruction behind an event (exit_event.by). */
static void stamp(const struct ref_cpu *cpu, struct exit_event *e)
{
	if (!cpu->insn)
		return;
	const char *m = cpu->insn->mnemonic;
	size_t i = 0;
	for (; m[i] && i < sizeof(e->by) - 1; i++)
		e->by[i] = m[i] == ' ' ? '_' : m[i];
	e->by[i] = 0;
}

static enum ref_status deliver(struct ref_cpu *cpu, unsigned vector,
			       int has_error_code, uint32_t error_code, int trap)
{
	struct exit_event e = {
		.kind = EXIT_EXCEPTION,
		.addr = vector,
		.has_error_code = has_error_code ? 1 : 0,
		.error_code = has_error_code ? error_code : 0,
		.rip = trap ? cpu->next_rip : cpu->rip,
		.cr2 = vector == 14 ? cpu->cr2 : 0,
	};
	cpu->rip = e.rip;
	if (!trap)
		cpu->rflags |= RFLAGS_RF;
	stamp(cpu, &e);
	outcome_push(cpu->out, &e);
	return REF_STOP;
}

enum ref_status ref_raise(struct ref_cpu *cpu, unsigned vector,
			  int has_error_code, uint32_t error_code)
{
	/* #BP and #OF are the trap-class exceptions (SDM Vol. 3A 6.15,
	 * table 6-1); every other vector raised here is a fault. */
	int trap = vector == 3 || vector == 4;
	return deliver(cpu, vector, has_error_code, error_code, trap);
}

enum ref_status ref_raise_trap(struct ref_cpu *cpu, unsigned vector)
{
	/* A software interrupt never pushes an error code, even to a vector
	 * that has one for hardware exceptions (SDM Vol. 3A 6.12.1). */
	return deliver(cpu, vector, 0, 0, 1);
}

enum ref_status ref_raise_pf(struct ref_cpu *cpu, uint64_t la, uint32_t pfec)
{
	cpu->cr2 = la;
	return deliver(cpu, 14, 1, pfec, 0);
}

enum ref_status ref_terminal(struct ref_cpu *cpu, enum exit_kind kind,
			     uint64_t addr, uint64_t rip)
{
	struct exit_event e = { .kind = (uint8_t)kind, .addr = addr, .rip = rip };
	stamp(cpu, &e);
	outcome_push(cpu->out, &e);
	return REF_STOP;
}

int ref_event(struct ref_cpu *cpu, const struct exit_event *e)
{
	struct exit_event named = *e;
	stamp(cpu, &named);
	return outcome_push(cpu->out, &named) ? 0 : -1;
}
