/* Many cases through the pipeline at once (pipeline_run_batch,
 * pipeline.h): for an executor in KVM's place whose every call costs a
 * wake-up of another process (a VMM, vmm/), so one call for a round of
 * cases is what it is worth paying for. The reference is cheap beside it
 * and runs first, case by case: each case's KVM budget depends on the
 * reference's outcome. */
#include <stdio.h>
#include "pipeline.h"

/* Most cases run in one executor call (the VMM's mailbox round holds 32). */
#define BATCH_MAX 64

static void tell(const struct pipeline *p, const struct test_case *c)
{
	if (p->on_case)
		p->on_case(p->on_case_ctx, c);
}

size_t pipeline_run_batch(struct pipeline *p, const struct test_case *c, size_t n,
			  struct outcome *ref, struct outcome *kvm, struct pl_result *r)
{
	if (!p->kvm->ops->run_batch) {
		for (size_t i = 0; i < n; i++) {
			tell(p, &c[i]);
			if (pipeline_run(p, &c[i], &ref[i], &kvm[i], &r[i]) >= PL_REF_FAILED)
				return i + 1;
		}
		return n;
	}
	if (n > BATCH_MAX)
		n = BATCH_MAX;
	uint32_t budget[BATCH_MAX];
	size_t m = n;
	for (size_t i = 0; i < n; i++) {
		pipeline_result_init(&r[i], &c[i], &ref[i], &kvm[i]);
		tell(p, &c[i]);
		if (p->ref->ops->run(p->ref, &c[i], &ref[i]) < 0) {
			snprintf(r[i].err, sizeof(r[i].err), "reference executor: %s", p->ref->err);
			r[i].verdict = PL_REF_FAILED;
			/* The cases before it go to KVM's side; this one is the
			 * batch's last result. */
			m = i + 1;
			n = i;
			break;
		}
		budget[i] = pipeline_budget_of(&ref[i]) == PL_BUDGET_SHORT ? p->short_budget_us : 0;
		/* A case the executor is not given (exec_skip_reason): its
		 * outcome says why, and the batch's call passes it by. */
		const char *why = exec_skip_reason(p->kvm, &c[i], &ref[i]);
		if (why) {
			exec_not_run(&kvm[i], &c[i], why);
			budget[i] = EXEC_NOT_RUN;
		}
	}
	/* A crash inside the executor's call is filed under its first case:
	 * the call does not say which case it is on. */
	if (n)
		tell(p, &c[0]);
	size_t a = n ? p->kvm->ops->run_batch(p->kvm, c, n, budget, kvm) : 0;
	if (a < n) {
		/* The failure is recorded before any other run of the
		 * executor (a confirmation of an earlier result) overwrites
		 * it. */
		pipeline_kvm_failed(p, &r[a], 0);
		m = a + 1;
	}
	for (size_t i = 0; i < m; i++) {
		if (r[i].verdict >= PL_REF_FAILED)
			continue;
		tell(p, &c[i]);
		pipeline_judge(p, &r[i]);
	}
	return m;
}
