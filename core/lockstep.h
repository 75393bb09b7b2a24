/*
 * Lockstep: one executor is stepped an instruction at a time, another runs
 * the same number of instructions, and the two states are compared after
 * every step, so a divergence is pinned to the instruction after which the
 * states part. Any two executors with the step operations of
 * core/executor.h will do; `exitdiff run --lockstep` steps KVM against the
 * reference or Unicorn and prints the result (cli/cmd_lockstep.c).
 * docs/lockstep.md has the step rules and why each exists.
 */
#ifndef EXITDIFF_LOCKSTEP_H
#define EXITDIFF_LOCKSTEP_H

#include <stdint.h>
#include "diff.h"
#include "executor.h"

enum lockstep_end {
	LOCKSTEP_AGREE,        /* both ended and agree */
	LOCKSTEP_LIMIT,        /* max_steps ran, no divergence, neither ended */
	LOCKSTEP_PART,         /* the states part after the step named */
	LOCKSTEP_DIVERGE,      /* both ended (or one did) and differ: d */
	LOCKSTEP_UNSUPPORTED,  /* the other side does not model an instruction */
	LOCKSTEP_LEAK,         /* the step trap reached the guest as #DB */
};

/* Merged steps reported one by one; more are only counted. */
#define LOCKSTEP_MERGES_SHOWN 16

struct lockstep {
	/* In. */
	struct executor *stepped;  /* trapped after each instruction */
	struct executor *other;    /* runs as many instructions */
	const struct test_case *c;
	uint32_t max_steps;        /* 1..REF_STEP_BUDGET */

	/* Out, by lockstep_run. */
	enum lockstep_end end;
	uint32_t step;             /* the step the end names (1 = first) */
	uint64_t rip, la;          /* RIP and linear address of its instruction */
	struct outcome *theirs;    /* the other side's outcome at the end */
	struct outcome *mine;      /* the stepped side's */
	struct divergence d;       /* LOCKSTEP_DIVERGE */
	/* Steps of the stepped side that covered two instructions (the other
	 * side agreed one instruction later): which and from where. */
	uint32_t merged;
	struct { uint32_t step; uint64_t rip; } merges[LOCKSTEP_MERGES_SHOWN];
	/* LOCKSTEP_AGREE reached in fewer steps than the other side counted
	 * instructions: the stepped side did not stop everywhere. */
	int undercounted;
	char note[200];            /* the stepped side's step_end note */
	char err[700];             /* when lockstep_run returns -1 */
};

/* Runs l->c in lockstep. Returns 0 with l->end set, or -1 when an
 * executor failed or cannot step (l->err says which and why). The
 * outcomes stay allocated until lockstep_free. */
int lockstep_run(struct lockstep *l);
void lockstep_free(struct lockstep *l);

/* The register fields compared after each step, for a report that walks
 * the same list: count, name, value, and the bits compared (the mode's
 * width; in RFLAGS not the bits the other side calls undefined, nor TF
 * and RF; nothing of a GPR the other side cannot predict). */
unsigned lockstep_field_count(void);
const char *lockstep_field_name(unsigned i);
uint64_t lockstep_field(const struct end_state *st, unsigned i);
uint64_t lockstep_field_mask(enum cpu_mode m, const struct outcome *theirs, unsigned i);
/* The non-terminal events of o: all while it runs, all but the last
 * once it has ended. */
uint32_t lockstep_running_events(const struct outcome *o);
int lockstep_events_equal(const struct exit_event *a, const struct exit_event *b);

#endif
