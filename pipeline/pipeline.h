/* The finding pipeline: one case through both executors to what is filed.
 * Every caller that decides what a case means goes through it: the
 * campaign worker, the fuzzing engines' session (fuzz/fx_session.c) and
 * `exitdiff run`, `replay`, `minimize` and `triage`, so a rule changes in
 * one place (docs/campaigns.md "The finding pipeline").
 *
 *   pipeline_exec    the executors: the reference, then KVM (one failure
 *                    message for every caller);
 *   pipeline_run     exec + diff: the verdict (same, unsupported,
 *                    diverged, executor failed) and, with p->confirm, the
 *                    confirmation (KVM runs the case again and must give
 *                    the same signature, else UNCONFIRMED);
 *   pipeline_run_batch  the same for many cases, KVM's side in one call of
 *                    an executor that offers run_batch (a VMM's mailbox
 *                    round: pipeline_batch.c);
 *   pipeline_first   the first divergence: the case cut short with a HLT
 *                    at the earliest instruction where the outcomes part
 *                    (min_cut_first), confirmed like a whole case;
 *   pipeline_file    what a divergence is filed under: bucket key
 *                    (signature[@MODE]), known-list lookup (signature and
 *                    cluster entries, core/known.h) and cluster key;
 *   pipeline_minimize  the case shrunk while its signature holds, the
 *                    environment first, so the knobs and mode left are the
 *                    ones the divergence needs (pipeline_min.c: the whole
 *                    minimizer, which the fuzzing engines do not link).
 *
 * What a caller remembers between cases (a campaign worker's signature
 * table, the engines' per-process set) is the caller's: the pipeline
 * decides what one case is, not whether it was seen before. */
#ifndef EXITDIFF_PIPELINE_H
#define EXITDIFF_PIPELINE_H

#include <stdint.h>
#include "case.h"
#include "diff.h"
#include "executor.h"
#include "finding.h"
#include "known.h"
#include "min.h"
#include "outcome.h"

/* Size of a cluster key (core/cluster.h), terminator included. */
#define PIPELINE_CLUSTER_MAX 192

enum pl_verdict {
	PL_SAME,          /* the executors agree */
	PL_UNSUPPORTED,   /* the reference ends UNSUPPORTED: not compared */
	PL_DIVERGED,      /* they differ (confirmed when p->confirm) */
	PL_UNCONFIRMED,   /* differed once, a second KVM run did not repeat it */
	PL_REF_FAILED,    /* the reference executor failed (err says why) */
	PL_KVM_FAILED,    /* the KVM executor failed */
};

struct pipeline {
	struct executor *ref, *kvm;
	const struct known_list *known; /* NULL: nothing is known */
	/* pipeline_run confirms a divergence by a second KVM run. */
	int confirm;
	/* KVM's time budget (us) for a case whose verdict a longer run cannot
	 * change (pipeline_budget_of: PL_BUDGET_SHORT). 0: the executor's
	 * own. */
	uint32_t short_budget_us;
	/* KVM's hang probe (executor.h hang_probe) for a case the reference
	 * ended by itself. */
	int hang_probe;
	/* pipeline_run_batch tells it the case it is about to work on
	 * (NULL: nobody asks): a campaign worker keeps the case in hand for
	 * the record of a crash. */
	void (*on_case)(void *ctx, const struct test_case *c);
	void *on_case_ctx;
	/* The cut's scratch (pipeline_open allocates it). */
	struct min_both cut;
	struct test_case *cut_case;
	/* Minimization's, apart from the cut's: a case that does not minimize
	 * is filed as cut. min.failure_is_no: a candidate an executor cannot
	 * run counts as "not the same" (exitdiff minimize) instead of stopping
	 * the minimizer (a campaign keeps what it has). */
	struct min_both min;
	struct test_case *min_case;
};

/* pipeline_minimize: the minimized case no longer gives the signature
 * when run again (the executors are not deterministic for it). */
#define PL_MIN_CHANGED (-10)

/* A case taken through the pipeline. The pointers stay valid until the
 * next call that fills the same result. */
struct pl_result {
	enum pl_verdict verdict;
	const struct test_case *c;          /* the case this result describes */
	const struct outcome *ref;          /* its outcomes; KVM's is the */
	struct outcome *kvm;                /* caller's, a confirmation rewrites it */
	struct divergence d;                /* the diff (verdict PL_DIVERGED) */
	int cut_at;                         /* code offset of a cut's HLT, -1: whole */
	char err[700];                      /* PL_*_FAILED: the executor's reason */
	/* PL_KVM_FAILED: exec_fail_signature() of the executor's failure,
	 * "" when it set neither fail_errno nor fail_where (the case was
	 * refused, not failed on). Kept here because a batch's earlier
	 * results may run the executor again before this one is taken;
	 * the executor's own words are err + fail_text (past "KVM
	 * executor: "). */
	char fail_sig[64];
	unsigned fail_text;
};

/* Which of KVM's budgets a case gets after the reference ran it to ref:
 * the short one (it ended UNSUPPORTED or spent its step budget: no longer
 * run can change the verdict), the hang probe (it ended by itself), or
 * the whole one (its trace filled up, or no reference ran). `exitdiff
 * bench` gives KVM alone the same, and pipeline_run_batch the short one
 * (an executor's batch has no probe). A VMM is not given what it cannot
 * decide at all (executor.h exec_skip_reason). */
enum pl_budget { PL_BUDGET_WHOLE, PL_BUDGET_SHORT, PL_BUDGET_PROBE };
enum pl_budget pipeline_budget_of(const struct outcome *ref);
/* Gives kvm the budgets of kind b for its next run: short_us for
 * PL_BUDGET_SHORT, the hang probe for PL_BUDGET_PROBE when probe is set;
 * PL_BUDGET_WHOLE clears both. */
void pipeline_kvm_budget(struct executor *kvm, enum pl_budget b, uint32_t short_us, int probe);

/* r describes c, its outcomes ref and kvm, and nothing yet (PL_SAME, no
 * divergence, no error, not a cut). */
void pipeline_result_init(struct pl_result *r, const struct test_case *c,
			  const struct outcome *ref, struct outcome *kvm);

/* Allocates the cut's scratch. Returns 0 or -1 (out of memory). */
int pipeline_open(struct pipeline *p, struct executor *ref, struct executor *kvm,
		  const struct known_list *known);
void pipeline_close(struct pipeline *p);

/* Runs c on the reference (unless kvm_only) and on KVM into ref/kvm.
 * Returns PL_SAME when both ran, PL_REF_FAILED or PL_KVM_FAILED with the
 * reason in err ("reference executor: ..."). */
enum pl_verdict pipeline_exec(struct pipeline *p, const struct test_case *c, int kvm_only,
			      struct outcome *ref, struct outcome *kvm, char *err, size_t errlen);

/* exec + diff (+ confirmation) of c into r, outcomes into ref/kvm. */
enum pl_verdict pipeline_run(struct pipeline *p, const struct test_case *c,
			     struct outcome *ref, struct outcome *kvm, struct pl_result *r);

/* The cases c[0..n) through the pipeline as pipeline_run takes each (the
 * confirmation with p->confirm), for a KVM side whose executor offers
 * run_batch: the reference runs every case, then the executor all of them
 * in one call, each bounded as pipeline_exec would bound it; then each
 * pair is judged. Results into r[0..m), outcomes into ref[0..m) and
 * kvm[0..m). Returns m: n, or fewer when case m - 1 failed on an executor
 * (its result is PL_REF_FAILED or PL_KVM_FAILED): the caller takes the m
 * results in order and goes on from case m. p->kvm's agreed() is not
 * called (it speaks of the case just run). An executor without run_batch
 * gets a run() per case (pipeline_run's path, agreed() included). */
size_t pipeline_run_batch(struct pipeline *p, const struct test_case *c, size_t n,
			  struct outcome *ref, struct outcome *kvm, struct pl_result *r);

/* The diff and, with p->confirm, the confirmation of r, whose case and
 * outcomes (r->c, r->ref, r->kvm) are set and ran: sets and returns
 * r->verdict. The second half of pipeline_run. */
enum pl_verdict pipeline_judge(struct pipeline *p, struct pl_result *r);

/* Records p->kvm's failure in r (err, fail_sig, verdict PL_KVM_FAILED),
 * err starting "KVM executor: " (or the VMM's "vmm executor: "), with
 * " (confirming run)" when that run failed. */
void pipeline_kvm_failed(const struct pipeline *p, struct pl_result *r, int confirming);

/* The confirmation of r (a PL_DIVERGED result of a run without
 * p->confirm): a caller that reads something between the run and the
 * confirming one (the campaign reads the host kernel log) confirms apart.
 * Returns and sets r->verdict: PL_DIVERGED, PL_UNCONFIRMED, or PL_KVM_FAILED
 * with r->err when KVM failed on the second run (a hypervisor failure to
 * file, not a divergence that went away). */
enum pl_verdict pipeline_confirm(struct pipeline *p, struct pl_result *r);

/* The first divergence of whole (a PL_DIVERGED result): 1 with cut
 * describing the cut case (its outcomes in p's scratch), confirmed by a
 * second KVM run; 0 when no shorter case diverges, the cut does not
 * repeat, or an executor failed (cut untouched). */
int pipeline_first(struct pipeline *p, const struct pl_result *whole, struct pl_result *cut);

/* Minimizes r's case (minimizer/min.h) with opts, logging to log (NULL:
 * silent), statistics into st (may be NULL). The result runs once more and
 * must give r's signature. Returns MIN_OK, or MIN_ERR_PRED when an
 * executor stopped the minimizer (the best case so far is kept), with
 * small describing the result (its outcomes in p's scratch); else a
 * MIN_ERR_* or PL_MIN_CHANGED (the re-run did not give the signature, or
 * an executor failed on it; p->min.d holds what it gave), small
 * untouched. */
int pipeline_minimize(struct pipeline *p, const struct pl_result *r, const struct min_opts *opts,
		      FILE *log, struct min_stats *st, struct pl_result *small);

/* What a divergence of case c with the executors' signature sig is filed
 * under (struct finding), knobs of c counting for the known list. */
void pipeline_file(const struct pipeline *p, const struct test_case *c, const char *sig,
		   struct finding *f);

/* The cluster key of bucket key for a case with knobs (knobs_needed 0:
 * not known to be needed, "[?]"). */
void pipeline_cluster(const char *key, uint32_t knobs, int knobs_needed,
		      char buf[PIPELINE_CLUSTER_MAX]);

/* Whether a case file's recorded known line (signature, maybe a pattern)
 * names a divergence with signature sig (replay's XFAIL, run's note). */
int pipeline_case_known(const char *known_signature, const char *sig);

#endif
