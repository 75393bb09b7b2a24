/* The minimizer engine: evaluates candidates with the predicate, keeps the
 * best one, caches rejections, and reduces lists ddmin-style. It knows
 * nothing of x86: what a "unit" is belongs to the passes (min_passes.c). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "layout.h"
#include "min_internal.h"

double min_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

unsigned min_nondefault_regs(const struct test_case *c)
{
	struct test_case d;
	case_init(&d);
	unsigned n = c->rflags != d.rflags;
	for (int i = 0; i < GPR_COUNT; i++)
		n += c->gpr[i] != d.gpr[i];
	return n;
}

/* FNV-1a over everything an executor sees of a case (not id or seed). */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t case_hash(const struct test_case *c)
{
	uint64_t h = 0xcbf29ce484222325ull;
	h = fnv(h, &c->mode, sizeof(c->mode));
	h = fnv(h, &c->knobs, sizeof(c->knobs));
	h = fnv(h, &c->event, sizeof(c->event));
	h = fnv(h, c->gpr, sizeof(c->gpr));
	h = fnv(h, &c->rflags, sizeof(c->rflags));
	h = fnv(h, &c->code_len, sizeof(c->code_len));
	h = fnv(h, c->code, c->code_len);
	h = fnv(h, &c->data_len, sizeof(c->data_len));
	h = fnv(h, c->data, c->data_len);
	/* 0 marks an empty slot in the set. */
	return h ? h : 1;
}

static int case_same(const struct test_case *a, const struct test_case *b)
{
	/* The event too: without it the pass that drops it never runs a
	 * candidate (the candidate looked the same as the case). */
	return a->mode == b->mode && a->knobs == b->knobs &&
	       !memcmp(&a->event, &b->event, sizeof(a->event)) &&
	       !memcmp(a->gpr, b->gpr, sizeof(a->gpr)) && a->rflags == b->rflags &&
	       a->code_len == b->code_len && a->data_len == b->data_len &&
	       !memcmp(a->code, b->code, a->code_len) &&
	       !memcmp(a->data, b->data, a->data_len);
}

/* Open addressing, linear probing; returns 1 when h was present. */
static int seen_insert(struct min_engine *e, uint64_t h)
{
	if (2 * (e->seen_n + 1) > e->seen_cap) {
		size_t cap = e->seen_cap ? 2 * e->seen_cap : 1024;
		uint64_t *t = calloc(cap, sizeof(*t));
		if (!t)
			return 0; /* no cache: correct, only slower */
		for (size_t i = 0; i < e->seen_cap; i++) {
			if (!e->seen[i])
				continue;
			size_t j = e->seen[i] & (cap - 1);
			while (t[j])
				j = (j + 1) & (cap - 1);
			t[j] = e->seen[i];
		}
		free(e->seen);
		e->seen = t;
		e->seen_cap = cap;
	}
	size_t j = h & (e->seen_cap - 1);
	while (e->seen[j]) {
		if (e->seen[j] == h)
			return 1;
		j = (j + 1) & (e->seen_cap - 1);
	}
	e->seen[j] = h;
	e->seen_n++;
	return 0;
}

static int seen_has(const struct min_engine *e, uint64_t h)
{
	if (!e->seen_cap)
		return 0;
	size_t j = h & (e->seen_cap - 1);
	while (e->seen[j]) {
		if (e->seen[j] == h)
			return 1;
		j = (j + 1) & (e->seen_cap - 1);
	}
	return 0;
}

int min_engine_init(struct min_engine *e, const struct test_case *in,
		    min_pred same, void *ctx, unsigned long budget)
{
	memset(e, 0, sizeof(*e));
	e->same = same;
	e->ctx = ctx;
	e->best = *in;
	e->budget = budget;
	return 0;
}

void min_engine_fini(struct min_engine *e)
{
	free(e->seen);
	e->seen = NULL;
	e->seen_n = e->seen_cap = 0;
}

/* The size ceiling: a candidate may not grow any of the three measures the
 * minimizer promises never to grow. */
static int no_larger(const struct test_case *c, const struct test_case *best)
{
	return c->code_len <= best->code_len && c->data_len <= best->data_len &&
	       min_nondefault_regs(c) <= min_nondefault_regs(best);
}

int min_try(struct min_engine *e, const struct test_case *cand)
{
	if (e->stop || case_same(cand, &e->best) || !no_larger(cand, &e->best))
		return 0;
	uint64_t h = case_hash(cand);
	if (seen_has(e, h)) {
		e->cached++;
		return 0;
	}
	if (e->evals >= e->budget || (e->deadline_ms && min_now_ms() > e->deadline_ms)) {
		e->stop = 1;
		return 0;
	}
	e->evals++;
	int r = e->same(e->ctx, cand);
	if (r < 0) {
		e->stop = e->pred_failed = 1;
		return 0;
	}
	if (!r) {
		seen_insert(e, h);
		return 0;
	}
	/* Keep the id and seed of the input: only the content shrinks. */
	char id[sizeof(e->best.id)];
	uint64_t seed = e->best.seed;
	memcpy(id, e->best.id, sizeof(id));
	e->best = *cand;
	memcpy(e->best.id, id, sizeof(id));
	e->best.seed = seed;
	/* Bytes past the lengths mean nothing; zero them so the result
	 * carries no leftovers of dropped code or data. */
	memset(e->best.code + e->best.code_len, 0, sizeof(e->best.code) - e->best.code_len);
	memset(e->best.data + e->best.data_len, 0, sizeof(e->best.data) - e->best.data_len);
	e->accepted++;
	return 1;
}

unsigned min_reduce(struct min_engine *e, unsigned n, min_build_fn build,
		    void *pctx)
{
	if (!n)
		return 0;
	uint8_t *keep = malloc(n), *trial = malloc(n);
	struct test_case *base = malloc(sizeof(*base));
	struct test_case *cand = malloc(sizeof(*cand));
	unsigned dropped = 0;
	if (!keep || !trial || !base || !cand)
		goto out;
	memset(keep, 1, n);
	*base = e->best;
	for (unsigned chunk = n; chunk >= 1 && !e->stop; chunk /= 2) {
		for (unsigned end = n; end > 0 && !e->stop;) {
			unsigned start = end > chunk ? end - chunk : 0, live = 0;
			memcpy(trial, keep, n);
			for (unsigned i = start; i < end; i++) {
				live += trial[i];
				trial[i] = 0;
			}
			if (live && build(pctx, base, trial, n, cand) == 0 &&
			    min_try(e, cand)) {
				memcpy(keep, trial, n);
				dropped += live;
			}
			end = start;
		}
		if (chunk == 1)
			break;
	}
out:
	free(keep);
	free(trial);
	free(base);
	free(cand);
	return dropped;
}

uint64_t min_shrink_value(uint64_t v, unsigned bits, min_value_try_fn try_fn,
			  void *pctx)
{
	uint64_t mask = bits >= 64 ? ~0ull : (1ull << bits) - 1;
	v &= mask;
	if (!v)
		return v;
	if (try_fn(pctx, 0))
		return 0;
	if (v > 1 && try_fn(pctx, 1))
		return 1;
	static const unsigned widths[] = { 8, 16, 32 };
	for (unsigned i = 0; i < 3; i++) {
		if (widths[i] >= bits)
			break;
		uint64_t t = v & ((1ull << widths[i]) - 1);
		/* 0 and 1 were tried already. */
		if (t > 1 && t < v && try_fn(pctx, t)) {
			v = t;
			break;
		}
	}
	for (int b = (int)bits - 1; b >= 0; b--) {
		uint64_t t = v & ~(1ull << b);
		if (t != v && t > 1 && try_fn(pctx, t))
			v = t;
	}
	return v;
}
