/* The first divergence of a case, found by cutting its run short with a
 * HLT (min.h). Campaigns name new findings by it. */
#include <stdlib.h>
#include <string.h>
#include "layout.h"
#include "min.h"
#include "mode.h"

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* Code offsets of the instructions the reference ran, ascending. */
static unsigned cut_points(const struct test_case *c, const struct outcome *ref,
			   uint32_t *off)
{
	struct mode_env env;
	mode_env_init(&env, c->mode, c->knobs);
	unsigned n = 0;
	for (unsigned i = 0; i < RAN_SLOTS; i++) {
		const struct ran_insn *r = &ref->ran[i];
		if (!r->mnemonic[0])
			continue;
		uint64_t la = r->rip + env.seg[SR_CS].base;
		/* A HLT already there ends the case anyway: no cut. */
		if (la >= LAYOUT_CODE && la - LAYOUT_CODE < c->code_len &&
		    c->code[la - LAYOUT_CODE] != 0xf4)
			off[n++] = (uint32_t)(la - LAYOUT_CODE);
	}
	qsort(off, n, sizeof(*off), cmp_u32);
	return n;
}

int min_cut_first(const struct test_case *c, const struct outcome *ref,
		  min_pred diverges, void *ctx, struct test_case *out, uint32_t *cut_at)
{
	uint32_t off[RAN_SLOTS];
	unsigned n = cut_points(c, ref, off);
	struct test_case *t = malloc(sizeof(*t));
	if (!t)
		return -1;
	/* Invariant: cutting at off[hi] diverges, or hi == n (the whole
	 * case, which does). */
	unsigned lo = 0, hi = n;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		*t = *c;
		t->code[off[mid]] = 0xf4;
		int r = diverges(ctx, t);
		if (r < 0) {
			free(t);
			return -1;
		}
		if (r)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (hi < n) {
		*out = *c;
		out->code[off[hi]] = 0xf4;
		if (cut_at)
			*cut_at = off[hi];
	}
	free(t);
	return hi < n;
}
