/* Internals of the campaign shared by its files (see campaign.h). */
#ifndef EXITDIFF_CAMP_INTERNAL_H
#define EXITDIFF_CAMP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "campaign.h"
#include "config.h"
#include "known.h"
#include "outcome.h"

/* Per lane (mode, and long64 at CPL3: gen.h enum gen_lane). steps sums
 * the instructions the reference executed; each UNSUPPORTED case adds
 * one it did not model, so modeled share = steps / (steps + unsupported). */
struct camp_lane_counts {
	uint64_t execs, agree, diverge, unsupported, known, steps, exec_failures;
};
/* Per lane and template family: cases that contain at least one
 * instruction of the family (a case with several families counts in each). */
struct camp_fam_counts {
	uint64_t cases, agree, diverge, unsupported;
};
#define CAMP_LANE_FIELDS 7
#define CAMP_FAM_FIELDS 4
extern const char *const camp_lane_field_names[CAMP_LANE_FIELDS];
extern const char *const camp_fam_field_names[CAMP_FAM_FIELDS];

/* Counters a worker batches and the parent sums. */
struct camp_counts {
	uint64_t execs, agree, diverge, unsupported, known, exec_failures;
	/* Divergences a second KVM run did not reproduce (a host hiccup made
	 * the time budget run out, say): counted, never bucketed. */
	uint64_t unconfirmed;
	/* Hypervisor failures (the KVM executor's run failed on a case: a
	 * finding, bucketed "executor#ERRNO/WHERE"), and the times the KVM
	 * executor rebuilt its VM to go on (docs/harness.md "Recovery"). */
	uint64_t hv_failures, recoveries;
	/* The host kernel log (core/kmsg.h): findings attributed to a case
	 * (the line names this worker's pid, or a re-run printed it again),
	 * finding lines no case of this worker reproduced, lines naming
	 * another process, and messages the kernel's rate limit suppressed. */
	uint64_t kmsg_findings, kmsg_unattributed, kmsg_foreign, kmsg_suppressed;
	uint64_t exits_ref[EXIT_KIND_COUNT], exits_kvm[EXIT_KIND_COUNT];
	struct camp_lane_counts lane[LANE_COUNT];
	struct camp_fam_counts fam[LANE_COUNT][FAM_COUNT];
};

/* Worker -> parent messages: records on the worker's own pipe (one pipe
 * per worker, so records never interleave), each camp_rec_size(type)
 * bytes. REC_FIRST is followed by len1 + len2 bytes of text (case file,
 * KVM outcome). */
enum camp_rec_type {
	REC_COUNTS = 1,  /* c: counter deltas */
	REC_HIT,         /* name = signature, n = hits, known = on the list */
	REC_UNSUP,       /* name = mnemonic the reference does not model, n */
	REC_REACHED,     /* name = mnemonic the reference executed */
	REC_FIRST,       /* name = signature; case seed; text follows */
	REC_FATAL,       /* name = one-line reason; worker exits */
};

struct camp_rec {
	uint32_t type;
	uint32_t known;
	uint32_t len1, len2;
	uint32_t lane;   /* REC_UNSUP: enum gen_lane of the cases */
	/* REC_FIRST: the saved case's mode and knobs; with minimized set, the
	 * minimizer tried each knob away and a simpler mode, so these are
	 * the ones the divergence needs. */
	uint32_t mode, knobs, minimized;
	uint32_t event;  /* REC_FIRST: the case's event kind (case_event.h) */
	uint64_t n, seed;
	char name[SIGNATURE_MAX];
	struct camp_counts c;  /* REC_COUNTS only: the last member */
};

/* A record's bytes on the pipe: only REC_COUNTS carries the counters
 * (~4.7 KB); the others stop before them. A flush sends a REC_HIT for
 * every signature hit in its period, hundreds of them. */
static inline size_t camp_rec_size(uint32_t type)
{
	return type == REC_COUNTS ? sizeof(struct camp_rec) : offsetof(struct camp_rec, c);
}

/* What a worker publishes about the case it runs, in a MAP_SHARED page, so
 * the parent can save the case when the worker dies on it. */
struct camp_shared {
	volatile uint64_t seed;     /* case seed of the exec in progress */
	volatile uint64_t k;        /* its local exec index */
	volatile uint32_t busy;     /* 1 while between generate and diff end */
	/* Counters of this worker incarnation, cumulative: the worker counts
	 * here, so the parent recovers what a dying worker never reported. */
	struct camp_counts cnt;
};

/* Everything a worker needs, fixed before fork. */
struct camp_worker_args {
	unsigned index;
	uint64_t seed, base;        /* case seed = gen_case_seed(seed, index, base + k) */
	uint64_t k0, k_end;         /* local exec range [k0, k_end) */
	double deadline;            /* CLOCK_MONOTONIC seconds, 0 = none */
	const struct generator *gen;
	const struct gen_config *gcfg; /* mode/knob policy, NULL = long64 only */
	const struct known_list *known;
	const struct campaign_backend *backend;
	struct camp_shared *shared;
	int fd;                     /* write end of its pipe */
	const char *out;            /* OUT: which buckets are saved already */
};

/* A worker's exit status when its KVM executor is dead (a VM rebuild
 * failed) or fails every case: the parent restarts it, as after a crash,
 * but counts a restart, not a crash (no bug of ours; the case that broke it
 * is already saved as a bucket). Status 3 = set-up failure (REC_FATAL). */
#define CAMP_EXIT_EXECUTOR_DEAD 4
/* Consecutive executor failures after which a worker gives up on its
 * executors and exits with CAMP_EXIT_EXECUTOR_DEAD: a fresh process gets
 * fresh executors. Recovery makes a run of failures this long unlikely
 * (each failure rebuilds the VM); this is the backstop. */
#define CAMP_MAX_FAILURE_RUN 64

/* camp_worker.c: never returns. */
void camp_worker_main(const struct camp_worker_args *a) __attribute__((noreturn));

double camp_now(void);

/* --- camp_stats.c: the parent's picture of the campaign --- */

struct camp_bucket {
	char sig[SIGNATURE_MAX];
	char dir[256];              /* relative to OUT, "" for known ones */
	uint64_t hits;
	uint64_t seed;              /* case seed of the first case */
	/* The saved case's environment (REC_FIRST); env_minimized: the knobs
	 * are the needed ones (the minimizer dropped the others). */
	uint32_t mode, knobs;
	uint32_t event;             /* its event kind; 0 also when reloaded */
	int env_known, env_minimized;
	int known;
	int dirty;                  /* hits changed since the last write */
	/* Listed in a stats.jsonl line's new_buckets (buckets loaded on
	 * resume were listed by an earlier run's lines). */
	int announced;
};

struct camp_name_count {
	char name[32];
	uint64_t n;
};

/* One worker slot's health over this run (all its incarnations). */
enum camp_worker_state { CAMP_W_RUNNING, CAMP_W_FINISHED, CAMP_W_ABANDONED };
struct camp_worker_health {
	uint64_t execs, exec_failures, hv_failures, recoveries, restarts;
	int state;                  /* enum camp_worker_state */
};

/* Executor failures above this share of the execs of one judged window
 * (or of the whole run) make the campaign unhealthy: the status line says
 * so, the summary ends with a warning and the exit status is
 * CAMP_EXIT_UNHEALTHY. A window is as many stats periods as it takes to
 * hold CAMP_HEALTH_MIN_EXECS execs: 1% of it is then 10 failures, which a
 * loop of failing execs passes at once and two VMM crashes in a slow
 * period do not (a TCG campaign's 2 s period holds 500-1000 execs, and
 * one period of 155 with 2 QEMU aborts read 1.29%: exit 3 for a campaign
 * whose failures were 0.09%). A window every exec of which failed is
 * unhealthy whatever its size. */
#define CAMP_UNHEALTHY_SHARE 0.01
#define CAMP_HEALTH_MIN_EXECS 1000

struct camp_health {
	struct camp_worker_health *w;   /* one per worker slot */
	unsigned nw;
	uint64_t restarts;              /* this run, all workers */
	uint64_t win_execs0, win_fail0; /* totals at the start of the window */
	double last_share;              /* of the last judged window */
	int unhealthy_now;              /* the last window was over the share */
	unsigned periods, unhealthy_periods;
	double worst_share;
	uint64_t run_execs0, run_fail0; /* totals when this run began */
};

struct camp_state {
	struct camp_health health;  /* this run only (not resumed) */
	struct camp_counts tot;     /* all runs on this OUT, resumed included */
	uint64_t execs_at_start;    /* tot.execs when this run began */
	double elapsed_before;      /* campaign seconds of earlier runs */
	uint64_t crashes;
	struct camp_bucket *b;
	size_t nb, capb;
	/* Known keys among b, and the hits of known keys met when
	 * CAMP_KNOWN_KEYS_MAX were held already (counted, not kept). */
	size_t nknown;
	uint64_t known_other;
	/* Hash index over b (position + 1, 0 = empty; power-of-two size):
	 * a campaign may hold tens of thousands of signatures, and every
	 * hit record looks one up. */
	size_t *bindex, bindex_cap;
	struct camp_name_count *unsup, *reached;
	size_t nunsup, capunsup, nreached, capreached;
	/* UNSUPPORTED mnemonics per lane. */
	struct camp_name_count *lunsup[LANE_COUNT];
	size_t nlunsup[LANE_COUNT], caplunsup[LANE_COUNT];
};

void camp_counts_add(struct camp_counts *t, const struct camp_counts *d);
/* d = a - b, field by field (a worker's unreported counts). */
void camp_counts_sub(struct camp_counts *d, const struct camp_counts *a,
		     const struct camp_counts *b);
struct camp_bucket *camp_bucket_find(struct camp_state *s, const char *sig);
struct camp_bucket *camp_bucket_add(struct camp_state *s, const char *sig, int known);
/* Known keys the parent keeps one by one (~0.5 KB each). The known list's
 * patterns match a new key every few execs (3,455 in a 60 s campaign,
 * measured), and a table of all of them grew the parent ~17 MB an hour.
 * None of them is a finding: past this many, a new known key's hits are
 * only summed (known_other), which keeps the parent's table bounded while
 * the known count stays exact. */
#define CAMP_KNOWN_KEYS_MAX 4096
/* Adds n hits to known key sig: its bucket, made when fewer than
 * CAMP_KNOWN_KEYS_MAX are held, else known_other. */
void camp_known_hit(struct camp_state *s, const char *sig, uint64_t n);
/* Distinct names a table keeps. The reference names an MSR it does not
 * model with its index ("rdmsr:0x2092"), and generated indices are
 * random: a 12-minute campaign met 10,000 such names, each kept in the
 * parent (and in its state file) for good. Past this many, a new name
 * counts under CAMP_NAMES_OTHER. */
#define CAMP_NAMES_MAX 2048
#define CAMP_NAMES_OTHER "(other)"
/* Adds n to name's count (n may be 0: registers the name). */
void camp_names_add(struct camp_name_count **v, size_t *nv, size_t *cap,
		    const char *name, uint64_t n);
/* New buckets saved under OUT/buckets/ (their case, KVM outcome and hits
 * files written). A signature counted without a saved case (its case
 * never arrived, or writing it failed) is not one: see camp_buckets_unsaved. */
size_t camp_buckets_new(const struct camp_state *s);
size_t camp_buckets_unsaved(const struct camp_state *s);
uint64_t camp_known_hits(const struct camp_state *s);
void camp_state_free(struct camp_state *s);

/* --- camp_clusters.c: buckets grouped by root-cause cluster --- */

#define CAMP_CLUSTER_KEY 192
struct camp_cluster {
	char key[CAMP_CLUSTER_KEY];       /* core/cluster.h */
	uint64_t hits;                    /* summed over its buckets */
	size_t buckets;
	const struct camp_bucket *example; /* its most-hit minimized bucket (into s->b) */
};
/* The clusters of s's saved buckets, most hits first, into *out (malloc'd;
 * the caller frees). Returns how many (0 with *out NULL when out of memory
 * or nothing is saved). */
size_t camp_clusters(const struct camp_state *s, struct camp_cluster **out);
/* The cluster key of one saved bucket (what camp_clusters groups by). */
void camp_bucket_cluster_key(const struct camp_bucket *b, char *buf, size_t len);

/* Appends one JSON line (stats.jsonl fields: docs/campaigns.md). */
void camp_stats_json(FILE *f, const struct camp_state *s, double t, double rate,
		     unsigned workers);
/* s as a JSON string, quoted and escaped. */
void camp_json_str(FILE *f, const char *s);
/* One-line status (no newline). */
void camp_status_line(char *buf, size_t len, const struct camp_state *s, double t,
		      double rate);
void camp_summary(FILE *f, const struct camp_state *s, const char *out, double secs);

/* --- camp_health.c: is the harness healthy? --- */

/* The campaign's exit status when it ran but the harness was unhealthy
 * (docs/campaigns.md): 0 = ran, 2 = usage or set-up error. */
#define CAMP_EXIT_UNHEALTHY 3

/* Allocates one health slot per worker; marks the run's start. */
int camp_health_init(struct camp_state *s, unsigned workers);
/* Judges the stats period that ends now (called once per tick). */
void camp_health_period(struct camp_state *s);
/* 1 when the run was unhealthy, with why (one line, no newline). */
int camp_health_bad(const struct camp_state *s, char *why, size_t len);
/* JSON array of per-worker health (stats.jsonl "worker_health"). */
void camp_health_json(FILE *f, const struct camp_state *s);
/* Appends the health part of the status line to buf (at n). */
int camp_health_status(char *buf, size_t len, int n, const struct camp_state *s);
/* The summary's health lines (per worker; the warning when unhealthy). */
void camp_health_summary(FILE *f, const struct camp_state *s);

/* --- camp_store.c: files under OUT; all written temp + rename --- */

/* Creates OUT, OUT/buckets, OUT/crashes. Returns 0 or -1 with err. */
int camp_store_init(const char *out, char *err, size_t errlen);
/* Loads OUT/state and OUT/buckets/x/hits into s (missing = fresh). */
int camp_store_load(const char *out, struct camp_state *s, char *err, size_t errlen);
/* Writes a new bucket's files (case text, KVM outcome text), then its hits
 * file. Fills b->dir. Returns 0 or -1 with err. */
int camp_store_new_bucket(const char *out, struct camp_bucket *b, const char *case_text,
			  size_t len1, const char *kvm_text, size_t len2,
			  char *err, size_t errlen);
/* Rewrites the hits files of dirty buckets and the state file. */
int camp_store_flush(const char *out, struct camp_state *s, double elapsed,
		     char *err, size_t errlen);
/* Appends one line to OUT/runs.jsonl when a run starts: its options and
 * the host it runs on (what the report shows and --compare compares). */
int camp_store_run_line(const char *out, const struct campaign_opts *o, double elapsed_before);
/* 1 when sig's bucket is saved under OUT (its hits file, written last,
 * exists): the parent has it, loaded on resume or saved this run. A
 * worker asks before it cuts, minimizes and sends a signature new to it
 * (after a restart, a resume, or its table's bounding, and for a bucket
 * another worker saved first), which would only make a copy the parent
 * drops. One stat(). */
int camp_store_bucket_saved(const char *out, const char *sig);
/* Saves the case a worker died on. Fills path. */
int camp_store_crash(const char *out, const struct test_case *c, const char *why,
		     char *path, size_t pathlen, char *err, size_t errlen);
/* Appends one line to OUT/stats.jsonl; the buckets it lists as new are
 * marked announced once the line is written. */
int camp_store_stats_line(const char *out, struct camp_state *s, double t,
			  double rate, unsigned workers);

/* --- camp_sigtab.c: a worker's signature table --- */

struct sig_slot {
	char sig[SIGNATURE_MAX];
	uint64_t delta;      /* hits not yet reported */
	uint8_t known;
	uint32_t self;       /* its own entry index */
	/* Non-zero: hits count on entry alias - 1, the signature of this
	 * one's first divergence (pipeline_first). */
	uint32_t alias;
};

/* The signatures (and signature|knobs keys) a worker has seen, known ones
 * included: the known list's patterns match every mnemonic in every mode,
 * so a campaign meets thousands (8,300 keys in the first minute of a
 * default campaign, measured: 3,500 known, 4,800 aliases, 54 new buckets).
 * The table grows instead of filling up within a case (a full table used to
 * send a new signature as a bare hit whose case never reached the parent),
 * and between cases the worker bounds it (sigtab_bound): ~150 bytes per
 * key, so CAMP_SIGTAB_MAX keys keep a worker's table near 5 MB for a
 * campaign of any length. */
struct sig_table {
	struct sig_slot **blocks;   /* n entries in fixed blocks: pointers stay valid */
	size_t n, nblocks;
	uint32_t *index;            /* open addressing: entry + 1, 0 = empty */
	size_t index_cap;           /* power of two, at least 2 * n */
};

/* Entry i (0 <= i < t->n). */
struct sig_slot *sigtab_entry(const struct sig_table *t, size_t i);
/* The entry of sig, claimed when new (*fresh = 1); NULL when the table
 * cannot grow (out of memory). */
struct sig_slot *sigtab_slot(struct sig_table *t, const char *sig, int *fresh);
/* 1 when sig has an entry whose alias chain ends on a known one: the
 * worker has met that signature and the known list names it (or names
 * its first divergence). Claims nothing. */
int sigtab_known(const struct sig_table *t, const char *sig);
/* The entry of sig, or NULL when the worker has not met it. Claims
 * nothing. */
const struct sig_slot *sigtab_find(const struct sig_table *t, const char *sig);
/* Keys a worker's table holds before sigtab_bound empties part of it. */
#define CAMP_SIGTAB_MAX 32768
/* With n >= max entries: drops every entry whose alias chain ends on a
 * known one (looked up again when met again: the known list decides the
 * same way), keeping new buckets and the aliases that lead to them; when
 * those alone are over max / 2, drops all (a bucket met again is found
 * saved under OUT, camp_store_bucket_saved, and neither cut nor sent; one
 * not saved yet is sent again and the parent drops the copy). No
 * hit is lost: call it only after every delta was reported (all zero),
 * and never while holding an entry. Returns how many entries it dropped. */
size_t sigtab_bound(struct sig_table *t, size_t max);
/* Bytes the table holds (blocks and index). */
size_t sigtab_bytes(const struct sig_table *t);
void sigtab_free(struct sig_table *t);
/* FNV-1a of a string: the workers' table hash. */
uint32_t camp_hash_str(const char *s);

#endif
