/* An event the hypervisor makes pending before the first instruction
 * (case_event.h): an NMI is delivered at once, RIP on the first
 * instruction; a MOV SS shadow holds it past that instruction (SDM Vol. 3A
 * 6.8.3); an injected exception is delivered at once with its error code
 * and RF as it was; an NMI still held when the first instruction faults,
 * or behind an STI shadow, is not modeled. */
#include "outcome_check.h"

static struct executor ex;
static struct test_case tc;
static struct outcome o;

static void with(enum cpu_mode m, uint32_t knobs, struct case_event e)
{
	oc_start(&tc, m, knobs);
	tc.event[0] = e;
}

int main(void)
{
	if (oc_open_ref(&ex) < 0)
		return 1;
	const struct case_event nmi = { .kind = CASE_EVENT_NMI };
	const struct case_event nmi_ss = { .kind = CASE_EVENT_NMI, .shadow = CASE_SHADOW_MOV_SS };

	with(MODE_LONG64, 0, nmi);
	oc_run_code(&ex, &tc, &o, "nmi", B(0xff, 0xc0, 0xf4)); /* inc eax; hlt */
	oc_want_exc(&o, 2, 0, 0, LAYOUT_CODE);
	CHECK_EQ_U64(o.state.gpr[RAX], 0, "nmi: delivered before the first instruction ran");

	with(MODE_LONG64, 0, nmi_ss);
	oc_run_code(&ex, &tc, &o, "nmi behind a mov ss shadow", B(0xff, 0xc0, 0xff, 0xc0, 0xf4));
	oc_want_exc(&o, 2, 0, 0, LAYOUT_CODE + 2);
	CHECK_EQ_U64(o.state.gpr[RAX], 1, "mov ss shadow: one instruction ran first");

	with(MODE_LONG64, KNOB_CPL3, nmi_ss);
	oc_run_code(&ex, &tc, &o, "cpl3 nmi behind a mov ss shadow", B(0x90, 0x90, 0xf4));
	oc_want_exc(&o, 2, 0, 0, LAYOUT_CODE + 1);

	with(MODE_LONG64, 0, (struct case_event){ .kind = CASE_EVENT_EXCEPTION, .vector = 14,
						  .has_error = 1, .error = 0x6 });
	oc_run_code(&ex, &tc, &o, "injected #PF", B(0x90, 0xf4));
	oc_want_exc(&o, 14, 1, 6, LAYOUT_CODE);
	CHECK(!(o.state.rflags & (1u << 16)), "injected exception: RF as it was (clear)");

	with(MODE_LONG64, 0, (struct case_event){ .kind = CASE_EVENT_EXCEPTION, .vector = 8,
						  .has_error = 1 });
	oc_run_code(&ex, &tc, &o, "injected #DF", B(0x90, 0xf4));
	oc_want_exc(&o, 8, 1, 0, LAYOUT_CODE);

	with(MODE_LONG64, 0, nmi_ss);
	oc_run_code(&ex, &tc, &o, "nmi held while the first instruction faults", B(0x0f, 0x0b, 0xf4));
	CHECK(oc_term(&o)->kind == EXIT_UNSUPPORTED && !strcmp(o.mnemonic, "event:held-nmi"),
	      "a fault under the shadow with the NMI held: unsupported (%s)", o.mnemonic);

	with(MODE_LONG64, 0, (struct case_event){ .kind = CASE_EVENT_NMI, .shadow = CASE_SHADOW_STI });
	oc_run_code(&ex, &tc, &o, "nmi behind an sti shadow", B(0x90, 0xf4));
	CHECK(oc_term(&o)->kind == EXIT_UNSUPPORTED && !strcmp(o.mnemonic, "event:nmi-sti-shadow"),
	      "an STI shadow over an NMI: unsupported, the CPU's choice (%s)", o.mnemonic);

	ex.ops->fini(&ex);
	return check_done("test_ref_events");
}
