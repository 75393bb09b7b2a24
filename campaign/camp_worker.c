/*
 * A campaign worker: its own executors, the hot loop, and batched reports
 * to the parent. Nothing here formats text per exec: a signature is looked
 * up only when a case diverges, and a case is printed only the first time
 * this worker sees a new signature.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include "camp_internal.h"
#include "case_text.h"
#include "diff.h"
#include "finding.h"
#include "kmsg.h"
#include "knobs.h"
#include "min.h"
#include "pipeline.h"

/* Report period: a crash or kill -9 loses at most this much counting. */
#define FLUSH_PERIOD_S 0.1
#define NAME_SLOTS 1024

static volatile sig_atomic_t stop_requested;

static void on_term(int sig)
{
	(void)sig;
	stop_requested = 1;
}

double camp_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct name_slot {
	char name[32];
	uint64_t delta;      /* unsupported count not yet reported */
	uint8_t used, reached_sent, unsup;
};

/* A finding line the kernel logged while this worker's case ran. */
struct kmsg_hit {
	char key[SIGNATURE_MAX];
	char line[256];
	long pid;                    /* the pid the line names (ours), or 0 */
};
#define KMSG_PENDING_MAX 8

/* What the kernel-log callback does with a finding line. */
enum kmsg_mode { KMSG_COLLECT, KMSG_CONFIRM, KMSG_DISCARD };

struct worker {
	const struct camp_worker_args *a;
	struct camp_counts *cnt;     /* in the shared page */
	struct camp_counts sent;     /* what REC_COUNTS already carried */
	struct sig_table sigs;        /* camp_sigtab.c */
	struct name_slot *names;
	int dead_pipe;
	struct executor *xref, *xkvm;
	/* Run, confirm, cut to the first divergence, minimize
	 * (pipeline/pipeline.h). */
	struct pipeline pl;
	struct case_file *print_cf;   /* case_print's input (too big for a stack) */
	struct outcome *scratch;      /* KVM's outcome of a kernel-log re-run */
	unsigned lane, mode;          /* of the case in hand */
	/* The host kernel log (fd -1 when not watched). */
	struct kmsg_reader kmsg;
	enum kmsg_mode kmsg_mode;
	struct kmsg_hit kmsg_pend[KMSG_PENDING_MAX];
	unsigned kmsg_npend;
	const char *kmsg_confirm_key; /* KMSG_CONFIRM: the key looked for */
	int kmsg_confirmed;
	int kvm_extra_runs;           /* KVM ran more than the case (confirm, cut) */
	unsigned kmsg_said;           /* unattributed lines printed so far */
	void *backend;                /* a->backend->open's handle */
	uint64_t recoveries_seen;     /* xkvm->recoveries already counted */
	unsigned failure_run;         /* consecutive execs an executor failed */
	/* The cases in hand: their seeds, the exec number of the first (the
	 * crash record's, set by on_case). */
	const struct test_case *batch;
	const uint64_t *batch_seed;
	uint64_t batch_k;
	/* The last answer of the known list (known_of): a new signature is
	 * looked up before its confirming run and again as its slot is
	 * claimed. */
	char memo_sig[SIGNATURE_MAX], memo_known_key[SIGNATURE_MAX];
	uint32_t memo_knobs;
	const struct known_entry *memo_e;
	/* The entries whose delta left 0 since the last flush: flush reports
	 * them, not a scan of a table that reaches 32768 entries (5 MB) in a
	 * long campaign, ten times a second. */
	uint32_t *hit_list;
	size_t n_hit, cap_hit;
	int held;                     /* send_rec gathers into held_buf */
	char *held_buf;
	size_t held_len, held_cap;
};

static void send_all(struct worker *w, const void *p, size_t len)
{
	const char *b = p;
	while (len && !w->dead_pipe) {
		ssize_t n = write(w->a->fd, b, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* The parent is gone (kill -9): nothing to report to. */
			w->dead_pipe = 1;
			return;
		}
		b += n;
		len -= (size_t)n;
	}
}

/* While w->held is on (flush), records gather in w->held_buf and go in
 * one write: a flush reports every signature hit in its period, a write
 * each cost the worker about 1% of its time. */
static void send_rec(struct worker *w, struct camp_rec *r)
{
	size_t size = camp_rec_size(r->type);
	if (w->held) {
		if (w->held_len + size > w->held_cap) {
			size_t cap = w->held_cap ? 2 * w->held_cap : 64 * sizeof(*r);
			char *nb = realloc(w->held_buf, cap);
			if (nb) {
				w->held_buf = nb;
				w->held_cap = cap;
			} else {
				/* No room: what is held goes first, in order. */
				send_all(w, w->held_buf, w->held_len);
				w->held_len = 0;
			}
		}
		if (w->held_len + size <= w->held_cap) {
			memcpy(w->held_buf + w->held_len, r, size);
			w->held_len += size;
			return;
		}
	}
	send_all(w, r, size);
}

static void send_held(struct worker *w)
{
	send_all(w, w->held_buf, w->held_len);
	w->held_len = 0;
	w->held = 0;
}

static void fatal(struct worker *w, const char *msg)
{
	struct camp_rec r;
	memset(&r, 0, sizeof(r));
	r.type = REC_FATAL;
	snprintf(r.name, sizeof(r.name), "%s", msg);
	send_rec(w, &r);
	_exit(3);
}

static struct name_slot *name_slot(struct worker *w, const char *name)
{
	uint32_t h = camp_hash_str(name);
	for (uint32_t i = 0; i < NAME_SLOTS; i++) {
		struct name_slot *s = &w->names[(h + i) & (NAME_SLOTS - 1)];
		if (!s->used) {
			s->used = 1;
			snprintf(s->name, sizeof(s->name), "%s", name);
			return s;
		}
		if (!strcmp(s->name, name))
			return s;
	}
	return NULL; /* table full: stop tracking new names */
}

/* Mnemonics the reference executed: the one it ended on and the last
 * writers of each field, which is what an outcome records. Reported once
 * per name per worker. */
static void note_reached(struct worker *w, const struct outcome *ref, int unsupported)
{
	const char *names[GPR_COUNT + 3];
	size_t n = 0;
	if (!unsupported) /* then it names what the reference did NOT run */
		names[n++] = ref->mnemonic;
	names[n++] = ref->writer_flags;
	names[n++] = ref->writer_mem;
	for (int i = 0; i < GPR_COUNT; i++)
		names[n++] = ref->writer_gpr[i];
	for (size_t i = 0; i < n; i++) {
		if (!names[i][0])
			continue;
		char nm[32];
		size_t len = strnlen(names[i], 15);
		memcpy(nm, names[i], len);
		nm[len] = 0;
		struct name_slot *s = name_slot(w, nm);
		if (!s || s->reached_sent)
			continue;
		s->reached_sent = 1;
		struct camp_rec r;
		memset(&r, 0, sizeof(r));
		r.type = REC_REACHED;
		snprintf(r.name, sizeof(r.name), "%s", nm);
		send_rec(w, &r);
	}
}

/* Unsupported counts are kept per lane: the slot key is "LANE:mnemonic"
 * (a digit and a colon no mnemonic starts with). */
static void note_unsupported(struct worker *w, const char *mnemonic)
{
	char nm[32];
	snprintf(nm, sizeof(nm), "%u:%.29s", w->lane, mnemonic[0] ? mnemonic : "?");
	struct name_slot *s = name_slot(w, nm);
	if (s) {
		s->unsup = 1;
		s->delta++;
		return;
	}
	struct camp_rec r;
	memset(&r, 0, sizeof(r));
	r.type = REC_UNSUP;
	r.n = 1;
	r.lane = w->lane;
	snprintf(r.name, sizeof(r.name), "%s", nm + 2);
	send_rec(w, &r);
}

/* The printers' third argument is the worker's scratch case_file. */
typedef void (*print_fn)(FILE *, const void *ctx, struct case_file *cf);

static char *print_to_string(print_fn fn, const void *x, struct case_file *cf, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (!f)
		return NULL;
	fn(f, x, cf);
	fclose(f);
	return buf;
}

/* A divergence on its way to a bucket: the pipeline's result (the case,
 * its outcomes, the diff with the executors' signature) and the key it
 * files under. */
struct first_ctx {
	const struct pl_result *r;
	const char *key;                  /* bucket key (signature[@MODE]) */
	const struct test_case *original; /* as generated, when r->c is not, or NULL */
	int minimized;
};

/* Who took KVM's place, as the bucket's notes name it: "KVM", or the
 * VMM ("vmm:qemu-tcg"); its outcome is kvm-outcome.txt all the same (the
 * file name is the format's). Set once when the worker starts. */
static char hv_label[160] = "KVM";

static void print_case(FILE *f, const void *x, struct case_file *cf)
{
	const struct first_ctx *fc = x;
	const struct test_case *c = fc->r->c;
	char line[256];
	memset(cf, 0, sizeof(*cf));
	cf->c = *c;
	cf->has_expect = 1;
	cf->expect = *fc->r->ref;
	divergence_describe(&fc->r->d, line, sizeof(line));
	fprintf(f, "# exitdiff fuzz: first case of bucket %s\n", fc->key);
	if (fc->r->cut_at >= 0)
		fprintf(f, "# cut at its first divergence: HLT at code offset 0x%x\n",
			(unsigned)fc->r->cut_at);
	if (fc->original)
		fprintf(f, "# %s from %s (%u code bytes to %u); the original is in kvm-outcome.txt\n",
			fc->minimized ? "minimized" : "cut", fc->original->id, fc->original->code_len, c->code_len);
	if (fc->minimized) {
		char kn[128];
		knobs_format(c->knobs, kn, sizeof(kn));
		fprintf(f, "# needs: mode %s, knobs %s (the minimizer tried each other knob away "
			"and a simpler mode: the divergence went or changed)\n",
			mode_name((enum cpu_mode)c->mode), kn[0] ? kn : "none");
	}
	fprintf(f, "# %s\n", line);
	fprintf(f, "# expect = the reference outcome; %s's is in kvm-outcome.txt\n", hv_label);
	case_print(f, cf);
}

static void print_kvm(FILE *f, const void *x, struct case_file *cf)
{
	const struct first_ctx *fc = x;
	const struct test_case *c = fc->r->c;
	char line[256];
	divergence_describe(&fc->r->d, line, sizeof(line));
	fprintf(f, "signature %s\ndivergence %s\ncase %s seed 0x%016llx\nkvm outcome:\n",
		fc->key, line, c->id, (unsigned long long)c->seed);
	outcome_print(f, fc->r->kvm, c);
	if (fc->original) {
		memset(cf, 0, sizeof(*cf));
		cf->c = *fc->original;
		fprintf(f, "\noriginal case (as generated, before cutting and minimization):\n");
		case_print(f, cf);
	}
}

/* A campaign minimizes each new bucket before saving it, within
 * CAMP_MIN_MS; the original case travels along. Returns 1 with small
 * describing the result (w->small, w->min's outcomes) when the minimizer
 * ran and its result keeps the signature, even when nothing shrank: then
 * its knobs and mode are known to be needed (the environment passes run
 * first and tried each), which the bucket records. */
#define CAMP_MIN_MS 2000
static int minimize_first(struct worker *w, const struct first_ctx *fc, struct pl_result *small)
{
	struct min_opts opts = { .ms_budget = CAMP_MIN_MS };
	int rc = pipeline_minimize(&w->pl, fc->r, &opts, NULL, NULL, small);
	if (rc != MIN_OK && rc != MIN_ERR_PRED)
		return 0;
	snprintf(w->pl.min_case->id, sizeof(w->pl.min_case->id), "%.50s-min", fc->r->c->id);
	return 1;
}

static void send_first_text(struct worker *w, const char *sig, const struct test_case *c,
			    int minimized, print_fn case_fn, print_fn kvm_fn, const void *ctx);

/* A new signature for this worker: send the case and KVM's outcome as text.
 * The parent keeps the first one it receives and drops the others. The
 * bucket key stays the one of the case as generated: a minimized case may
 * run in a simpler mode, the bucket does not move. */
static void send_first(struct worker *w, const struct first_ctx *fc0)
{
	struct pl_result small;
	struct first_ctx fc = *fc0;
	if (minimize_first(w, fc0, &small)) {
		fc.r = &small;
		fc.original = fc0->original ? fc0->original : fc0->r->c;
		fc.minimized = 1;
	}
	send_first_text(w, fc.key, fc.r->c, fc.minimized, print_case, print_kvm, &fc);
}

struct fail_ctx {
	const struct test_case *c;
	const struct outcome *ref;   /* NULL when the reference failed too */
	const char *sig;             /* bucket key (mode suffix included) */
	const char *why;             /* the executor's error text */
};

/* case.case of a bucket that is not a divergence (a hypervisor failure, a
 * kernel-log line): what happened in the header, the reference outcome as
 * the expectation, the evidence (named by what) in kvm-outcome.txt. */
static void print_other_case(FILE *f, const char *key, const char *what, const char *text,
			     const char *evidence, const struct test_case *c, const struct outcome *ref,
			     struct case_file *cf)
{
	memset(cf, 0, sizeof(*cf));
	cf->c = *c;
	if (ref) {
		cf->has_expect = 1;
		cf->expect = *ref;
	}
	fprintf(f, "# exitdiff fuzz: first case of bucket %s\n", key);
	fprintf(f, "# %s:\n#   %s\n", what, text);
	fprintf(f, "# expect = the reference outcome; %s is in kvm-outcome.txt\n", evidence);
	case_print(f, cf);
}

static void print_fail_case(FILE *f, const void *x, struct case_file *cf)
{
	const struct fail_ctx *fc = x;
	char what[240];
	snprintf(what, sizeof(what), "the %s executor failed on this case (a hypervisor failure, not a "
		 "divergence)", hv_label);
	print_other_case(f, fc->sig, what, fc->why, "the error", fc->c, fc->ref, cf);
}

static void print_fail_kvm(FILE *f, const void *x, struct case_file *cf)
{
	(void)cf;
	const struct fail_ctx *fc = x;
	fprintf(f, "signature %s\nexecutor error %s\ncase %s seed 0x%016llx\n", fc->sig, fc->why,
		fc->c->id, (unsigned long long)fc->c->seed);
}

/* Sends the first case of a bucket that is not a divergence (a hypervisor
 * failure): the same REC_FIRST record, so the parent saves it the way it
 * saves divergences. */
static void send_first_text(struct worker *w, const char *sig, const struct test_case *c,
			    int minimized, print_fn case_fn, print_fn kvm_fn, const void *ctx)
{
	size_t l1 = 0, l2 = 0;
	char *t1 = print_to_string(case_fn, ctx, w->print_cf, &l1);
	char *t2 = print_to_string(kvm_fn, ctx, w->print_cf, &l2);
	if (t1 && t2) {
		struct camp_rec r;
		memset(&r, 0, sizeof(r));
		r.type = REC_FIRST;
		r.seed = c->seed;
		r.mode = c->mode;
		r.knobs = c->knobs;
		r.event = c->event[0].kind;
		r.minimized = (uint32_t)minimized;
		r.len1 = (uint32_t)l1;
		r.len2 = (uint32_t)l2;
		snprintf(r.name, sizeof(r.name), "%s", sig);
		send_rec(w, &r);
		send_all(w, t1, l1);
		send_all(w, t2, l2);
	}
	free(t1);
	free(t2);
}

static struct sig_slot *sig_entry(const struct worker *w, size_t i)
{
	return sigtab_entry(&w->sigs, i);
}

/* The entry of sig, claimed when new (*fresh = 1). A worker that cannot
 * grow its table stops the campaign (fatal) rather than count a signature
 * whose case it could not keep. */
static struct sig_slot *sig_slot(struct worker *w, const char *sig, int *fresh)
{
	struct sig_slot *s = sigtab_slot(&w->sigs, sig, fresh);
	if (!s)
		fatal(w, "worker: out of memory growing the signature table");
	return s;
}

static void count_hit(struct worker *w, struct sig_slot *s)
{
	if (!s->delta++) {
		if (w->n_hit == w->cap_hit) {
			size_t cap = w->cap_hit ? 2 * w->cap_hit : 1024;
			uint32_t *nl = realloc(w->hit_list, cap * sizeof(*nl));
			if (!nl)
				fatal(w, "worker: out of memory growing the list of hit signatures");
			w->hit_list = nl;
			w->cap_hit = cap;
		}
		w->hit_list[w->n_hit++] = s->self;
	}
	if (s->known) {
		w->cnt->known++;
		w->cnt->lane[w->lane].known++;
	}
}

static struct sig_slot *bucket_of(struct worker *w, const char *sig, uint32_t knobs,
				  const struct first_ctx *fc, int cut);

/* The alias value naming t: its entry index + 1. */
static uint32_t slot_ref(const struct sig_slot *t)
{
	return t->self + 1;
}

/* 1 when following t's aliases reaches s: aliasing s to t would make a
 * cycle, and hits would land on a key whose case was never sent. */
static int leads_to(const struct worker *w, const struct sig_slot *t, const struct sig_slot *s)
{
	for (int hops = 0; hops < 8; hops++) {
		if (t == s)
			return 1;
		if (!t->alias)
			return 0;
		t = sig_entry(w, t->alias - 1);
	}
	return 1;
}

/* A signature this worker has not seen and the known list does not name:
 * the bucket is named by the case's first divergence (min_cut_first), so a
 * wrong value is named by the instruction that produced it, not by each
 * instruction that later copied it. s then counts its hits there; later
 * cases with s's signature follow the first one's cut without cutting. */
static void new_signature(struct worker *w, struct sig_slot *s, const struct first_ctx *fc)
{
	struct pl_result cut;
	if (pipeline_first(&w->pl, fc->r, &cut)) {
		char key[SIGNATURE_MAX];
		finding_key(key, cut.d.signature, cut.c->mode);
		struct first_ctx cfc = { &cut, key, fc->r->c, 0 };
		/* The cut diverges with s's own signature: it is s's case. */
		if (!strcmp(key, s->sig)) {
			send_first(w, &cfc);
			return;
		}
		struct sig_slot *t = bucket_of(w, key, fc->r->c->knobs, &cfc, 0);
		if (!leads_to(w, t, s)) {
			s->alias = slot_ref(t);
			return;
		}
	}
	send_first(w, fc);
}

/* finding_known for the worker's list, the last answer kept. */
static const struct known_entry *known_of(struct worker *w, const char *sig, uint32_t knobs,
					  char known_key[SIGNATURE_MAX])
{
	if (w->memo_sig[0] && w->memo_knobs == knobs && !strcmp(w->memo_sig, sig)) {
		memcpy(known_key, w->memo_known_key, SIGNATURE_MAX);
		return w->memo_e;
	}
	w->memo_e = finding_known(w->a->known, sig, knobs, known_key);
	snprintf(w->memo_sig, sizeof(w->memo_sig), "%s", sig);
	memcpy(w->memo_known_key, known_key, SIGNATURE_MAX);
	w->memo_knobs = knobs;
	return w->memo_e;
}

/* The table key of signature sig from a case with knobs: sig, or with the
 * known list's knob conditions "sig|knobs" (bucket_of). */
static const char *slot_key(const struct worker *w, const char *sig, uint32_t knobs,
			    char key[SIGNATURE_MAX])
{
	if (!knobs || !w->a->known || !w->a->known->knob_entries)
		return sig;
	snprintf(key, SIGNATURE_MAX, "%.110s|%x", sig, knobs);
	return key;
}

/* The slot a divergence with signature sig, from a case with knobs,
 * counts on (follow its alias), claimed and resolved the first time:
 * known, named by its first divergence (cut), or a new bucket whose case
 * is sent. An entry of the known list with a knob condition ([cr4.smap]
 * SIGNATURE) makes the same signature known for some cases and not for
 * others, so with such entries a case with knobs is looked up per (sig,
 * knobs) once; a match counts under "SIGNATURE[knob,...]", a separate
 * known key. */
static struct sig_slot *bucket_of(struct worker *w, const char *sig, uint32_t knobs,
				  const struct first_ctx *fc, int cut)
{
	char key[SIGNATURE_MAX], known_key[SIGNATURE_MAX];
	const char *k = slot_key(w, sig, knobs, key);
	int per_knobs = k != sig;
	int fresh;
	struct sig_slot *s = sig_slot(w, k, &fresh);
	if (!fresh)
		return s;
	const struct known_entry *e = known_of(w, sig, per_knobs ? knobs : 0, known_key);
	if (per_knobs) {
		struct sig_slot *t;
		if (e && e->knobs) {
			t = sig_slot(w, known_key, &fresh);
			t->known = 1;
		} else {
			t = bucket_of(w, sig, 0, fc, cut);
		}
		if (!leads_to(w, t, s))
			s->alias = slot_ref(t);
		return s;
	}
	s->known = e != NULL;
	if (!s->known && !camp_store_bucket_saved(w->a->out, s->sig)) {
		if (cut)
			new_signature(w, s, fc);
		else
			send_first(w, fc);
	}
	return s;
}

/* A divergence the known list names is counted without the confirming
 * run, which can only tell whether to count it: nothing is saved from a
 * known divergence, and most of a campaign's divergences are known ones (a
 * second KVM run for each was 14% of a warm campaign's KVM runs; a known
 * hang's second run costs the whole hang again, ~12 ms, and hangs were
 * 9% of a default campaign's time when each (signature, knobs) was
 * confirmed once). Met before: the worker's table says, under the key
 * bucket_of files it under. Not met yet: the known list, directly (a
 * signature known only through its cut is confirmed, then cut). */
static int known_divergence(struct worker *w, const char *sig, uint32_t knobs)
{
	char key[SIGNATURE_MAX], known_key[SIGNATURE_MAX];
	const char *k = slot_key(w, sig, knobs, key);
	if (sigtab_find(&w->sigs, k))
		return sigtab_known(&w->sigs, k);
	return known_of(w, sig, k != sig ? knobs : 0, known_key) != NULL;
}

/* Whether the known list names key (a hypervisor-failure or kernel-log
 * key: no knobs, no mode). */
static int is_known(struct worker *w, const char *key)
{
	char known_key[SIGNATURE_MAX];
	return known_of(w, key, 0, known_key) != NULL;
}

/* The KVM executor failed on c (res->fail_sig set): a finding, bucketed
 * by that signature and the case's mode, counted like a divergence's hits,
 * the first case saved with the error text. */
static void note_hv_failure(struct worker *w, const struct test_case *c,
			    const struct outcome *ref, const struct pl_result *res)
{
	char sig[SIGNATURE_MAX];
	finding_key(sig, res->fail_sig, c->mode);
	int fresh;
	struct sig_slot *s = sig_slot(w, sig, &fresh);
	if (s && fresh)
		s->known = is_known(w, sig);
	if (s && fresh && !s->known && !camp_store_bucket_saved(w->a->out, sig)) {
		struct fail_ctx fc = { c, ref, sig, res->err + res->fail_text };
		send_first_text(w, sig, c, 0, print_fail_case, print_fail_kvm, &fc);
	}
	if (s) {
		count_hit(w, s);
		return;
	}
	struct camp_rec r;
	memset(&r, 0, sizeof(r));
	r.type = REC_HIT;
	r.n = 1;
	snprintf(r.name, sizeof(r.name), "%s", sig);
	send_rec(w, &r);
}

/* --- the host kernel log as an oracle (core/kmsg.h) --- */

static void on_kmsg(void *ctx, const char *msg)
{
	struct worker *w = ctx;
	char key[SIGNATURE_MAX];
	long pid;
	if (kmsg_classify(&w->kmsg.attr, msg, key, sizeof(key), &pid) != KMSG_FINDING)
		return;
	if (pid && pid != (long)getpid()) {
		/* Another process's VM (other campaigns share this host). */
		w->cnt->kmsg_foreign++;
		return;
	}
	if (w->kmsg_mode == KMSG_CONFIRM) {
		w->kmsg_confirmed |= !strcmp(key, w->kmsg_confirm_key);
		return;
	}
	if (w->kmsg_mode == KMSG_DISCARD || w->kmsg_npend >= KMSG_PENDING_MAX)
		return;
	struct kmsg_hit *h = &w->kmsg_pend[w->kmsg_npend++];
	snprintf(h->key, sizeof(h->key), "%s", key);
	snprintf(h->line, sizeof(h->line), "%s", msg);
	h->pid = pid;
}

static void kmsg_read(struct worker *w, enum kmsg_mode mode)
{
	w->kmsg_mode = mode;
	kmsg_drain(&w->kmsg, on_kmsg, w);
	w->cnt->kmsg_suppressed = w->kmsg.attr.suppressed;
}

struct kmsg_ctx {
	const struct test_case *c;
	const struct outcome *ref;   /* NULL when the reference failed */
	const struct kmsg_hit *h;
	const char *how;
};

static void print_kmsg_case(FILE *f, const void *x, struct case_file *cf)
{
	const struct kmsg_ctx *kc = x;
	char what[160];
	snprintf(what, sizeof(what), "the host kernel logged this while the case ran in KVM (%s)", kc->how);
	print_other_case(f, kc->h->key, what, kc->h->line, "the kernel line", kc->c, kc->ref, cf);
}

static void print_kmsg_text(FILE *f, const void *x, struct case_file *cf)
{
	(void)cf;
	const struct kmsg_ctx *kc = x;
	fprintf(f, "signature %s\nkernel log %s\nattributed %s\ncase %s seed 0x%016llx\n", kc->h->key,
		kc->h->line, kc->how, kc->c->id, (unsigned long long)kc->c->seed);
}

/* Does c make the kernel print key again? One more KVM run. */
static int kmsg_rerun_confirms(struct worker *w, const struct test_case *c, const char *key)
{
	w->kmsg_confirm_key = key;
	w->kmsg_confirmed = 0;
	(void)w->xkvm->ops->run(w->xkvm, c, w->scratch);
	kmsg_read(w, KMSG_CONFIRM);
	return w->kmsg_confirmed;
}

/* After a case: the finding lines the kernel logged while it ran. A line
 * that names this process is this case's; one that names no process is
 * attributed when a re-run of the case prints it again (another campaign
 * on the host, or a rate limit, would not). Attributed lines are buckets
 * keyed by the message (hits counted like a divergence's); the others are
 * counted as unattributed and the first few printed. */
static void kmsg_after_case(struct worker *w, const struct test_case *c, const struct outcome *ref)
{
	kmsg_read(w, KMSG_COLLECT);
	unsigned n = w->kmsg_npend;
	w->kmsg_npend = 0;
	for (unsigned i = 0; i < n; i++) {
		struct kmsg_hit h = w->kmsg_pend[i];
		const char *how = "the line names this worker's pid";
		int fresh;
		struct sig_slot *s = sig_slot(w, h.key, &fresh);
		if (s && fresh)
			s->known = is_known(w, h.key);
		if (s && s->known) {
			/* Counted, not attributed: no re-run for a known line. */
			count_hit(w, s);
			continue;
		}
		if (!h.pid) {
			how = "a re-run of the case printed it again";
			if (!kmsg_rerun_confirms(w, c, h.key)) {
				w->cnt->kmsg_unattributed++;
				if (w->kmsg_said++ < 3)
					fprintf(stderr, "\nexitdiff fuzz: worker %u: kernel log line not reproduced by "
						"case %s (counted as unattributed): %s\n", w->a->index, c->id, h.line);
				continue;
			}
		}
		w->cnt->kmsg_findings++;
		if (s && fresh) {
			struct kmsg_ctx kc = { c, ref, &h, how };
			send_first_text(w, h.key, c, 0, print_kmsg_case, print_kmsg_text, &kc);
		}
		if (s) {
			count_hit(w, s);
		} else {
			struct camp_rec r;
			memset(&r, 0, sizeof(r));
			r.type = REC_HIT;
			r.n = 1;
			snprintf(r.name, sizeof(r.name), "%s", h.key);
			send_rec(w, &r);
		}
	}
}

static void note_divergence(struct worker *w, const struct first_ctx *fc)
{
	struct sig_slot *s = bucket_of(w, fc->key, fc->r->c->knobs, fc, 1);
	/* Aliases chain at most (sig, knobs) -> sig -> (cut, knobs) -> cut,
	 * and never in a cycle (leads_to). */
	for (int hops = 0; s->alias && hops < 8; hops++)
		s = sig_entry(w, s->alias - 1);
	count_hit(w, s);
}

static void flush(struct worker *w)
{
	struct camp_rec r;
	w->held = 1;
	for (size_t i = 0; i < w->n_hit; i++) {
		struct sig_slot *s = sig_entry(w, w->hit_list[i]);
		memset(&r, 0, camp_rec_size(REC_HIT));
		r.type = REC_HIT;
		r.n = s->delta;
		r.known = s->known;
		snprintf(r.name, sizeof(r.name), "%s", s->sig);
		send_rec(w, &r);
		s->delta = 0;
	}
	w->n_hit = 0;
	for (uint32_t i = 0; i < NAME_SLOTS; i++) {
		struct name_slot *s = &w->names[i];
		if (!s->used || !s->delta)
			continue;
		memset(&r, 0, camp_rec_size(REC_UNSUP));
		r.type = REC_UNSUP;
		r.n = s->delta;
		r.lane = (uint32_t)(s->name[0] - '0');
		snprintf(r.name, sizeof(r.name), "%s", s->name + 2);
		send_rec(w, &r);
		s->delta = 0;
	}
	/* Counts last: when the parent sees them, the hits they cover are
	 * already in. */
	memset(&r, 0, sizeof(r));
	r.type = REC_COUNTS;
	struct camp_counts now = *w->cnt;
	camp_counts_sub(&r.c, &now, &w->sent);
	send_rec(w, &r);
	send_held(w);
	w->sent = now;
}

static enum exit_kind terminal_kind(const struct outcome *o)
{
	const struct exit_event *t = outcome_terminal(o);
	return t && t->kind < EXIT_KIND_COUNT ? (enum exit_kind)t->kind : EXIT_OTHER;
}

/* The pipeline's case is the one in hand (pipeline.h on_case): the
 * parent saves it if this worker dies now. */
static void on_case(void *ctx, const struct test_case *c)
{
	struct worker *w = ctx;
	size_t i = (size_t)(c - w->batch);
	w->a->shared->seed = w->batch_seed[i];
	w->a->shared->k = w->batch_k + i;
	__atomic_store_n(&w->a->shared->busy, 1, __ATOMIC_RELEASE);
}

/* Counts and files what the pipeline made of case c (res, its outcomes
 * ref and kvm): the kernel log's lines, the confirmation, the bucket. A
 * worker whose executor is dead, or failed every recent case, exits here
 * for the parent to restart it. */
static void take(struct worker *w, const struct test_case *c, const struct gen_info *gi,
		 const struct outcome *ref, const struct outcome *kvm, struct pl_result *res)
{
	const struct camp_worker_args *a = w->a;
	struct executor *xkvm = w->xkvm;
	enum pl_verdict pv = res->verdict;
	w->lane = gen_lane_of(c);
	w->mode = c->mode;
	/* One non-blocking read when the log has nothing new. */
	if (w->kmsg.fd >= 0)
		kmsg_after_case(w, c, pv != PL_REF_FAILED ? ref : NULL);
	/* Confirmed after the log is read; a KVM failure on the second
	 * run is a hypervisor failure like one on the first. */
	/* The bucket key: a confirmed divergence keeps its signature. */
	char key[SIGNATURE_MAX];
	if (pv == PL_DIVERGED)
		finding_key(key, res->d.signature, c->mode);
	int second_run = pv == PL_DIVERGED && !known_divergence(w, key, c->knobs);
	if (second_run)
		pv = pipeline_confirm(&w->pl, res);
	struct camp_lane_counts *lc = &w->cnt->lane[w->lane];
	w->cnt->execs++;
	lc->execs++;
	if (xkvm->recoveries != w->recoveries_seen) {
		w->cnt->recoveries += xkvm->recoveries - w->recoveries_seen;
		w->recoveries_seen = xkvm->recoveries;
	}
	if (pv == PL_REF_FAILED || pv == PL_KVM_FAILED) {
		/* Said once per worker and lane: a mode an executor
		 * cannot run yet must not fail silently. */
		if (!lc->exec_failures)
			fprintf(stderr, "\nexitdiff fuzz: worker %u: case %s (%s): %s\n",
				a->index, c->id, gen_lane_name((enum gen_lane)w->lane), res->err);
		w->cnt->exec_failures++;
		lc->exec_failures++;
		if (pv == PL_KVM_FAILED && res->fail_sig[0]) {
			w->cnt->hv_failures++;
			note_hv_failure(w, c, ref, res);
		}
		if (xkvm->dead || ++w->failure_run >= CAMP_MAX_FAILURE_RUN) {
			fprintf(stderr, "\nexitdiff fuzz: worker %u: %s after case %s: %s; "
				"exiting for the parent to restart it\n", a->index,
				xkvm->dead ? "KVM executor dead" : "every recent case failed",
				c->id, res->err);
			flush(w);
			a->backend->close(w->backend);
			_exit(CAMP_EXIT_EXECUTOR_DEAD);
		}
		return;
	}
	w->failure_run = 0;
	lc->steps += ref->steps;
	w->cnt->exits_ref[terminal_kind(ref)]++;
	w->cnt->exits_kvm[terminal_kind(kvm)]++;
	/* A divergence runs KVM again (confirm, cut, minimize): what
	 * the kernel logs then is dropped before the next case. */
	w->kvm_extra_runs = second_run;
	note_reached(w, ref, terminal_kind(ref) == EXIT_UNSUPPORTED);
	/* 0 agree, 1 diverge, 2 unsupported, 3 neither (unconfirmed). */
	int cls = 3;
	if (pv == PL_SAME) {
		w->cnt->agree++;
		lc->agree++;
		cls = 0;
	} else if (pv == PL_UNSUPPORTED) {
		w->cnt->unsupported++;
		lc->unsupported++;
		/* The diff names why: the side's unsupported instruction, or
		 * what made the case not comparable ("vmm-port-read", a VMM's
		 * "vmm:event"), where the reference's mnemonic would be its
		 * last instruction, HLT as often as not. */
		note_unsupported(w, res->d.mnemonic[0] ? res->d.mnemonic : ref->mnemonic);
		cls = 2;
	} else if (pv != PL_DIVERGED) {
		w->cnt->unconfirmed++;
	} else {
		w->cnt->diverge++;
		lc->diverge++;
		cls = 1;
		struct first_ctx fc = { res, key, NULL, 0 };
		note_divergence(w, &fc);
	}
	for (unsigned f = 0; f < FAM_COUNT; f++) {
		if (!(gi->families & (1u << f)))
			continue;
		struct camp_fam_counts *fc = &w->cnt->fam[w->lane][f];
		fc->cases++;
		fc->agree += cls == 0;
		fc->diverge += cls == 1;
		fc->unsupported += cls == 2;
	}
}

void camp_worker_main(const struct camp_worker_args *a)
{
	struct worker w;
	memset(&w, 0, sizeof(w));
	w.a = a;
	w.cnt = (struct camp_counts *)&a->shared->cnt;
	/* Ctrl-C reaches the whole process group: the parent decides, and
	 * tells workers with SIGTERM. A parent that dies must not leave
	 * workers behind. */
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		_exit(0);

	w.names = calloc(NAME_SLOTS, sizeof(*w.names));
	w.print_cf = malloc(sizeof(*w.print_cf));
	w.scratch = malloc(sizeof(*w.scratch));
	if (!w.names || !w.print_cf || !w.scratch)
		fatal(&w, "worker: out of memory");
	struct executor *xref = NULL, *xkvm = NULL;
	void *h = a->backend->open(&xref, &xkvm);
	w.backend = h;
	w.xref = xref;
	w.xkvm = xkvm;
	if (!h)
		fatal(&w, "worker: executors failed to open (see the message above)");
	if (pipeline_open(&w.pl, xref, xkvm, a->known) < 0)
		fatal(&w, "worker: out of memory");
	/* Confirmed after the kernel log of the case's own runs is read: the
	 * confirming run's lines are dropped with the cut's (kvm_extra_runs). */
	w.pl.confirm = 0;
	w.pl.short_budget_us = CAMP_SHORT_BUDGET_US;
	w.pl.hang_probe = 1;
	char kerr[200];
	/* The host kernel log speaks of KVM only: with another executor in
	 * KVM's place (a VMM, vmm/) its lines come from other processes. */
	if (strcmp(xkvm->ops->name, "kvm")) {
		w.kmsg.fd = -1;
		snprintf(hv_label, sizeof(hv_label), "%s:%.150s", xkvm->ops->name,
			 xkvm->spec ? xkvm->spec : "?");
	}
	else if (kmsg_open(&w.kmsg, kerr, sizeof(kerr)) < 0 && a->index == 0)
		fprintf(stderr, "exitdiff fuzz: %s; the kernel log is not watched\n", kerr);

	double next_flush = camp_now() + FLUSH_PERIOD_S;
	w.recoveries_seen = xkvm->recoveries;
	/* Rounds of cases for an executor that runs them at once (a VMM),
	 * one case at a time otherwise and while the kernel log is read: its
	 * lines are the case's that just ran. */
	size_t nb = xkvm->ops->run_batch && w.kmsg.fd < 0 ? CAMP_BATCH : 1;
	uint64_t *seeds = malloc(nb * sizeof(*seeds));
	struct gen_info *gi = malloc(nb * sizeof(*gi));
	struct test_case *cs = malloc(nb * sizeof(*cs));
	struct outcome *refs = malloc(nb * sizeof(*refs)), *kvms = malloc(nb * sizeof(*kvms));
	struct pl_result *res = malloc(nb * sizeof(*res));
	if (!seeds || !gi || !cs || !refs || !kvms || !res)
		fatal(&w, "worker: out of memory");
	w.batch = cs;
	w.batch_seed = seeds;
	w.pl.on_case = on_case;
	w.pl.on_case_ctx = &w;
	for (uint64_t k = a->k0; k < a->k_end && !stop_requested && !w.dead_pipe;) {
		if (nb > 1 || (k & 31) == 0) {
			double now = camp_now();
			if (a->deadline > 0 && now >= a->deadline)
				break;
			if (now >= next_flush) {
				flush(&w);
				/* Every delta is reported and no entry held:
				 * the one safe point to bound the table. */
				sigtab_bound(&w.sigs, CAMP_SIGTAB_MAX);
				next_flush = now + FLUSH_PERIOD_S;
			}
		}
		if (w.kvm_extra_runs && w.kmsg.fd >= 0) {
			/* Lines from the last case's confirming or cutting
			 * runs: that case is saved already, the next is not
			 * to blame. */
			kmsg_read(&w, KMSG_DISCARD);
		}
		w.kvm_extra_runs = 0;
		size_t n = a->k_end - k < nb ? (size_t)(a->k_end - k) : nb;
		w.batch_k = k;
		for (size_t i = 0; i < n; i++) {
			seeds[i] = gen_case_seed(a->seed, a->index, a->base + k + i);
			on_case(&w, &cs[i]);
			gen_make_ex(a->gen, a->gcfg, seeds[i], &cs[i], &gi[i]);
		}
		/* The short KVM budget matters here: zeroed memory decodes as
		 * an endless ADD in 16/32-bit code, and those runs took most of
		 * a real16 campaign. */
		size_t m = pipeline_run_batch(&w.pl, cs, n, refs, kvms, res);
		__atomic_store_n(&a->shared->busy, 0, __ATOMIC_RELEASE);
		for (size_t i = 0; i < m; i++)
			take(&w, &cs[i], &gi[i], &refs[i], &kvms[i], &res[i]);
		k += m;
	}
	free(cs);
	free(refs);
	free(kvms);
	free(seeds);
	free(gi);
	free(res);
	flush(&w);
	free(w.held_buf);
	free(w.hit_list);
	sigtab_free(&w.sigs);
	kmsg_close(&w.kmsg);
	pipeline_close(&w.pl);
	a->backend->close(h);
	_exit(0);
}
