/* The case's external interrupt in the reference (event intr V, SDM Vol. 3A
 * 6.8.1 and 6.8.3): it waits while IF = 0; an STI that sets IF holds it one
 * more instruction, and so does a MOV SS; an STI that finds IF set holds
 * nothing; a HLT with IF = 1 wakes for it, the frame's RIP after the HLT.
 * Each delivery comes after an irq_window event at the same RIP, the one
 * the interrupt comes before. Expectations are the manual's, not the
 * code's. */
#include "outcome_check.h"

static struct executor ex;
static struct test_case tc;
static struct outcome o;

#define VEC 0x30

/* The irq_window event right before the delivery, at rip. */
static void want_window(uint64_t rip)
{
	CHECK(o.n_events == 2, "two events: irq_window, then the delivery (got %u)", o.n_events);
	CHECK_EQ_U64(o.events[0].kind, EXIT_IRQ_WINDOW, "event 0 is irq_window");
	CHECK_EQ_U64(o.events[0].rip, rip, "irq_window rip");
	oc_want_exc(&o, VEC, 0, 0, rip);
	CHECK(o.state.rflags & RFLAGS_IF, "IF set when the interrupt came");
}

static void no_window(void)
{
	for (uint32_t i = 0; i < o.n_events; i++)
		CHECK(o.events[i].kind != EXIT_IRQ_WINDOW, "event %u: no irq_window (still pending)", i);
}

static void start(uint32_t knobs)
{
	oc_start(&tc, MODE_LONG64, knobs);
	tc.event[0] = (struct case_event){ .kind = CASE_EVENT_INTR, .vector = VEC };
}

int main(void)
{
	if (oc_open_ref(&ex) < 0)
		return 1;

	start(0);
	oc_run_code(&ex, &tc, &o, "IF=0: held to the end", B(0xff, 0xc0, 0xf4)); /* inc eax; hlt */
	oc_want_hlt(&o, LAYOUT_CODE + 3);
	no_window();

	start(0);
	oc_run_code(&ex, &tc, &o, "sti; nop; inc: taken after the nop",
		    B(0xfb, 0x90, 0xff, 0xc0, 0xf4));
	want_window(LAYOUT_CODE + 2);
	CHECK_EQ_U64(o.state.gpr[RAX], 0, "the inc after the shadow did not run");

	start(0);
	oc_run_code(&ex, &tc, &o, "sti; hlt: the hlt wakes", B(0xfb, 0xf4, 0xff, 0xc0, 0xf4));
	want_window(LAYOUT_CODE + 2);

	start(0);
	oc_run_code(&ex, &tc, &o, "sti; sti: the second finds IF set, no new shadow",
		    B(0xfb, 0xfb, 0x90, 0xf4));
	want_window(LAYOUT_CODE + 2);

	start(0);
	/* mov eax, 0x10; sti; mov ss, eax; inc eax; hlt */
	oc_run_code(&ex, &tc, &o, "sti; mov ss: the mov ss shadow holds it one more",
		    B(0xb8, 0x10, 0, 0, 0, 0xfb, 0x8e, 0xd0, 0xff, 0xc0, 0xf4));
	want_window(LAYOUT_CODE + 10);
	CHECK_EQ_U64(o.state.gpr[RAX], 0x11, "the inc in the mov ss shadow ran");

	start(0);
	oc_run_code(&ex, &tc, &o, "sti; cli: closed again inside the shadow",
		    B(0xfb, 0xfa, 0x90, 0xf4));
	oc_want_hlt(&o, LAYOUT_CODE + 4);
	no_window();

	start(0);
	oc_run_code(&ex, &tc, &o, "sti; ud2: the fault in the shadow comes first",
		    B(0xfb, 0x0f, 0x0b, 0xf4));
	oc_want_exc(&o, 6, 0, 0, LAYOUT_CODE + 1);
	no_window();

	start(KNOB_CPL3);
	oc_run_code(&ex, &tc, &o, "cpl3 sti with IOPL 0: #GP(0), no window", B(0xfb, 0x90, 0xf4));
	oc_want_exc(&o, 13, 1, 0, LAYOUT_CODE);
	no_window();

	start(0);
	oc_run_code(&ex, &tc, &o, "two SS loads in a row: only the first is sure to hold it",
		    B(0xb8, 0x10, 0, 0, 0, 0xfb, 0x8e, 0xd0, 0x8e, 0xd0, 0x90, 0xf4));
	CHECK(oc_term(&o)->kind == EXIT_UNSUPPORTED && !strcmp(o.mnemonic, "event:mov-ss-chain"),
	      "consecutive SS loads under a pending interrupt: unsupported (%s)", o.mnemonic);

	oc_start(&tc, MODE_LONG64, 0);
	oc_run_code(&ex, &tc, &o, "no event: sti just sets IF", B(0xfb, 0x90, 0xf4));
	oc_want_hlt(&o, LAYOUT_CODE + 3);
	CHECK(o.state.rflags & RFLAGS_IF, "IF set by sti");
	no_window();

	ex.ops->fini(&ex);
	return check_done("test_ref_intr_window");
}
