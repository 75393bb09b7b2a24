/* A stand-in for a stepped executor that computes something else: the
 * reference (ref_inner), except that from step `from` on each step adds
 * `delta` to RAX in the outcome, and step `skip_at` runs two instructions
 * as KVM's single-step did after SWAPGS. Shared by the lockstep tests. */
#ifndef EXITDIFF_TEST_TWISTED_EXECUTOR_H
#define EXITDIFF_TEST_TWISTED_EXECUTOR_H

#include <stdio.h>
#include <string.h>
#include "executor.h"

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

#endif
