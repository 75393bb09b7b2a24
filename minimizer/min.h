/* The minimizer: shrinks a case while a predicate ("same signature?") keeps
 * holding. Engine (min_engine.c) and policy (min_passes.c) are apart: the
 * engine knows only the predicate and counts evaluations; the policy is a
 * table of x86-aware passes run cheapest first until a fixed point.
 * See docs/minimizer.md. */
#ifndef EXITDIFF_MIN_H
#define EXITDIFF_MIN_H

#include <stdio.h>
#include "case.h"
#include "diff.h"
#include "executor.h"
#include "outcome.h"

/* Returns 1 when candidate still shows the behaviour being kept (the same
 * divergence signature), 0 when not, -1 when the predicate itself failed
 * (an executor error): minimization stops and keeps what it has. Must be
 * deterministic: the same candidate always gets the same answer. */
typedef int (*min_pred)(void *ctx, const struct test_case *candidate);

/* Predicate evaluations before the minimizer stops and returns the best
 * case so far. With both executors one evaluation costs ~0.1 ms, so the
 * default bounds a minimization to about a second; real cases converge in
 * a few hundred evaluations. */
#define MIN_EVAL_BUDGET 10000
/* Rounds over the whole pass table before giving up on a fixed point. Each
 * round that changes nothing ends the loop; passes can undo each other's
 * measure (NOPs add instructions that drop-insns then removes), so a cap
 * guarantees termination. */
#define MIN_ROUNDS_MAX 16

/* Return values of min_case(). */
enum {
	MIN_OK = 0,
	MIN_ERR_NOT_SAME = -1, /* the input itself does not satisfy the predicate */
	MIN_ERR_PRED = -2,     /* the predicate failed; out = best case so far */
	MIN_ERR_NOMEM = -3,
};

struct min_opts {
	unsigned long eval_budget; /* 0: MIN_EVAL_BUDGET */
	unsigned rounds_max;       /* 0: MIN_ROUNDS_MAX */
	/* Wall-clock budget in ms, 0: none. Candidates that loop until the
	 * executors' TIMEOUT cost KVM_TIME_BUDGET_US (8 ms) each, so a caller with a deadline
	 * (a campaign) sets this. Stopping early is like a spent budget. */
	unsigned long ms_budget;
};

struct min_stats {
	unsigned long evals;       /* predicate calls */
	unsigned long accepted;    /* candidates that became the new best */
	unsigned long cached;      /* candidates answered from the cache */
	unsigned rounds;
	int budget_spent;          /* stopped by a budget, not at a fixed point */
	double ms;                 /* wall-clock time of the whole run */
};

/* Minimizes in into out (which may alias nothing else). Logs one line per
 * pass and a total to log (NULL: silent). Deterministic: the same input and
 * predicate give the same out. out is never larger than in: code_len,
 * data_len and the number of non-default registers never grow. Returns
 * MIN_OK or a MIN_ERR_* (out is a copy of in for MIN_ERR_NOT_SAME). */
int min_case(const struct test_case *in, min_pred same, void *ctx,
	     struct test_case *out, FILE *log);
/* The same with options (NULL: defaults) and statistics (NULL: not kept). */
int min_case_ex(const struct test_case *in, min_pred same, void *ctx,
		struct test_case *out, FILE *log, const struct min_opts *opts,
		struct min_stats *stats);

/* Number of registers (the 16 GPRs and RFLAGS) that differ from case_init. */
unsigned min_nondefault_regs(const struct test_case *c);

/* The predicate every caller of the minimizer and of min_cut_first needs:
 * runs the candidate on the reference, then on KVM, diffs into d (the
 * outcomes stay in oref/okvm for the caller), and answers 1 when it
 * diverges with signature, or with any signature when that is NULL. An
 * executor failure answers -1, or 0 counted in exec_failures when
 * failure_is_no (a candidate the executor cannot run is not the bug). */
struct min_both {
	struct executor *ref, *kvm;
	struct outcome *oref, *okvm;
	const char *signature;
	int failure_is_no;
	unsigned long exec_failures;
	struct divergence d;
};
int min_both_pred(void *ctx, const struct test_case *candidate);

/* The first divergence: the shortest prefix of c's run that still
 * diverges. The cut points are the instructions the reference ran
 * (ref->ran) inside c's code; a cut replaces the first byte of one with
 * HLT, so everything before it runs as before and the case stops there.
 * A binary search over the cut points in address order asks diverges()
 * (1: the candidate diverges, whatever its signature) and keeps the
 * earliest cut that does: the state after the instruction before it is
 * where KVM and the reference first part, which is what names the
 * divergence (a value written by one instruction and copied by later ones
 * is named by its writer, not by its last copier). Returns 1 with *out set
 * to the cut case and *cut_at (when not NULL) to the code offset of its HLT,
 * 0 when only the whole case diverges (out untouched), -1
 * when the predicate failed. Loops and backward jumps only make the search
 * miss a shorter cut: a returned cut always diverged. */
int min_cut_first(const struct test_case *c, const struct outcome *ref,
		  min_pred diverges, void *ctx, struct test_case *out, uint32_t *cut_at);

#endif
