/*
 * The built-in fuzzing campaign: N forked workers generate cases, run them
 * on both executors and compare; the parent buckets divergences by
 * signature and owns every file under the output directory.
 *
 *   camp_parent.c  fork/restart workers, the poll loop, signals, the end
 *   camp_worker.c  the hot loop: generate, the finding pipeline
 *                  (pipeline/pipeline.h), batch the counts
 *   camp_sigtab.c  a worker's table of the signatures it has seen
 *   camp_clusters.c  saved buckets grouped by cluster key
 *   camp_store.c   output directory: buckets, crashes, state, resume
 *   camp_stats.c   totals, mnemonic tables, stats.jsonl, status, summary
 *   camp_health.c  per-worker failures/recoveries/restarts, failure share
 *
 * Output layout (docs/campaigns.md):
 *   OUT/buckets/<sanitized-signature>-<hash>/case.case        first case
 *   OUT/buckets/<...>/kvm-outcome.txt   KVM's outcome and the divergence
 *   OUT/buckets/<...>/hits              signature, hit count (commit mark)
 *   OUT/crashes/<case-id>.case          case a worker died on
 *   OUT/stats.jsonl                     one JSON line every ~2 s, with
 *                                       per-lane (mode) and per-family counts
 *   OUT/state                           totals for resume
 */
#ifndef EXITDIFF_CAMPAIGN_H
#define EXITDIFF_CAMPAIGN_H

#include <stdint.h>
#include "executor.h"
#include "gen.h"

struct campaign_opts {
	unsigned jobs;              /* worker processes, >= 1 */
	double seconds;             /* wall-clock limit, 0 = none */
	uint64_t execs;             /* execs in this run, 0 = none */
	uint64_t seed;
	const struct generator *gen;
	const struct gen_config *gcfg; /* modes and knobs, NULL = long64 only */
	const char *out;            /* output directory */
	const char *known_path;     /* known-divergence list, NULL = none */
	/* The VMM that takes KVM's place (fuzz --against vmm:NAME): the known
	 * list's [vmm=NAME] entries hold, its KVM entries do not. NULL: KVM. */
	const char *vmm;
	/* The same as --against gave it ("vmm:qemu-tcg", "vmm:CMD {image}"),
	 * recorded in runs.jsonl so that triage re-runs what the campaign
	 * ran. NULL: KVM. */
	const char *against;
	double stats_period;        /* seconds between stats lines (~2) */
	const char *cmdline;        /* the command as typed, for the report; NULL = none */
	/* Rewrite OUT/report.html this often while running (0 = never);
	 * the final one is written at the end either way when set. */
	double report_period;
};

/* KVM's time budget for a case the reference ran to its step budget
 * (struct pipeline's short_budget_us); `exitdiff bench` gives KVM alone
 * the same, so its rate is the campaign's own floor. */
#define CAMP_SHORT_BUDGET_US 1000

/* Cases a worker hands its executors at once when the one in KVM's place
 * runs many per call (executor_ops.run_batch: a VMM's mailbox round of
 * MBOX_BATCH_MAX). A case's findings wait for the rest of its round. */
#define CAMP_BATCH 32

/* How a worker process gets its executors. The CLI opens a session (KVM +
 * reference sharing the CPUID table); tests plug in fakes. */
struct campaign_backend {
	/* Called in the worker after fork. Returns a handle and sets *ref and
	 * *kvm, or NULL after printing a one-line reason to stderr. */
	void *(*open)(struct executor **ref, struct executor **kvm);
	void (*close)(void *handle);
};

/* Runs the campaign to its limit or until SIGINT/SIGTERM. Returns 0 when it
 * ran (whatever it found), 2 on input or setup errors (message printed), 3
 * when it ran but the harness was unhealthy (executor failures over 1% of
 * execs in a stats period or the run, or a worker abandoned; the summary
 * ends with a WARNING line saying which). */
int campaign_run(const struct campaign_opts *o, const struct campaign_backend *b);

#endif
