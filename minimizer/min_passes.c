/* The minimizer policy: a table of passes, run in order until a round
 * changes nothing. Code passes live here; register and data passes in
 * min_pass_state.c. Every pass only proposes candidates; the engine
 * (min_engine.c) decides, so the size promise is kept in one place. */
#include <stdlib.h>
#include <string.h>
#include "min_internal.h"

static void redecode(struct min_pass_ctx *p)
{
	const struct test_case *c = &p->e->best;
	p->ninsns = min_decode(p->dec, (enum cpu_mode)c->mode, c->code, c->code_len, p->insns, CASE_CODE_MAX);
}

/* ---- drop-insns: remove whole instructions ---- */

static int build_drop(void *pctx, const struct test_case *base,
		      const uint8_t *keep, unsigned n, struct test_case *out)
{
	struct min_pass_ctx *p = pctx;
	*out = *base;
	unsigned len = 0;
	for (unsigned i = 0; i < n; i++) {
		if (!keep[i])
			continue;
		const struct min_insn *mi = &p->insns[i];
		memcpy(out->code + len, base->code + mi->off, mi->len);
		len += mi->len;
	}
	out->code_len = len;
	return 0;
}

static void pass_drop_insns(struct min_pass_ctx *p)
{
	redecode(p);
	min_reduce(p->e, p->ninsns, build_drop, p);
}

static unsigned long measure_insns(struct min_pass_ctx *p, const struct test_case *c)
{
	return min_decode(p->dec, (enum cpu_mode)c->mode, c->code, c->code_len, p->insns, CASE_CODE_MAX);
}

/* ---- nop-insns: overwrite instructions by as many 0x90 bytes ----
 * Keeps every offset, so relative jumps still land where they did; useful
 * when removing an instruction would move a branch target. */

static int build_nop(void *pctx, const struct test_case *base,
		     const uint8_t *keep, unsigned n, struct test_case *out)
{
	struct min_pass_ctx *p = pctx;
	*out = *base;
	for (unsigned i = 0; i < n; i++) {
		if (keep[i])
			continue;
		const struct min_insn *mi = &p->insns[p->map[i]];
		memset(out->code + mi->off, 0x90, mi->len);
	}
	return 0;
}

static void pass_nop_insns(struct min_pass_ctx *p)
{
	redecode(p);
	unsigned n = 0;
	for (unsigned i = 0; i < p->ninsns; i++)
		if (!p->insns[i].is_nop)
			p->map[n++] = i;
	min_reduce(p->e, n, build_nop, p);
}

static unsigned long measure_non_nops(struct min_pass_ctx *p, const struct test_case *c)
{
	unsigned n = min_decode(p->dec, (enum cpu_mode)c->mode, c->code, c->code_len, p->insns, CASE_CODE_MAX);
	unsigned long k = 0;
	for (unsigned i = 0; i < n; i++)
		k += !p->insns[i].is_nop;
	return k;
}

/* ---- drop-prefixes: one legacy or REX prefix byte at a time ---- */

/* Removes byte at code offset at from c into out. */
static void remove_bytes(struct test_case *out, const struct test_case *c,
			 unsigned at, unsigned n)
{
	*out = *c;
	memmove(out->code + at, c->code + at + n, c->code_len - at - n);
	out->code_len = c->code_len - n;
}

static void pass_drop_prefixes(struct min_pass_ctx *p)
{
	struct test_case *cand = malloc(sizeof(*cand));
	if (!cand)
		return;
	redecode(p);
	for (unsigned i = 0; i < p->ninsns && !p->e->stop; i++) {
		struct min_insn mi = p->insns[i];
		for (unsigned k = 0; k < mi.npfx; k++) {
			remove_bytes(cand, &p->e->best, mi.off + k, 1);
			/* Only where the instruction still decodes, as one
			 * instruction one byte shorter: a removed 66 or REX.W
			 * may change the operand size, never the boundaries. */
			if (!min_decodes_as_one(p->dec, (enum cpu_mode)cand->mode, cand->code + mi.off, mi.len - 1))
				continue;
			if (min_try(p->e, cand)) {
				redecode(p);
				i--; /* the same instruction, with one prefix less */
				break;
			}
		}
	}
	free(cand);
}

static unsigned long measure_prefixes(struct min_pass_ctx *p, const struct test_case *c)
{
	unsigned n = min_decode(p->dec, (enum cpu_mode)c->mode, c->code, c->code_len, p->insns, CASE_CODE_MAX);
	unsigned long k = 0;
	for (unsigned i = 0; i < n; i++)
		k += p->insns[i].npfx;
	return k;
}

/* ---- shrink-imms: narrower encodings, then smaller values ---- */

static uint64_t get_le(const uint8_t *b, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static void put_le(uint8_t *b, unsigned n, uint64_t v)
{
	for (unsigned i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static int64_t sext(uint64_t v, unsigned bytes)
{
	unsigned sh = 64 - 8 * bytes;
	return (int64_t)(v << sh) >> sh;
}

/* Rewrites instruction i of best into a shorter encoding of the same
 * operation, or returns -1 when none applies:
 *   81 /r iz  ->  83 /r ib  when the immediate fits a sign-extended byte
 *                 (SDM Vol. 2A, ADD/OR/.../CMP "r/m, imm8" forms);
 *   REX.W B8+r io -> REX.W C7 /0 id  when the immediate fits a
 *                 sign-extended dword (SDM Vol. 2B, MOV). */
static int narrower(const struct min_pass_ctx *p, unsigned i, struct test_case *out)
{
	const struct test_case *c = &p->e->best;
	const struct min_insn *mi = &p->insns[i];
	if (!mi->valid || !mi->imm_size || mi->imm_off + mi->imm_size != mi->len)
		return -1;
	const uint8_t *b = c->code + mi->off;
	uint8_t op = b[mi->npfx];
	int64_t v = sext(get_le(b + mi->imm_off, mi->imm_size), mi->imm_size);
	uint8_t ins[16];
	unsigned len;
	if (op == 0x81 && mi->imm_size >= 2 && v >= -128 && v <= 127) {
		memcpy(ins, b, mi->imm_off);
		ins[mi->npfx] = 0x83;
		ins[mi->imm_off] = (uint8_t)v;
		len = mi->imm_off + 1u;
	} else if (op >= 0xb8 && op <= 0xbf && mi->imm_size == 8 && mi->npfx &&
		   (b[mi->npfx - 1] & 0xf8) == 0x48 && v >= INT32_MIN && v <= INT32_MAX) {
		memcpy(ins, b, mi->npfx);
		ins[mi->npfx] = 0xc7;
		ins[mi->npfx + 1] = 0xc0 | (op & 7);
		put_le(ins + mi->npfx + 2, 4, (uint64_t)v);
		len = mi->npfx + 6u;
	} else {
		return -1;
	}
	*out = *c;
	memcpy(out->code + mi->off, ins, len);
	memcpy(out->code + mi->off + len, c->code + mi->off + mi->len,
	       c->code_len - mi->off - mi->len);
	out->code_len = c->code_len - (mi->len - len);
	return 0;
}

struct imm_try {
	struct min_pass_ctx *p;
	struct min_insn mi;
	struct test_case *cand;
};

static int try_imm(void *pctx, uint64_t v)
{
	struct imm_try *t = pctx;
	*t->cand = t->p->e->best;
	uint8_t *at = t->cand->code + t->mi.off;
	put_le(at + t->mi.imm_off, t->mi.imm_size, v);
	return min_decodes_as_one(t->p->dec, (enum cpu_mode)t->cand->mode, at, t->mi.len) && min_try(t->p->e, t->cand);
}

static void pass_shrink_imms(struct min_pass_ctx *p)
{
	struct imm_try t = { .p = p, .cand = malloc(sizeof(struct test_case)) };
	if (!t.cand)
		return;
	redecode(p);
	for (unsigned i = 0; i < p->ninsns && !p->e->stop; i++) {
		if (narrower(p, i, t.cand) == 0 && min_try(p->e, t.cand))
			redecode(p);
		t.mi = p->insns[i];
		if (!t.mi.imm_size)
			continue;
		uint64_t v = get_le(p->e->best.code + t.mi.off + t.mi.imm_off, t.mi.imm_size);
		min_shrink_value(v, 8u * t.mi.imm_size, try_imm, &t);
		/* A smaller value may now fit the narrower form. */
		if (narrower(p, i, t.cand) == 0 && min_try(p->e, t.cand))
			redecode(p);
	}
	free(t.cand);
}

static unsigned long measure_imm_bits(struct min_pass_ctx *p, const struct test_case *c)
{
	unsigned n = min_decode(p->dec, (enum cpu_mode)c->mode, c->code, c->code_len, p->insns, CASE_CODE_MAX);
	unsigned long k = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct min_insn *mi = &p->insns[i];
		k += __builtin_popcountll(get_le(c->code + mi->off + mi->imm_off, mi->imm_size));
	}
	return k;
}

/* ---- the policy: cheapest reduction per evaluation first ---- */

static const struct min_pass passes[] = {
	/* The environment first: a handful of evaluations, and a case back at
	 * CPL0 or without paging is cheaper to run for every later pass. */
	{ "drop-knobs",    "knobs",                min_measure_knobs,        min_pass_drop_knobs },
	{ "simpler-mode",  "modes above the simplest", min_measure_mode,     min_pass_simpler_mode },
	{ "drop-insns",    "instructions",         measure_insns,            pass_drop_insns },
	{ "nop-insns",     "non-NOP instructions", measure_non_nops,         pass_nop_insns },
	{ "zero-regs",     "non-default registers", min_measure_regs,        min_pass_zero_regs },
	{ "zero-data",     "non-zero data bytes",  min_measure_data_nonzero, min_pass_zero_data },
	{ "trim-data",     "data bytes",           min_measure_data_len,     min_pass_trim_data },
	{ "drop-prefixes", "prefix bytes",         measure_prefixes,         pass_drop_prefixes },
	{ "shrink-imms",   "immediate bits set",   measure_imm_bits,         pass_shrink_imms },
	{ "simplify-regs", "register bits set",    min_measure_reg_bits,     min_pass_simplify_regs },
};
#define NPASSES (sizeof(passes) / sizeof(passes[0]))

int min_case(const struct test_case *in, min_pred same, void *ctx,
	     struct test_case *out, FILE *log)
{
	return min_case_ex(in, same, ctx, out, log, NULL, NULL);
}

static void log_total(FILE *log, const struct test_case *in,
		      const struct test_case *out, const struct min_stats *st)
{
	fprintf(log, "minimize: code %u -> %u bytes, data %u -> %u bytes, "
		"registers %u -> %u non-default; %u rounds, %lu candidates "
		"(+%lu cached), %lu accepted, %.1f ms%s\n",
		in->code_len, out->code_len, in->data_len, out->data_len,
		min_nondefault_regs(in), min_nondefault_regs(out), st->rounds,
		st->evals, st->cached, st->accepted, st->ms,
		st->budget_spent ? " (budget spent: not a fixed point)" : "");
}

int min_case_ex(const struct test_case *in, min_pred same, void *ctx,
		struct test_case *out, FILE *log, const struct min_opts *opts,
		struct min_stats *stats)
{
	double t0 = min_now_ms();
	struct min_stats st = { 0 };
	unsigned long budget = opts && opts->eval_budget ? opts->eval_budget : MIN_EVAL_BUDGET;
	unsigned rounds_max = opts && opts->rounds_max ? opts->rounds_max : MIN_ROUNDS_MAX;
	*out = *in;
	struct min_pass_ctx *p = calloc(1, sizeof(*p));
	struct min_engine *e = calloc(1, sizeof(*e));
	struct dec dec;
	char err[160] = "out of memory";
	int rc = MIN_OK;
	/* Capstone's handles are opened per call (a few allocations, next to
	 * thousands of executor runs), so workers may minimize in parallel. */
	if (!p || !e || dec_open(&dec, err, sizeof(err)) < 0) {
		if (log)
			fprintf(log, "minimize: %s\n", err);
		free(p);
		free(e);
		return MIN_ERR_NOMEM;
	}
	min_engine_init(e, in, same, ctx, budget);
	p->e = e;
	p->dec = &dec;
	struct test_case *d = &e->best; /* scratch until the input is copied back */
	case_init(d);
	memcpy(p->def_regs, d->gpr, sizeof(d->gpr));
	p->def_regs[GPR_COUNT] = d->rflags;
	e->best = *in;
	if (opts && opts->ms_budget)
		e->deadline_ms = t0 + (double)opts->ms_budget;

	int r = same(ctx, in);
	st.evals = 1;
	if (r <= 0) {
		rc = r < 0 ? MIN_ERR_PRED : MIN_ERR_NOT_SAME;
		if (log)
			fprintf(log, "minimize: %s\n", r < 0 ? "the predicate failed on the input"
				: "the input does not satisfy the predicate: nothing to keep");
		goto out;
	}
	for (unsigned round = 1; round <= rounds_max && !e->stop; round++) {
		unsigned long before_round = e->accepted;
		st.rounds = round;
		for (size_t i = 0; i < NPASSES && !e->stop; i++) {
			const struct min_pass *ps = &passes[i];
			unsigned long m0 = ps->measure(p, &e->best), ev0 = e->evals;
			double t = min_now_ms();
			ps->run(p);
			if (log)
				fprintf(log, "round %u %s: %lu -> %lu %s (%lu candidates, %.1f ms)\n",
					round, ps->name, m0, ps->measure(p, &e->best), ps->unit,
					e->evals - ev0, min_now_ms() - t);
		}
		if (e->accepted == before_round)
			break; /* a fixed point: no pass changed anything */
	}
	if (e->pred_failed)
		rc = MIN_ERR_PRED;
	*out = e->best;
out:
	st.evals += e->evals;
	st.accepted = e->accepted;
	st.cached = e->cached;
	st.budget_spent = e->stop && !e->pred_failed;
	st.ms = min_now_ms() - t0;
	if (log && rc != MIN_ERR_NOT_SAME)
		log_total(log, in, out, &st);
	if (stats)
		*stats = st;
	min_engine_fini(e);
	dec_close(&dec);
	free(e);
	free(p);
	return rc;
}
