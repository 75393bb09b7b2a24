/* Stepping on the host CPU (native/native_step.c): the step operations on a
 * CPL3 case whose instructions each test one way the count or the state
 * could go wrong — the entry path's own traps counted, a REP MOVSB counted
 * per element, stepping lost after the case's POPF clears TF — and the lockstep engine with the CPU as the
 * stepped side: against the reference it agrees to the end, against a
 * reference that computes something else from step 7 it names step 7.
 * Needs no KVM; skipped where seccomp or fork is not allowed. */
#include <string.h>
#include "knobs.h"
#include "lockstep.h"
#include "native.h"
#include "outcome_check.h"
#include "twisted_executor.h"

static const uint8_t code[] = {
	0xb8, 0x01, 0x00, 0x00, 0x00, /* 1 0x10000 mov eax, 1 */
	0x50,                         /* 2 0x10005 push rax */
	0x5b,                         /* 3 0x10006 pop rbx */
	0xf3, 0xa4,                   /* 4 0x10007 rep movsb (RCX=3) */
	0x6a, 0x00,                   /* 5 0x10009 push 0 */
	0x9d,                         /* 6 0x1000b popfq (TF 0 from here) */
	0xff, 0xc0,                   /* 7 0x1000c inc eax */
	0xf4,                         /* 8 0x1000e hlt: #GP(0) at CPL3 */
};
static const uint64_t rip_after[] = { 0x10005, 0x10006, 0x10007, 0x10009, 0x1000b,
				      0x1000c, 0x1000e };

static struct test_case tc;

static void load(void)
{
	oc_start(&tc, MODE_LONG64, KNOB_CPL3);
	snprintf(tc.id, sizeof(tc.id), "native-stepping");
	memcpy(tc.code, code, sizeof(code));
	tc.code_len = sizeof(code);
	tc.rflags = RFLAGS_FIXED1;
	tc.gpr[RCX] = 3;
	tc.gpr[RSI] = LAYOUT_DATA;
	tc.gpr[RDI] = LAYOUT_DATA + 0x100;
	tc.data[0] = 0x11, tc.data[1] = 0x22, tc.data[2] = 0x33;
	tc.data_len = 3;
}

static void test_ops(struct executor *ex)
{
	static struct outcome o;
	CHECK(ex->ops->step_begin(ex, &tc, &o) == 0, "step_begin: %s", ex->err);
	for (unsigned i = 0; i < sizeof(rip_after) / sizeof(rip_after[0]); i++) {
		int r = ex->ops->step(ex, 1, &o);
		CHECK(r == EXEC_STEPPED, "step %u: stepped (rc %d, %s%s)", i + 1, r, ex->err, o.mnemonic);
		CHECK_EQ_U64(o.state.rip, rip_after[i], "rip after the step");
		CHECK_EQ_U64(o.steps, i + 1, "instructions counted");
		CHECK(!(o.state.rflags & RFLAGS_TF), "TF (ours) not in the state");
	}
	CHECK_EQ_U64(o.state.gpr[RAX], 2, "rax: the INC after the POPF ran as its own step");
	CHECK_EQ_U64(o.state.gpr[RBX], 1, "rbx: pushed and popped");
	CHECK_EQ_U64(o.state.gpr[RCX], 0, "rcx: the REP MOVSB ran to the end in its one step");
	CHECK_EQ_U64(oc_mem(&o, LAYOUT_DATA + 0x100, 3), 0x332211, "the bytes it copied");
	int r = ex->ops->step(ex, 1, &o);
	CHECK(r == EXEC_ENDED, "step 8 ends the case (rc %d)", r);
	oc_want_exc(&o, 13, 1, 0, 0x1000e);
	char note[8] = "x";
	ex->ops->step_end(ex, note, sizeof(note));
	CHECK(ex->ops->step(ex, 1, &o) < 0, "a step after step_end fails: %s", ex->err);

	/* The whole run is not stepped: no count, the same end. */
	CHECK(ex->ops->run(ex, &tc, &o) == 0, "a whole run: %s", ex->err);
	oc_want_exc(&o, 13, 1, 0, 0x1000e);
	CHECK_EQ_U64(o.steps, 0, "a whole run counts nothing");
}

static void test_engine(struct executor *cpu, struct executor *ref)
{
	struct executor tw = { .ops = &twisted_ops };
	struct lockstep l = { .stepped = cpu, .other = ref, .c = &tc, .max_steps = 100 };
	int rc = lockstep_run(&l);
	CHECK(rc == 0 && l.end == LOCKSTEP_AGREE, "the CPU and the reference agree (rc %d, end "
	      "%d, %s)", rc, l.end, l.err);
	CHECK(l.step == 8 && !l.undercounted, "in 8 steps (%u), none undercounted", l.step);
	lockstep_free(&l);

	from = 7;
	delta = 0x100;
	l.other = &tw;
	rc = lockstep_run(&l);
	CHECK(rc == 0 && l.end == LOCKSTEP_PART, "a reference computing something else "
	      "parts from the CPU (rc %d, end %d, %s)", rc, l.end, l.err);
	CHECK(l.step == 7, "at step 7 (%u)", l.step);
	CHECK_EQ_U64(l.rip, 0x1000c, "the step names the INC");
	lockstep_free(&l);
}

int main(void)
{
	struct executor cpu = { .ops = &native_executor_ops };
	struct executor ref = { .ops = &ref_executor_ops };
	ref_inner.ops = &ref_executor_ops;
	if (cpu.ops->init(&cpu, cpu.err, sizeof(cpu.err)) < 0 ||
	    ref.ops->init(&ref, ref.err, sizeof(ref.err)) < 0 ||
	    ref_inner.ops->init(&ref_inner, ref_inner.err, sizeof(ref_inner.err)) < 0) {
		printf("FAILED: init: %s%s%s\n", cpu.err, ref.err, ref_inner.err);
		return 1;
	}
	load();
	test_ops(&cpu);
	test_engine(&cpu, &ref);
	cpu.ops->fini(&cpu);
	ref.ops->fini(&ref);
	ref_inner.ops->fini(&ref_inner);
	return check_done("test_native_stepping");
}
