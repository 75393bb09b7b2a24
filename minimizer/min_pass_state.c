/* Minimizer passes on the initial state: registers (the 16 GPRs and
 * RFLAGS) and the initial data bytes. */
#include <stdlib.h>
#include <string.h>
#include "min_internal.h"

/* Unit index GPR_COUNT stands for RFLAGS. */
#define REG_UNITS (GPR_COUNT + 1)

static uint64_t reg_get(const struct test_case *c, unsigned r)
{
	return r < GPR_COUNT ? c->gpr[r] : c->rflags;
}

static void reg_set(struct test_case *c, unsigned r, uint64_t v)
{
	if (r < GPR_COUNT)
		c->gpr[r] = v;
	else
		c->rflags = (v & RFLAGS_CASE_SETTABLE) | RFLAGS_FIXED1;
}

/* ---- zero-regs: registers back to the case_init default ---- */

static int build_regs(void *pctx, const struct test_case *base,
		      const uint8_t *keep, unsigned n, struct test_case *out)
{
	struct min_pass_ctx *p = pctx;
	*out = *base;
	for (unsigned i = 0; i < n; i++)
		if (!keep[i])
			reg_set(out, p->map[i], p->def_regs[p->map[i]]);
	return 0;
}

void min_pass_zero_regs(struct min_pass_ctx *p)
{
	const struct test_case *c = &p->e->best;
	unsigned n = 0;
	for (unsigned r = 0; r < REG_UNITS; r++)
		if (reg_get(c, r) != p->def_regs[r])
			p->map[n++] = r;
	min_reduce(p->e, n, build_regs, p);
}

unsigned long min_measure_regs(struct min_pass_ctx *p, const struct test_case *c)
{
	(void)p;
	return min_nondefault_regs(c);
}

/* ---- simplify-regs: smaller values, bit by bit ---- */

struct reg_try {
	struct min_pass_ctx *p;
	unsigned reg;
	struct test_case *cand;
};

static int try_reg(void *pctx, uint64_t v)
{
	struct reg_try *t = pctx;
	*t->cand = t->p->e->best;
	reg_set(t->cand, t->reg, t->reg < GPR_COUNT ? v : v | RFLAGS_FIXED1);
	return min_try(t->p->e, t->cand);
}

void min_pass_simplify_regs(struct min_pass_ctx *p)
{
	struct reg_try t = { .p = p, .cand = malloc(sizeof(struct test_case)) };
	if (!t.cand)
		return;
	for (unsigned r = 0; r < REG_UNITS && !p->e->stop; r++) {
		/* RSP's default is the stack top, not zero: shrinking it
		 * toward 0 would point the stack at unmapped memory and only
		 * make a case harder to read. zero-regs tried the default. */
		if (r == RSP)
			continue;
		t.reg = r;
		uint64_t v = reg_get(&p->e->best, r);
		if (r == GPR_COUNT)
			v &= RFLAGS_CASE_SETTABLE;
		/* RFLAGS: the settable bits all lie below bit 12. */
		min_shrink_value(v, r == GPR_COUNT ? 12 : 64, try_reg, &t);
	}
	free(t.cand);
}

unsigned long min_measure_reg_bits(struct min_pass_ctx *p, const struct test_case *c)
{
	unsigned long k = 0;
	for (unsigned r = 0; r < REG_UNITS; r++)
		k += __builtin_popcountll(reg_get(c, r) ^ p->def_regs[r]);
	return k;
}

/* ---- zero-data: initial data bytes to zero ---- */

static int build_data(void *pctx, const struct test_case *base,
		      const uint8_t *keep, unsigned n, struct test_case *out)
{
	struct min_pass_ctx *p = pctx;
	*out = *base;
	for (unsigned i = 0; i < n; i++)
		if (!keep[i])
			out->data[p->map[i]] = 0;
	return 0;
}

void min_pass_zero_data(struct min_pass_ctx *p)
{
	const struct test_case *c = &p->e->best;
	unsigned n = 0;
	for (unsigned i = 0; i < c->data_len; i++)
		if (c->data[i])
			p->map[n++] = i;
	min_reduce(p->e, n, build_data, p);
}

unsigned long min_measure_data_nonzero(struct min_pass_ctx *p, const struct test_case *c)
{
	(void)p;
	unsigned long k = 0;
	for (unsigned i = 0; i < c->data_len; i++)
		k += c->data[i] != 0;
	return k;
}

/* ---- trim-data: shorter data_len ----
 * Data past data_len starts zero (case.h), so trailing zero bytes say
 * nothing; the candidate still goes through the predicate like any other. */

void min_pass_trim_data(struct min_pass_ctx *p)
{
	struct test_case *cand = malloc(sizeof(*cand));
	if (!cand)
		return;
	*cand = p->e->best;
	cand->data_len = 0;
	if (!min_try(p->e, cand)) {
		*cand = p->e->best;
		while (cand->data_len && !cand->data[cand->data_len - 1])
			cand->data_len--;
		min_try(p->e, cand);
	}
	free(cand);
}

unsigned long min_measure_data_len(struct min_pass_ctx *p, const struct test_case *c)
{
	(void)p;
	return c->data_len;
}
