/* Running the reference for a bounded number of instructions, for
 * `exitdiff run --lockstep` (docs/lockstep.md). */
#ifndef EXITDIFF_REF_STEPS_H
#define EXITDIFF_REF_STEPS_H

#include <stdint.h>
#include "executor.h"

/* The step limit of the reference's run loop on this thread: 0 means the
 * normal REF_STEP_BUDGET. ref_exec.c reads it (the hook below); nothing
 * else should set it but ref_run_steps. */
extern __thread uint32_t ref_step_limit;

/* Runs case c in the reference executor ref, stopping after max_steps
 * instructions (then the outcome ends in TIMEOUT addr 0 with the state
 * after instruction max_steps; a case that ends earlier gives its normal
 * outcome). Returns 0; -1 when the executor failed (ref->err); -2 when
 * the run loop ignored the limit (ref_exec.c lacks the hook). */
int ref_run_steps(struct executor *ref, const struct test_case *c, uint32_t max_steps,
		  struct outcome *out);

#endif
