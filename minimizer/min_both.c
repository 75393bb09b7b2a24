/* min_both_pred: the "does it still diverge?" question asked of both
 * executors (min.h), shared by campaigns, `exitdiff run`, `exitdiff
 * minimize` and the fuzzing engines. */
#include <string.h>
#include "min.h"

int min_both_pred(void *ctx, const struct test_case *c)
{
	struct min_both *b = ctx;
	if (b->ref->ops->run(b->ref, c, b->oref) < 0 ||
	    exec_run_after(b->kvm, c, b->oref, b->okvm) < 0) {
		if (!b->failure_is_no)
			return -1;
		b->exec_failures++;
		return 0;
	}
	/* A reference that ends UNSUPPORTED makes the verdict UNSUPPORTED:
	 * such a candidate says nothing about the divergence. */
	return outcome_diff(b->oref, b->okvm, &b->d) == VERDICT_DIVERGE &&
	       (!b->signature || !strcmp(b->d.signature, b->signature));
}
