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
 * every fault before they commit any result.
 *
 * Outside 64-bit mode the exception is delivered the architectural way
 * (deliver_arch): the frame goes onto the case's stack through the IVT
 * (real mode, SDM Vol. 3B 20.1.4) or an IDT32 gate (SDM Vol. 3A 6.12.1),
 * CS:EIP is loaded from it, and execution goes on at the stub, whose HLT
 * ends the case; the run loop then reads the frame back with
 * mode_stub_exception(), exactly like the KVM executor. A fault while the
 * frame is pushed combines with the one being delivered (SDM Vol. 3A 6.15,
 * table 6-5): #DF, and a fault while delivering #DF is a shutdown. */
#include <stdio.h>
#include <string.h>
#include "ref_internal.h"
#include "ref_vendor.h"

/* Names the instruction behind an event (exit_event.by). */
static void stamp(const struct ref_cpu *cpu, struct exit_event *e)
{
	/* Bytes that did not decode have no insn: the run loop named them
	 * ("(bad)", "(limit)") in the outcome first. */
	const char *m = cpu->insn ? cpu->insn->mnemonic : cpu->out->mnemonic;
	size_t i = 0;
	for (; m[i] && i < sizeof(e->by) - 1; i++)
		e->by[i] = m[i] == ' ' ? '_' : m[i];
	e->by[i] = 0;
}

/* Classes of SDM Vol. 3A table 6-4: 0 benign, 1 contributory, 2 #PF. */
static int exc_class(unsigned v)
{
	if (v == 0 || (v >= 10 && v <= 13))
		return 1;
	return v == 14 ? 2 : 0;
}

static int arch_push(struct ref_cpu *cpu, uint64_t v, unsigned size)
{
	return ref_push(cpu, v, size);
}

/* Real mode: the IVT entry, then FLAGS, CS, IP (16 bits each) on SS:SP;
 * IF, TF and AC cleared (SDM Vol. 3B 20.1.4; KVM __emulate_int_real). No
 * error code is ever pushed in real mode. */
static int deliver_real(struct ref_cpu *cpu, unsigned vector, uint64_t ret_ip)
{
	uint64_t ent;
	if (4 * vector + 3 > cpu->idtr_limit) {
		ref_raise(cpu, 13, 1, vector * 8 + 2);
		return -1;
	}
	if (ref_mem_sys_read(cpu, cpu->idtr_base + 4 * vector, 4, &ent) < 0)
		return -1;
	if (arch_push(cpu, cpu->rflags & 0xffff, 2) < 0 ||
	    arch_push(cpu, cpu->seg[SEG_CS].sel, 2) < 0 ||
	    arch_push(cpu, ret_ip & 0xffff, 2) < 0)
		return -1;
	struct seg_desc cs;
	ref_seg_check_cs(cpu, (uint16_t)(ent >> 16), cpu->cpl, &cs);
	ref_seg_commit_cs(cpu, &cs);
	cpu->rip = cpu->next_rip = ent & 0xffff;
	cpu->rflags &= ~(uint64_t)(RFLAGS_IF | RFLAGS_TF | (1u << 18));
	return 0;
}

/* Protected mode through an interrupt or trap gate of the IDT, to the
 * same privilege level only (SDM Vol. 3A 6.12.1): [error code], EIP, CS,
 * EFLAGS on the current stack, the gate's size (16/32). Then TF, NT, RF,
 * VM cleared, IF too for an interrupt gate. 1 when not modeled. */
static int deliver_prot(struct ref_cpu *cpu, unsigned vector, int soft, int has_error_code,
			uint32_t error_code, uint64_t ret_ip, uint64_t flags_image)
{
	uint64_t gate;
	uint32_t gate_err = vector * 8 + 2;
	if (8 * vector + 7 > cpu->idtr_limit) {
		ref_raise(cpu, 13, 1, gate_err);
		return -1;
	}
	if (ref_mem_sys_read(cpu, cpu->idtr_base + 8 * vector, 8, &gate) < 0)
		return -1;
	unsigned type = (gate >> 40) & 0xf, dpl = (gate >> 45) & 3;
	if (type != 0x6 && type != 0x7 && type != 0xe && type != 0xf) {
		if (type == 0x5)
			return 1; /* task gate */
		ref_raise(cpu, 13, 1, gate_err);
		return -1;
	}
	/* INT n, INT3, INTO check the gate's DPL (SDM Vol. 3A 6.12.1.1). */
	if (soft && cpu->cpl > dpl) {
		ref_raise(cpu, 13, 1, gate_err);
		return -1;
	}
	if (!((gate >> 47) & 1)) {
		ref_raise(cpu, 11, 1, gate_err);
		return -1;
	}
	struct seg_desc cs;
	int r = ref_seg_check_cs(cpu, (uint16_t)(gate >> 16), cpu->cpl, &cs);
	if (r)
		return r;
	unsigned sz = (type & 8) ? 4 : 2;
	if (arch_push(cpu, flags_image, sz) < 0 ||
	    arch_push(cpu, cpu->seg[SEG_CS].sel, sz) < 0 ||
	    arch_push(cpu, ret_ip, sz) < 0 ||
	    (has_error_code && arch_push(cpu, error_code, sz) < 0))
		return -1;
	ref_seg_commit_cs(cpu, &cs);
	uint64_t off = (gate & 0xffff) | ((gate >> 32) & 0xffff0000u);
	if (sz == 2)
		off &= 0xffff;
	cpu->rip = cpu->next_rip = off;
	cpu->rflags &= ~(uint64_t)(RFLAGS_TF | (1u << 14) | RFLAGS_RF | (1u << 17));
	if (!(type & 1))
		cpu->rflags &= ~(uint64_t)RFLAGS_IF;
	return 0;
}

/* The frame puts FLAGS into memory: undefined status flags there are
 * masked (outcome.undefined_mem), or make the case not comparable when
 * the slot is MMIO. */
static int saved_undefined_in_frame(struct ref_cpu *cpu)
{
	if (!(cpu->undefined_flags & RFLAGS_STATUS))
		return 0;
	/* The FLAGS slot is the first one pushed: 2 bytes below SP in real
	 * mode, 4 below ESP through a 32-bit gate (a 16-bit gate is rare
	 * enough to be judged by the same address). */
	uint64_t m = ref_stack_mask(cpu);
	unsigned sz = cpu->mode == MODE_REAL16 ? 2 : 4;
	uint64_t la = (cpu->seg[SEG_SS].base + ((cpu->gpr[RSP] - sz) & m)) & 0xffffffffu;
	if (ref_v86(cpu))
		la = ref_v86_flags_slot(cpu); /* on the level-0 stack */
	if (ref_note_undefined_store(cpu, la, sz, cpu->undefined_flags & RFLAGS_STATUS) == 0)
		return 0;
	snprintf(cpu->out->mnemonic, sizeof(cpu->out->mnemonic), "undef-flags:frame");
	return 1;
}

static enum ref_status deliver_arch(struct ref_cpu *cpu, unsigned vector, int soft,
				    int has_error_code, uint32_t error_code, int trap)
{
	if (cpu->delivering >= 0) {
		unsigned first = (unsigned)cpu->delivering;
		/* The frame half pushed is abandoned: the second delivery
		 * starts from the stack pointer the first one started from. */
		cpu->gpr[RSP] = cpu->deliver_rsp;
		if (first == 8)
			return ref_terminal(cpu, EXIT_SHUTDOWN, 0, cpu->rip);
		int c1 = exc_class(first), c2 = exc_class(vector);
		if ((c1 == 1 && c2 == 1) || (c1 == 2 && c2 != 0)) {
			vector = 8;
			has_error_code = 1;
			error_code = 0;
			trap = 0;
			soft = 0;
		}
	}
	/* Only hardware exceptions with an error code push one (SDM Vol. 3A
	 * 6.13); INT n never does. In real mode nothing does. */
	has_error_code = has_error_code && !soft && VECTOR_HAS_ERROR_CODE(vector);
	if (saved_undefined_in_frame(cpu))
		return ref_terminal(cpu, EXIT_UNSUPPORTED, 0, cpu->rip);
	uint64_t ret_ip = trap ? cpu->next_rip : cpu->rip;
	/* The EFLAGS image of a fault has RF set (SDM Vol. 3A 17.3.1.1). */
	uint64_t image = cpu->rflags | (trap ? 0 : RFLAGS_RF);
	int16_t saved = cpu->delivering;
	if (saved < 0) {
		struct exit_event named = { 0 };
		stamp(cpu, &named);
		memcpy(cpu->raised_by, named.by, sizeof(cpu->raised_by));
		cpu->deliver_rsp = cpu->gpr[RSP];
	}
	cpu->delivering = (int16_t)vector;
	int r = ref_v86(cpu)
		? ref_v86_deliver(cpu, vector, soft, has_error_code, error_code, ret_ip, image)
		: cpu->mode == MODE_REAL16
		? deliver_real(cpu, vector, ret_ip)
		: deliver_prot(cpu, vector, soft, has_error_code, error_code, ret_ip, image);
	cpu->delivering = saved;
	if (r > 0)
		return ref_terminal(cpu, EXIT_UNSUPPORTED, 0, cpu->rip);
	if (r == 0)
		cpu->resume = 1;
	return REF_STOP;
}

static enum ref_status deliver(struct ref_cpu *cpu, unsigned vector,
			       int has_error_code, uint32_t error_code, int trap)
{
	/* A software interrupt single-stepped traps again once it has
	 * reached its handler (SDM Vol. 3B 18.3.1.4: "to single step an
	 * interrupt handler, single step an INT n"): a #DB at the handler's
	 * first instruction, on top of the interrupt's frame. Not modeled. */
	if (trap && cpu->single_step) {
		snprintf(cpu->out->mnemonic, sizeof(cpu->out->mnemonic), "tf:int%u", vector);
		return ref_terminal(cpu, EXIT_UNSUPPORTED, 0, cpu->rip);
	}
	/* Traps here are all software interrupts (INT n, INT3, INTO): they
	 * check the gate DPL and never push an error code. */
	if (!ref_lma(cpu))
		return deliver_arch(cpu, vector, trap, has_error_code, error_code, trap);
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

enum ref_status ref_raise_single_step(struct ref_cpu *cpu)
{
	/* SDM Vol. 3B 18.3.1.4: trap class; DR6.BS is set (DR6 is not part
	 * of the compared state). Outside long mode it is delivered through
	 * the IDT/IVT like a fault but with the next RIP and no RF, except
	 * after an element of a REP string instruction with more to go
	 * (next_rip is then the instruction itself: ref_vendor.c). */
	int rep_rf = cpu->next_rip == cpu->rip && ref_quirk(cpu, QUIRK_REP_TRAP_PUSHES_RF);
	if (rep_rf)
		cpu->rflags |= RFLAGS_RF;
	if (!ref_lma(cpu))
		return deliver_arch(cpu, 1, 0, 0, 0, 1);
	return deliver(cpu, 1, 0, 0, 1);
}

enum ref_status ref_deliver_event(struct ref_cpu *cpu, const struct case_event *e)
{
	unsigned vector = e->kind == CASE_EVENT_NMI ? 2 : e->vector;
	if (e->kind == CASE_EVENT_NMI)
		cpu->nmi_blocked = 1; /* until an IRET (SDM Vol. 3A 6.7.1) */
	snprintf(cpu->out->mnemonic, sizeof(cpu->out->mnemonic), "(%s)",
		 case_event_kind_name(e->kind));
	if (!ref_lma(cpu)) {
		cpu->next_rip = cpu->rip;
		return deliver_arch(cpu, vector, 0, e->has_error, e->error, 1);
	}
	struct exit_event x = { .kind = EXIT_EXCEPTION, .addr = vector, .rip = cpu->rip,
				.has_error_code = e->has_error, .error_code = e->error,
				.cr2 = vector == 14 ? cpu->cr2 : 0 };
	const cs_insn *saved = cpu->insn;
	cpu->insn = NULL; /* named by the event, not by an instruction */
	stamp(cpu, &x);
	cpu->insn = saved;
	outcome_push(cpu->out, &x);
	return REF_STOP;
}

enum ref_status ref_raise_code_breakpoint(struct ref_cpu *cpu)
{
	/* A fault, but the one fault whose frame keeps RF as it was (0):
	 * the handler sets it to return (SDM Vol. 3B 18.3.1.1). */
	if (!ref_lma(cpu)) {
		/* As a trap whose "next" RIP is the instruction itself: the
		 * frame gets this RIP and no RF. */
		cpu->next_rip = cpu->rip;
		return deliver_arch(cpu, 1, 0, 0, 0, 1);
	}
	struct exit_event e = { .kind = EXIT_EXCEPTION, .addr = 1, .rip = cpu->rip };
	stamp(cpu, &e);
	outcome_push(cpu->out, &e);
	return REF_STOP;
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
