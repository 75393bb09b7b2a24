/* Checks on an outcome's terminal event, shared by the executor tests. */
#ifndef EXITDIFF_TEST_OUTCOME_CHECK_H
#define EXITDIFF_TEST_OUTCOME_CHECK_H

#include "check.h"
#include "outcome.h"

/* The terminal event, or a kind-0xff placeholder when the trace is empty
 * (so the checks fail instead of crashing). */
static inline const struct exit_event *oc_term(const struct outcome *o)
{
	static const struct exit_event none = { .kind = 0xff };
	const struct exit_event *t = outcome_terminal(o);
	return t ? t : &none;
}

static inline void oc_want_hlt(const struct outcome *o, uint64_t rip)
{
	CHECK_EQ_U64(oc_term(o)->kind, EXIT_HLT, "terminal kind hlt");
	CHECK_EQ_U64(oc_term(o)->rip, rip, "hlt event rip");
	CHECK_EQ_U64(o->state.rip, rip, "state rip");
}

static inline void oc_want_exc(const struct outcome *o, unsigned vector, int has_ec,
			       uint32_t ec, uint64_t rip)
{
	CHECK_EQ_U64(oc_term(o)->kind, EXIT_EXCEPTION, "terminal kind exception");
	CHECK_EQ_U64(oc_term(o)->addr, vector, "vector");
	CHECK_EQ_U64(oc_term(o)->has_error_code, has_ec, "has error code");
	CHECK_EQ_U64(oc_term(o)->error_code, ec, "error code");
	CHECK_EQ_U64(oc_term(o)->rip, rip, "exception rip");
	CHECK_EQ_U64(o->state.rip, rip, "state rip");
}

#endif
