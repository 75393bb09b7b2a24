/* Stepping by re-running (core/executor.h): the reference and Unicorn run
 * a case again from its start with a larger bound for every step. That
 * costs O(N^2) instructions over N steps, but keeps each executor's one
 * run loop the only way it executes (no second loop to drift from it);
 * both run a million instructions in well under a second. */
#include "config.h"
#include "executor.h"

uint32_t exec_rerun_next(struct exec_rerun *r, uint32_t n)
{
	uint64_t bound = (uint64_t)r->done + (n ? n : 1);
	if (bound > REF_STEP_BUDGET)
		bound = REF_STEP_BUDGET;
	r->done = (uint32_t)bound;
	return r->done;
}
