/* Stepping by re-running (core/executor.h): the reference and Unicorn run
 * a case again from its start with a larger bound for every step. That
 * costs O(N^2) instructions over N steps, but keeps each executor's one
 * run loop the only way it executes (no second loop to drift from it);
 * both run a million instructions in well under a second. */
#include <stdio.h>
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

int exec_rerun_begin(struct executor *ex, struct exec_rerun *r, const struct test_case *c,
		     struct outcome *out)
{
	if (!r) {
		snprintf(ex->err, sizeof(ex->err), "case %.63s: %s: stepping before init", c->id,
			 ex->ops->name);
		return -1;
	}
	*r = (struct exec_rerun){ .c = c };
	outcome_init(out);
	return 0;
}

int exec_rerun_going(uint32_t bound, const struct outcome *out)
{
	const struct exit_event *t = outcome_terminal(out);
	return t && t->kind == EXIT_TIMEOUT && t->addr == 0 && bound < REF_STEP_BUDGET;
}

void exec_rerun_end(struct exec_rerun *r, char *note, size_t len)
{
	if (r)
		r->c = NULL;
	if (len)
		note[0] = 0;
}
