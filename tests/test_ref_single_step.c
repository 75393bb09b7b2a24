/* TF set by the case (single-step, SDM Vol. 3B 18.3.1.4): a trap-class
 * #DB after the first instruction that completes, with the next RIP and
 * no RF; after each element of a REP string instruction (RIP stays on it,
 * RCX counts one); held back past MOV SS / POP SS to the next boundary
 * (Vol. 3A 6.8.3); never after an instruction that faults. */
#include "outcome_check.h"
#include "knobs.h"

static struct executor ex;
static struct test_case tc;
static struct outcome o;

static void tf(enum cpu_mode m, uint32_t knobs)
{
	oc_start(&tc, m, knobs);
	tc.rflags |= RFLAGS_TF;
}

int main(void)
{
	if (oc_open_ref(&ex) < 0)
		return 1;

	tf(MODE_LONG64, 0);
	oc_run_code(&ex, &tc, &o, "nop; nop", B(0x90, 0x90, 0xf4));
	oc_want_exc(&o, 1, 0, 0, LAYOUT_CODE + 1);
	CHECK(!(o.state.rflags & (1u << 16)), "single-step #DB: RF clear (a trap), rflags 0x%llx",
	      (unsigned long long)o.state.rflags);

	tf(MODE_LONG64, 0);
	tc.gpr[RCX] = 3;
	tc.gpr[RSI] = LAYOUT_DATA;
	tc.gpr[RDI] = LAYOUT_DATA + 0x100;
	oc_run_code(&ex, &tc, &o, "rep movsb", B(0xf3, 0xa4, 0xf4));
	oc_want_exc(&o, 1, 0, 0, LAYOUT_CODE);
	CHECK_EQ_U64(o.state.gpr[RCX], 2, "rep movsb: one element, RCX counts one");
	CHECK_EQ_U64(o.state.gpr[RSI], LAYOUT_DATA + 1, "rep movsb: RSI moved one element");

	tf(MODE_LONG64, 0);
	tc.gpr[RCX] = 1;
	tc.gpr[RSI] = LAYOUT_DATA;
	tc.gpr[RDI] = LAYOUT_DATA + 0x100;
	oc_run_code(&ex, &tc, &o, "rep movsb, last element", B(0xf3, 0xa4, 0xf4));
	oc_want_exc(&o, 1, 0, 0, LAYOUT_CODE + 2);
	CHECK_EQ_U64(o.state.gpr[RCX], 0, "rep movsb with RCX 1: done, the trap after it");

	tf(MODE_LONG64, 0);
	tc.gpr[RAX] = SEL_DATA;
	oc_run_code(&ex, &tc, &o, "mov ss, eax; nop", B(0x8e, 0xd0, 0x90, 0xf4));
	oc_want_exc(&o, 1, 0, 0, LAYOUT_CODE + 3);

	tf(MODE_LONG64, 0);
	oc_run_code(&ex, &tc, &o, "ud2", B(0x0f, 0x0b, 0xf4));
	oc_want_exc(&o, 6, 0, 0, LAYOUT_CODE);

	tf(MODE_LONG64, KNOB_CPL3);
	oc_run_code(&ex, &tc, &o, "cpl3 inc eax", B(0xff, 0xc0, 0xf4));
	oc_want_exc(&o, 1, 0, 0, LAYOUT_CODE + 2);
	CHECK_EQ_U64(o.state.gpr[RAX], 1, "cpl3: the instruction ran before the trap");

	tf(MODE_PROT32, 0);
	oc_run_code(&ex, &tc, &o, "prot32 inc eax", B(0x40, 0x40, 0xf4));
	oc_want_exc(&o, 1, 0, 0, LAYOUT_CODE + 1);
	CHECK_EQ_U64(o.state.gpr[RAX], 1, "prot32: one INC before the trap");

	ex.ops->fini(&ex);
	return check_done("test_ref_single_step");
}
