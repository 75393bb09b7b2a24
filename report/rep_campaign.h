/* A campaign directory as the report sees it (rep_load.c): the stats
 * lines as time series, the runs' options and hosts, the saved buckets
 * and their clusters. Everything is read from disk; nothing is recomputed
 * but the grouping of buckets by the cluster key the campaign wrote. */
#ifndef EXITDIFF_REP_CAMPAIGN_H
#define EXITDIFF_REP_CAMPAIGN_H

#include <stddef.h>
#include <stdint.h>
#include "rep_json.h"

/* Series kept per worker and per lane; more would not fit one legend. */
#define REP_MAX_WORKERS 16
#define REP_MAX_LANES 8
#define REP_KEY 192

struct rep_sample {
	double t;                         /* campaign seconds */
	double execs, rate, clusters, buckets;
	double exec_failures, hv_failures, restarts, crashes, unsupported_rate;
	double wrate[REP_MAX_WORKERS];    /* execs/s over the period; NaN = unknown */
	double lane_unsup[REP_MAX_LANES]; /* unsupported share of the period's execs; NaN */
};

struct rep_run {
	double unix_time, time;
	char host[128], kernel[64], backend[32], vendor[16], cpu[24];
	char env[512], generator[32], command[1024], known[256], seed[24];
	char against[160];   /* the hypervisor under test: "kvm" or "vmm:..." */
	unsigned jobs;
	double seconds, execs;
};

struct rep_bucket {
	char name[256];                   /* directory under OUT/buckets */
	char sig[256];
	char cluster[REP_KEY];
	char verdict[320];                /* OUT/buckets/NAME/verdict, "" when not triaged */
	char env[128];                    /* the hits file's needs/carries line */
	uint64_t hits;
	double first_seen;                /* campaign seconds; NaN when no stats line named it */
};

struct rep_cluster {
	char key[REP_KEY];
	uint64_t hits;
	size_t nbuckets;
	double first_seen;
	size_t example;                   /* its most-hit bucket */
	size_t nverdicts;                 /* distinct verdicts among its triaged buckets */
};

struct rep_campaign {
	const char *out;
	struct rep_sample *s;
	size_t ns;
	unsigned nworkers;
	char lane[REP_MAX_LANES][24];
	unsigned nlanes;
	struct json_doc last;             /* the last stats line */
	struct rep_run *runs;
	size_t nruns;
	struct rep_bucket *b;             /* most hits first */
	size_t nb;
	struct rep_cluster *c;            /* most hits first */
	size_t nc;
};

int rep_load(struct rep_campaign *c, const char *out, char *err, size_t errlen);
/* Only OUT/runs.jsonl into c (which rep_free frees): what a reader of a
 * campaign that needs no stats (triage, for rep_hv) loads. 0, or -1 with
 * err naming the file and line when it is malformed; no file is 0 runs. */
int rep_load_runs(struct rep_campaign *c, const char *out, char *err, size_t errlen);
void rep_free(struct rep_campaign *c);
/* The last stats line's root object. */
const struct json_node *rep_last(const struct rep_campaign *c);
/* The hypervisor the campaign's last run tested, as verdicts name it:
 * "KVM", or "vmm:qemu-tcg" (runs.jsonl's "against"). */
const char *rep_hv(const struct rep_campaign *c);

#endif
