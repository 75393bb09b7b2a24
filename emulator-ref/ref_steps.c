/* A bounded reference run: the same run loop, stopped after N
 * instructions. The lockstep command re-runs the reference with N = 1, 2,
 * ... beside KVM's single steps; re-running costs O(N^2) instructions but
 * keeps the run loop the one and only way the reference executes (no
 * second loop to drift from it), and the reference runs a million
 * instructions in well under a second.
 *
 * The run loop honours the limit through one hook in ref_exec.c's step
 * check (docs/lockstep.md, "the reference side"):
 *     uint32_t budget = ref_step_limit && ref_step_limit < REF_STEP_BUDGET ?
 *                       ref_step_limit : REF_STEP_BUDGET;
 *     if (steps >= budget) { ref_terminal(&cpu, EXIT_TIMEOUT, 0, cpu.rip); break; }
 * Without it the limit is ignored, which ref_run_steps detects from the
 * step count and reports as -2 instead of a wrong answer. */
#include <stdio.h>
#include "ref_steps.h"

__thread uint32_t ref_step_limit;

int ref_run_steps(struct executor *ref, const struct test_case *c, uint32_t max_steps,
		  struct outcome *out)
{
	ref_step_limit = max_steps ? max_steps : 1;
	int rc = ref->ops->run(ref, c, out);
	ref_step_limit = 0;
	if (rc < 0)
		return -1;
	if (out->steps > (max_steps ? max_steps : 1)) {
		snprintf(ref->err, sizeof(ref->err),
			 "case %.63s: the reference ran %u instructions past a limit of %u: "
			 "ref_exec.c does not honour ref_step_limit (emulator-ref/ref_steps.c)",
			 c->id, out->steps, max_steps);
		return -2;
	}
	return 0;
}
