/* Checks on an outcome's terminal event, shared by the executor tests. */
#ifndef EXITDIFF_TEST_OUTCOME_CHECK_H
#define EXITDIFF_TEST_OUTCOME_CHECK_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "executor.h"
#include "layout.h"
#include "outcome.h"

/* Code bytes spelled inline: go("name", B(0x90, 0xf4)). */
#define B(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

/* Runs code as case tc (its other fields as the caller set them) on ex
 * into o, printing the mode and name first so failures read in context. */
static inline void oc_run_code(struct executor *ex, struct test_case *tc, struct outcome *o,
			       const char *name, const uint8_t *code, unsigned n)
{
	snprintf(tc->id, sizeof(tc->id), "%s", name);
	memcpy(tc->code, code, n);
	tc->code_len = n;
	printf("-- [%s] %s\n", mode_name((enum cpu_mode)tc->mode), name);
	if (ex->ops->run(ex, tc, o) != 0)
		printf("run failed: %s\n", ex->err);
}

/* Prints o's exit events, one line each, so a failing check reads against
 * the trace the executor gave. */
static inline void oc_print_trace(const struct outcome *o)
{
	for (uint32_t i = 0; i < o->n_events; i++)
		printf("   event %u: %s rip=0x%llx vector/addr=%llu\n", i,
		       exit_kind_name((enum exit_kind)o->events[i].kind),
		       (unsigned long long)o->events[i].rip, (unsigned long long)o->events[i].addr);
}

/* Opens the reference executor into ex. Returns 0, or -1 after printing
 * why (the test then stops). */
static inline int oc_open_ref(struct executor *ex)
{
	ex->ops = &ref_executor_ops;
	if (ex->ops->init(ex, ex->err, sizeof(ex->err)) < 0) {
		printf("FAILED: reference init: %s\n", ex->err);
		return -1;
	}
	return 0;
}

/* 1 when two outcomes hold the same events, end state, masks, names and
 * memory window (outcome_init clears all of it but the events and the
 * window, which every run writes whole); the stamp of the run that wrote
 * the window is not part of what was observed. */
static inline int oc_same_outcome(const struct outcome *a, const struct outcome *b)
{
	return a->n_events == b->n_events &&
	       !memcmp(a->events, b->events, a->n_events * sizeof(a->events[0])) &&
	       !memcmp(&a->state, &b->state,
		       offsetof(struct outcome, mem_stamp) - offsetof(struct outcome, state)) &&
	       !memcmp(a->mem, b->mem, sizeof(a->mem));
}

/* A fresh case tc in mode m with knobs (case_init's registers). */
static inline void oc_start(struct test_case *tc, enum cpu_mode m, uint32_t knobs)
{
	case_init(tc);
	tc->mode = (uint8_t)m;
	tc->knobs = knobs;
}

/* n (<= 8) bytes of o's compare window at guest address la. */
static inline uint64_t oc_mem(const struct outcome *o, uint64_t la, unsigned n)
{
	uint64_t v = 0;
	memcpy(&v, o->mem + (la - LAYOUT_CMP_BASE), n);
	return v;
}

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
