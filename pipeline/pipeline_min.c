/* pipeline_minimize (pipeline.h): the minimizer over the pipeline's
 * executors. A file of its own: the fuzzing engines build pipeline.c into
 * their targets without the minimizer's passes. */
#include <string.h>
#include "pipeline.h"

int pipeline_minimize(struct pipeline *p, const struct pl_result *r, const struct min_opts *opts,
		      FILE *log, struct min_stats *st, struct pl_result *small)
{
	struct min_both *m = &p->min;
	char sig[SIGNATURE_MAX];
	/* The executors' signature: the predicate never sees a bucket key's
	 * mode suffix, so a case may move to a simpler mode. */
	memcpy(sig, r->d.signature, sizeof(sig));
	m->signature = sig;
	m->exec_failures = 0;
	int rc = min_case_ex(r->c, min_both_pred, m, p->min_case, log, opts, st);
	int again = rc == MIN_OK || rc == MIN_ERR_PRED ? min_both_pred(m, p->min_case) : 0;
	m->signature = NULL;
	if (rc != MIN_OK && rc != MIN_ERR_PRED)
		return rc;
	if (again != 1)
		return PL_MIN_CHANGED;
	*small = *r;
	small->c = p->min_case;
	small->ref = m->oref;
	small->kvm = m->okvm;
	small->d = m->d;
	return rc;
}
