/* Pieces of the fake executors the campaign tests plug in instead of KVM
 * and the reference, so a campaign runs without /dev/kvm and its
 * verdicts are chosen by the test. */
#ifndef EXITDIFF_TEST_FAKE_EXECUTOR_H
#define EXITDIFF_TEST_FAKE_EXECUTOR_H

#include <string.h>
#include "case_text.h"
#include "executor.h"

static inline int fake_init(struct executor *ex, char *err, size_t len)
{
	(void)ex, (void)err, (void)len;
	return 0;
}

static inline void fake_fini(struct executor *ex) { (void)ex; }

/* The outcome of a case that halts at once: HLT after the first byte,
 * registers and memory as the case starts. */
static inline void base_outcome(const struct test_case *c, struct outcome *o)
{
	outcome_init(o);
	struct exit_event e = { .kind = EXIT_HLT, .rip = LAYOUT_CODE + 1 };
	outcome_push(o, &e);
	memcpy(o->state.gpr, c->gpr, sizeof(o->state.gpr));
	o->state.rip = LAYOUT_CODE + 1;
	o->state.rflags = c->rflags;
	case_initial_mem(c, o->mem);
}

#endif
