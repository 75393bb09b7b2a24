/* The execution target's session: both executors once per process, one
 * input through the finding pipeline (pipeline/pipeline.h: run, confirm,
 * cut to the first divergence, file), and the per-process dedup of bucket
 * keys. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "case_bin.h"
#include "executor.h"
#include "finding.h"
#include "fuzz_exec.h"
#include "source_tree.h"
#include "pipeline.h"

static struct {
	int open;
	struct fx_options opt;
	char out_dir[4096];
	struct executor kvm, ref;
	struct test_case c;
	struct outcome o_ref, o_kvm;
	struct pipeline pl;
	struct pl_result whole, cut;
	struct fx_stats st;
	/* Signatures seen in this process: open addressing on 64-bit hashes
	 * (0 = empty). A signature is reported and saved once. */
	uint64_t *seen;
	size_t seen_cap, seen_n;
} fx;

static uint64_t sig_hash64(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h ? h : 1;
}

/* Returns 1 when h was new (and is now recorded), 0 when seen before. */
static int seen_add(uint64_t h)
{
	if (2 * (fx.seen_n + 1) > fx.seen_cap) {
		size_t ncap = fx.seen_cap ? 2 * fx.seen_cap : 256;
		uint64_t *n = calloc(ncap, sizeof(*n));
		if (!n)
			return 1; /* out of memory: report again rather than lose it */
		for (size_t i = 0; i < fx.seen_cap; i++) {
			if (!fx.seen[i])
				continue;
			size_t j = fx.seen[i] & (ncap - 1);
			while (n[j])
				j = (j + 1) & (ncap - 1);
			n[j] = fx.seen[i];
		}
		free(fx.seen);
		fx.seen = n;
		fx.seen_cap = ncap;
	}
	size_t j = h & (fx.seen_cap - 1);
	while (fx.seen[j]) {
		if (fx.seen[j] == h)
			return 0;
		j = (j + 1) & (fx.seen_cap - 1);
	}
	fx.seen[j] = h;
	fx.seen_n++;
	return 1;
}

static int init_executor(struct executor *ex, const struct executor_ops *ops,
			 struct cpuid_table *cpuid, char *err, size_t errlen)
{
	memset(ex, 0, sizeof(*ex));
	ex->ops = ops;
	ex->cpuid = cpuid;
	if (ops->init(ex, ex->err, sizeof(ex->err)) == 0)
		return 0;
	snprintf(err, errlen, "%s executor: %s", ops->name, ex->err);
	return -1;
}

int fx_open(const struct fx_options *o, char *err, size_t errlen)
{
	if (fx.open)
		return 0;
	fx.opt = *o;
	const char *dir = getenv(FX_ENV_OUT);
	snprintf(fx.out_dir, sizeof(fx.out_dir), "%s", dir && *dir ? dir : FX_DEFAULT_OUT);

	/* The known list: $EXITDIFF_KNOWN must exist when given; the corpus
	 * default is optional (a checkout without it simply knows nothing). */
	const char *known = getenv(FX_ENV_KNOWN);
	const char *dflt = known_default_path();
	int n = known && *known ? fx_known_load(known, 0, err, errlen) :
		dflt ? fx_known_load(dflt, 1, err, errlen) : 0;
	if (n < 0)
		return -1;

	/* KVM first: it calibrates CPUID in its guest, and the reference must
	 * answer CPUID from that very table. */
	if (init_executor(&fx.kvm, o->kvm_ops ? o->kvm_ops : &kvm_executor_ops, NULL, err,
			  errlen) < 0)
		return -1;
	if (init_executor(&fx.ref, o->ref_ops ? o->ref_ops : &ref_executor_ops, fx.kvm.cpuid, err,
			  errlen) < 0) {
		fx.kvm.ops->fini(&fx.kvm);
		return -1;
	}
	if (pipeline_open(&fx.pl, &fx.ref, &fx.kvm, fx_known_list()) < 0) {
		snprintf(err, errlen, "out of memory");
		fx.ref.ops->fini(&fx.ref);
		fx.kvm.ops->fini(&fx.kvm);
		return -1;
	}
	/* Every divergence is confirmed before it counts, as in a campaign:
	 * host noise is neither a finding nor a known hit. */
	fx.pl.confirm = 1;
	fx.open = 1;
	return 0;
}

void fx_close(void)
{
	if (!fx.open)
		return;
	pipeline_close(&fx.pl);
	fx.ref.ops->fini(&fx.ref);
	fx.kvm.ops->fini(&fx.kvm);
	fx_known_free();
	free(fx.seen);
	fx.seen = NULL;
	fx.seen_cap = fx.seen_n = 0;
	fx.open = 0;
}

const struct fx_stats *fx_stats(void)
{
	return &fx.st;
}

/* Files pr's divergence into r: its bucket key, and whether the known
 * list names it. Returns 1 when known. */
static int file(const struct pl_result *pr, struct fx_result *r)
{
	struct finding f;
	pipeline_file(&fx.pl, pr->c, pr->d.signature, &f);
	r->c = pr->c;
	r->ref = pr->ref;
	r->kvm = pr->kvm;
	r->d = pr->d;
	snprintf(r->key, sizeof(r->key), "%s", f.key);
	r->known = f.known != NULL;
	return r->known;
}

int fx_run_case(const struct test_case *c, struct fx_result *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->c = c;
	r->ref = &fx.o_ref;
	r->kvm = &fx.o_kvm;
	if (!fx.open) {
		snprintf(err, errlen, "case %s: fuzz session not open", c->id);
		return -1;
	}
	fx.st.runs++;
	enum pl_verdict v = pipeline_run(&fx.pl, c, &fx.o_ref, &fx.o_kvm, &fx.whole);
	r->d = fx.whole.d;
	if (v == PL_REF_FAILED || v == PL_KVM_FAILED) {
		fx.st.exec_failures++;
		snprintf(err, errlen, "%s", fx.whole.err);
		if (v == PL_KVM_FAILED && fx.kvm.dead) {
			/* The executor could not rebuild its VM: every later
			 * input would fail. Abort, so the engine keeps this input
			 * as a crash and starts a fresh process. */
			fprintf(stderr, "exitdiff: %s\n", err);
			abort();
		}
		return -1;
	}
	r->verdict = v == PL_SAME ? VERDICT_AGREE : v == PL_UNSUPPORTED ? VERDICT_UNSUPPORTED :
		VERDICT_DIVERGE;
	if (v == PL_SAME) {
		fx.st.agree++;
		return 0;
	}
	if (v == PL_UNSUPPORTED) {
		fx.st.unsupported++;
		return 0;
	}
	fx.st.diverge++;
	if (v == PL_UNCONFIRMED) {
		/* Not recorded as seen: the next real one is reported. */
		r->unconfirmed = 1;
		fx.st.unconfirmed++;
		return 0;
	}
	if (file(&fx.whole, r)) {
		fx.st.known++;
		return 0;
	}
	if (!seen_add(sig_hash64(r->key)))
		return 0;
	/* A key met for the first time is named by its first divergence, as
	 * campaign buckets are: r then describes the cut case, which may be
	 * known or seen already. */
	if (pipeline_first(&fx.pl, &fx.whole, &fx.cut)) {
		if (file(&fx.cut, r)) {
			fx.st.known++;
			return 0;
		}
		if (!seen_add(sig_hash64(r->key)))
			return 0;
	}
	r->fresh = 1;
	fx.st.fresh++;
	int already = 0;
	if (fx.opt.save_findings) {
		char why[512];
		int s = fx_save_finding(fx.out_dir, fx.opt.engine, r, r->saved,
					sizeof(r->saved), why, sizeof(why));
		if (s == 0)
			fx.st.saved++;
		else if (s > 0)
			already = 1;
		else
			fprintf(stderr, "exitdiff-fuzz: case %s: %s\n", c->id, why);
	}
	/* Another process saved it already: it said so then. */
	if (!fx.opt.quiet && !already)
		fprintf(stderr, "exitdiff-fuzz: NEW DIVERGENCE %s%s%s\n", r->key,
			r->saved[0] ? " saved to " : "", r->saved);
	return 0;
}

int fx_run_bytes(const uint8_t *buf, size_t len, struct fx_result *r, char *err, size_t errlen)
{
	case_decode(buf, len, &fx.c);
	/* The id names the input, so a saved finding and its stderr line can
	 * be matched to the engine's own copy of the input. */
	uint32_t h = fx_hash(FX_HASH_INIT, buf, len);
	snprintf(fx.c.id, sizeof(fx.c.id), "fuzz-%08x-%zu", h, len);
	return fx_run_case(&fx.c, r, err, errlen);
}
