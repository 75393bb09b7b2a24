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

/* The reference, except that from step `from` on each step of it adds
 * `delta` to RAX in the outcome: a stand-in for an executor that computes
 * the third INC differently. skip_at makes step skip_at run two
 * instructions, as KVM's single-step did after SWAPGS. */
static struct executor ref_inner;
static uint32_t from, skip_at, taken;
static uint64_t delta;

static int twisted_begin(struct executor *ex, const struct test_case *c, struct outcome *o)
{
	(void)ex;
	taken = 0;
	return ref_inner.ops->step_begin(&ref_inner, c, o);
}

static int twisted_step(struct executor *ex, uint32_t n, struct outcome *o)
{
	(void)ex;
	int r = EXEC_STEPPED;
	for (uint32_t i = 0; i < n && r == EXEC_STEPPED; i++) {
		taken++;
		r = ref_inner.ops->step(&ref_inner, taken == skip_at ? 2 : 1, o);
	}
	if (from && taken >= from)
		o->state.gpr[RAX] += delta;
	return r;
}

static void twisted_end(struct executor *ex, char *note, size_t len)
{
	(void)ex;
	snprintf(note, len, "twisted: %u steps", taken);
	ref_inner.ops->step_end(&ref_inner, note + strlen(note), 0);
}

static int twisted_init(struct executor *ex, char *err, size_t errlen)
{
	(void)ex, (void)err, (void)errlen;
	return 0;
}

static void twisted_fini(struct executor *ex)
{
	(void)ex;
}

static int twisted_run(struct executor *ex, const struct test_case *c, struct outcome *o)
{
	(void)ex;
	return ref_inner.ops->run(&ref_inner, c, o);
}

static const struct executor_ops twisted_ops = {
	.name = "twisted", .init = twisted_init, .run = twisted_run, .fini = twisted_fini,
	.step_begin = twisted_begin, .step = twisted_step, .step_end = twisted_end,
};

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
