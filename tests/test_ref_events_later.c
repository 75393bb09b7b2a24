/* Events made pending after instruction N or while the vCPU halts in an
 * exception handler (case_event.h, docs/formats.md "Events"), on the
 * reference. The expectations come from the SDM, not from the code:
 *   - an NMI made pending at a boundary is delivered there, RIP on the
 *     next instruction (Vol. 3A 6.7), unless a MOV SS just ran: its
 *     shadow holds it one instruction more (6.8.3);
 *   - an external interrupt waits for IF = 1 outside a shadow (6.8.1);
 *     an NMI and an interrupt pending at one boundary: the NMI first
 *     (6.9, table 6-2), and its interrupt gate clears IF (6.12.1.3);
 *   - in a handler (the stub's HLT retired, Vol. 2A HLT): an NMI is not
 *     masked by IF; after an NMI further NMIs are blocked until IRET
 *     (6.7.1); the handler runs on IST1 (6.14.5) with the frame SS, RSP,
 *     RFLAGS, CS, RIP [, error code] below its top, at CPL0 with SS NULL
 *     when the delivery changed CPL (6.14.4), RFLAGS with TF, RF, IF
 *     cleared. */
#include "outcome_check.h"

static struct executor ex;
static struct test_case tc;
static struct outcome o;

static const struct case_event nmi = { .kind = CASE_EVENT_NMI };
static const struct case_event nmi_in_handler = { .kind = CASE_EVENT_NMI, .in_handler = 1 };

static void with(uint32_t knobs, struct case_event a, struct case_event b)
{
	oc_start(&tc, MODE_LONG64, knobs);
	tc.event[0] = a;
	tc.event[1] = b;
	const char *why = case_events_invalid(tc.event, (knobs & KNOB_CPL3) != 0);
	CHECK(!why, "the test's events are valid (%s)", why ? why : "");
}

static struct case_event after(struct case_event e, unsigned n)
{
	e.after = (uint16_t)n;
	return e;
}

static struct case_event intr(unsigned v)
{
	return (struct case_event){ .kind = CASE_EVENT_INTR, .vector = (uint8_t)v };
}

/* Event i of the trace: kind, vector (exceptions), rip. */
static void want_event(unsigned i, unsigned kind, unsigned vector, uint64_t rip)
{
	CHECK(i < o.n_events, "event %u exists (%u events)", i, o.n_events);
	if (i >= o.n_events)
		return;
	CHECK_EQ_U64(o.events[i].kind, kind, "event kind");
	if (kind == EXIT_EXCEPTION)
		CHECK_EQ_U64(o.events[i].addr, vector, "event vector");
	CHECK_EQ_U64(o.events[i].rip, rip, "event rip");
}

int main(void)
{
	if (oc_open_ref(&ex) < 0)
		return 1;
	const struct case_event none = { 0 };
	const uint64_t stubs = LAYOUT_STUBS, code = LAYOUT_CODE;

	/* inc eax x3; hlt: after two INCs, RIP on the third. */
	with(0, after(nmi, 2), none);
	oc_run_code(&ex, &tc, &o, "nmi after=2", B(0xff, 0xc0, 0xff, 0xc0, 0xff, 0xc0, 0xf4));
	CHECK_EQ_U64(o.n_events, 1, "nmi after=2: one event");
	oc_want_exc(&o, 2, 0, 0, code + 4);
	CHECK_EQ_U64(o.state.gpr[RAX], 2, "nmi after=2: two instructions ran");

	/* mov eax, ss; mov ss, eax; inc eax; inc eax; hlt: pending after the
	 * MOV SS, taken after the INC in its shadow. */
	with(0, after(nmi, 2), none);
	oc_run_code(&ex, &tc, &o, "nmi after a mov ss",
		    B(0x8c, 0xd0, 0x8e, 0xd0, 0xff, 0xc0, 0xff, 0xc0, 0xf4));
	oc_want_exc(&o, 2, 0, 0, code + 6);
	CHECK_EQ_U64(o.state.gpr[RAX], 0x11, "mov ss shadow: one more instruction ran");

	/* An NMI point the case never reaches: never pending. */
	with(0, after(nmi, 5), none);
	oc_run_code(&ex, &tc, &o, "nmi after the end", B(0xff, 0xc0, 0xf4));
	oc_want_hlt(&o, code + 3);
	CHECK_EQ_U64(o.n_events, 1, "nmi after the end: the HLT only");

	/* sti; nop; cli; nop; sti; nop; nop; hlt, the interrupt pending
	 * after the CLI: held at IF = 0, then one instruction in the STI's
	 * shadow, then the window before the second NOP. */
	with(0, after(intr(48), 3), none);
	oc_run_code(&ex, &tc, &o, "intr after=3, a cli",
		    B(0xfb, 0x90, 0xfa, 0x90, 0xfb, 0x90, 0x90, 0xf4));
	CHECK_EQ_U64(o.n_events, 2, "intr after a cli: window and delivery");
	want_event(0, EXIT_IRQ_WINDOW, 0, code + 6);
	oc_want_exc(&o, 48, 0, 0, code + 6);

	/* sti; nop; nop; hlt, both pending after 2 with IF = 1: the NMI goes
	 * first, its gate clears IF, the interrupt stays pending. */
	with(0, after(intr(48), 2), after(nmi, 2));
	oc_run_code(&ex, &tc, &o, "intr and nmi at one point", B(0xfb, 0x90, 0x90, 0xf4));
	CHECK_EQ_U64(o.n_events, 1, "nmi first, no window in its handler");
	oc_want_exc(&o, 2, 0, 0, code + 2);

	/* sti; hlt: the interrupt wakes the HLT; the NMI made pending in its
	 * handler is delivered there: RIP after the stub's HLT, IST1 frame. */
	with(0, intr(48), nmi_in_handler);
	oc_run_code(&ex, &tc, &o, "nmi in an interrupt handler", B(0xfb, 0xf4, 0xf4));
	CHECK_EQ_U64(o.n_events, 3, "window, interrupt, nmi");
	want_event(0, EXIT_IRQ_WINDOW, 0, code + 2);
	want_event(1, EXIT_EXCEPTION, 48, code + 2);
	oc_want_exc(&o, 2, 0, 0, stubs + 48 + 1);
	CHECK_EQ_U64(o.state.rip, stubs + 48 + 1, "in the handler: rip after its HLT");
	CHECK_EQ_U64(o.state.gpr[RSP], LAYOUT_IST_TOP - 40, "in the handler: rsp below the frame");
	CHECK_EQ_U64(o.state.rflags, 0x2, "in the handler: IF cleared by the gate");
	CHECK_EQ_U64(o.state.cs, SEL_CODE64, "in the handler: the gate's CS");
	CHECK_EQ_U64(o.state.ss, SEL_DATA, "in the handler: SS kept (no CPL change)");

	/* A second NMI in the first one's handler: blocked until IRET. */
	with(0, nmi, nmi_in_handler);
	oc_run_code(&ex, &tc, &o, "nmi in an nmi handler", B(0xff, 0xc0, 0xf4));
	CHECK_EQ_U64(o.n_events, 1, "nmi in nmi handler: held");
	oc_want_exc(&o, 2, 0, 0, code);

	/* An interrupt in the NMI's handler: IF = 0 there, held. */
	with(0, nmi, (struct case_event){ .kind = CASE_EVENT_INTR, .vector = 48, .in_handler = 1 });
	oc_run_code(&ex, &tc, &o, "intr in an nmi handler", B(0xfb, 0x90, 0xf4));
	CHECK_EQ_U64(o.n_events, 1, "intr in nmi handler: held, no window");
	oc_want_exc(&o, 2, 0, 0, code);
	CHECK_EQ_U64(o.state.rip, code, "held: the state is the NMI frame's");

	/* CPL3: HLT is privileged, #GP(0) with an error code; the NMI in its
	 * handler finds the frame 48 bytes deep and SS NULL (CPL changed). */
	with(KNOB_CPL3, nmi_in_handler, none);
	oc_run_code(&ex, &tc, &o, "cpl3: nmi in a #GP handler", B(0x90, 0xf4));
	CHECK_EQ_U64(o.n_events, 2, "#GP then nmi");
	want_event(0, EXIT_EXCEPTION, 13, code + 1);
	oc_want_exc(&o, 2, 0, 0, stubs + 13 + 1);
	CHECK_EQ_U64(o.state.gpr[RSP], LAYOUT_IST_TOP - 48, "rsp below a frame with error code");
	CHECK_EQ_U64(o.state.ss, 0, "SS NULL after a CPL change");
	CHECK_EQ_U64(o.state.cs, SEL_CODE64, "CPL0 code");

	/* Not modeled: an NMI made pending inside an STI shadow, and TF. */
	with(0, after(nmi, 1), none);
	oc_run_code(&ex, &tc, &o, "nmi after an sti", B(0xfb, 0x90, 0xf4));
	CHECK(oc_term(&o)->kind == EXIT_UNSUPPORTED && !strcmp(o.mnemonic, "event:nmi-sti-shadow"),
	      "nmi pending in an STI shadow: unsupported (%s)", o.mnemonic);
	with(0, after(nmi, 1), none);
	tc.rflags |= RFLAGS_TF;
	oc_run_code(&ex, &tc, &o, "nmi after=1 with TF", B(0x90, 0x90, 0xf4));
	CHECK(oc_term(&o)->kind == EXIT_UNSUPPORTED && !strcmp(o.mnemonic, "event:after-tf"),
	      "after= with the case's TF: unsupported (%s)", o.mnemonic);

	ex.ops->fini(&ex);
	return check_done("test_ref_events_later");
}
