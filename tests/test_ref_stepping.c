/* Stepping through the executor interface (core/executor.h step_begin,
 * step, step_end) on the reference, and the lockstep engine over it
 * (core/lockstep.c): stepping the reference against itself agrees to the
 * end; against a copy whose fourth instruction computes something else
 * the engine names step 4; a merged step (the stepped side running two
 * instructions at once, as KVM does after SWAPGS) is taken as one and
 * reported. No KVM needed. */
#include <string.h>
#include "check.h"
#include "executor.h"
#include "layout.h"
#include "lockstep.h"

/* mov eax, 1; inc eax; inc eax; inc eax; hlt */
static const uint8_t code[] = { 0xb8, 0x01, 0x00, 0x00, 0x00, 0xff, 0xc0, 0xff, 0xc0,
				0xff, 0xc0, 0xf4 };

static struct test_case tc;

static void load(void)
{
	case_init(&tc);
	snprintf(tc.id, sizeof(tc.id), "stepping");
	memcpy(tc.code, code, sizeof(code));
	tc.code_len = sizeof(code);
	tc.rflags = RFLAGS_FIXED1;
}

static void test_ops(struct executor *ex)
{
	static struct outcome o, copy;
	char note[64] = "x";
	CHECK(ex->ops->step_begin && ex->ops->step && ex->ops->step_end,
	      "the reference has the step operations");
	CHECK(ex->ops->step_begin(ex, &tc, &o) == 0 && o.n_events == 0,
	      "step_begin starts the case, no events yet");
	int r = ex->ops->step(ex, 1, &o);
	CHECK(r == EXEC_STEPPED, "step 1: stepped (rc %d)", r);
	CHECK_EQ_U64(o.state.gpr[RAX], 1, "rax after mov eax, 1");
	CHECK_EQ_U64(o.state.rip, LAYOUT_CODE + 5, "rip after mov eax, 1");
	memcpy(&copy, &o, sizeof(o));
	r = ex->ops->step(ex, 2, &copy);
	CHECK(r == EXEC_STEPPED, "two more into a copy: stepped (rc %d)", r);
	CHECK_EQ_U64(copy.state.gpr[RAX], 3, "rax after two incs");
	CHECK_EQ_U64(copy.state.rip, LAYOUT_CODE + 9, "rip after two incs");
	r = ex->ops->step(ex, 5, &copy);
	const struct exit_event *t = outcome_terminal(&copy);
	CHECK(r == EXEC_ENDED && t && t->kind == EXIT_HLT, "a step past the HLT ends the case "
	      "(rc %d, end %s)", r, t ? exit_kind_name((enum exit_kind)t->kind) : "-");
	CHECK_EQ_U64(copy.state.gpr[RAX], 4, "rax at the end");
	CHECK_EQ_U64(copy.steps, 5, "instructions counted at the end");
	ex->ops->step_end(ex, note, sizeof(note));
	CHECK(note[0] == 0, "the reference has nothing to note");
	CHECK(ex->ops->step(ex, 1, &o) < 0, "a step after step_end fails: %s", ex->err);
}

#include "twisted_executor.h"

static void test_engine(struct executor *ref)
{
	struct executor tw = { .ops = &twisted_ops };
	struct lockstep l = { .stepped = &tw, .other = ref, .c = &tc, .max_steps = 100 };

	from = skip_at = 0;
	int rc = lockstep_run(&l);
	CHECK(rc == 0 && l.end == LOCKSTEP_AGREE, "the same executor agrees (rc %d, end %d, %s)",
	      rc, l.end, l.err);
	CHECK(l.step == 5 && l.merged == 0, "in 5 steps (%u), no merged step (%u)", l.step,
	      l.merged);
	CHECK(!strcmp(l.note, "twisted: 5 steps"), "the stepped side's note is kept: \"%s\"",
	      l.note);
	lockstep_free(&l);

	from = 4;
	delta = 0x100;
	rc = lockstep_run(&l);
	CHECK(rc == 0 && l.end == LOCKSTEP_PART, "a different fourth instruction parts the "
	      "states (rc %d, end %d)", rc, l.end);
	CHECK(l.step == 4, "at step 4 (%u)", l.step);
	CHECK_EQ_U64(l.rip, LAYOUT_CODE + 9, "the step names the third INC");
	CHECK_EQ_U64(l.la, LAYOUT_CODE + 9, "at its linear address");
	CHECK_EQ_U64(l.mine->state.gpr[RAX] - l.theirs->state.gpr[RAX], 0x100,
		     "the outcomes kept are those of that step");
	lockstep_free(&l);

	from = 0;
	skip_at = 2;
	rc = lockstep_run(&l);
	CHECK(rc == 0 && l.end == LOCKSTEP_AGREE, "a step that ran two instructions agrees "
	      "(rc %d, end %d)", rc, l.end);
	CHECK(l.merged == 1 && l.merges[0].step == 2, "reported as merged step 2 (%u merged)",
	      l.merged);
	CHECK_EQ_U64(l.merges[0].rip, LAYOUT_CODE + 5, "from the first INC");
	CHECK(l.step == 4, "in 4 steps (%u)", l.step);
	lockstep_free(&l);

	struct executor_ops mute = ref_executor_ops;
	mute.step_begin = NULL;
	struct executor none = { .ops = &mute };
	l.other = &none;
	rc = lockstep_run(&l);
	CHECK(rc == -1 && strstr(l.err, "cannot step"), "an executor without stepping is "
	      "refused: \"%s\"", l.err);
	lockstep_free(&l);
}

int main(void)
{
	/* Two references: each keeps its own place in a stepped case. */
	struct executor ref = { .ops = &ref_executor_ops };
	ref_inner.ops = &ref_executor_ops;
	if (ref.ops->init(&ref, ref.err, sizeof(ref.err)) < 0 ||
	    ref_inner.ops->init(&ref_inner, ref_inner.err, sizeof(ref_inner.err)) < 0) {
		printf("FAILED: reference init: %s%s\n", ref.err, ref_inner.err);
		return 1;
	}
	load();
	test_ops(&ref);
	test_engine(&ref);
	ref.ops->fini(&ref);
	ref_inner.ops->fini(&ref_inner);
	return check_done("test_ref_stepping");
}
