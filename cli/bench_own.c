/* The campaign's own cost per case, which needs no KVM: making the case,
 * the reference's run and the diff of an agreement (most cases agree, and
 * an agreement compares every part of both outcomes). With KVM these are
 * inside the pipeline rows of cmd_bench.c; on a host without KVM they and
 * the VMM's rows are what bench can measure, and the part of issue 15's
 * "campaign over KVM alone" that is ours to cut.
 *
 * Each stream is OWN_CASES cases made once and stored; a pass makes them
 * again into one buffer (as a worker does), runs the reference on each
 * stored case, then diffs each outcome with a copy of itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"
#include "diff.h"
#include "gen.h"

#define OWN_CASES 2048
/* Diffs per outcome between two clock reads: one diff is ~1 us, the
 * clock's read ~20 ns. */
#define OWN_DIFF_REPEAT 4

struct own_cost {
	double gen_us, ref_us, diff_us;
	unsigned agreed; /* outcomes the diff compared whole */
	/* The reference's time and steps by the case's mode, last pass. */
	double mode_s[MODE_COUNT];
	unsigned long mode_steps[MODE_COUNT];
	unsigned mode_n[MODE_COUNT];
};

/* One pass over the stream; the best per-part figures are kept in best. */
static int own_pass(struct session *s, const struct generator *g, const struct gen_config *cfg,
		    struct test_case *cases, struct outcome *a, struct outcome *b,
		    struct own_cost *best)
{
	struct test_case *one = &cases[OWN_CASES];
	double t0 = bench_now();
	for (unsigned i = 0; i < OWN_CASES; i++)
		gen_make_ex(g, cfg, gen_case_seed(1, 0, i), one, NULL);
	double gen = bench_now() - t0, ref = 0, diff = 0;
	unsigned whole = 0;
	memset(best->mode_s, 0, sizeof(best->mode_s));
	memset(best->mode_steps, 0, sizeof(best->mode_steps));
	memset(best->mode_n, 0, sizeof(best->mode_n));
	for (unsigned i = 0; i < OWN_CASES; i++) {
		double t1 = bench_now();
		if (s->ref.ops->run(&s->ref, &cases[i], b) < 0)
			return -1;
		double t2 = bench_now();
		memcpy(a, b, sizeof(*a));
		double t3 = bench_now();
		struct divergence d;
		for (int k = 0; k < OWN_DIFF_REPEAT; k++)
			outcome_diff(b, a, &d);
		diff += (bench_now() - t3) / OWN_DIFF_REPEAT;
		ref += t2 - t1;
		unsigned m = cases[i].mode < MODE_COUNT ? cases[i].mode : MODE_LONG64;
		best->mode_s[m] += t2 - t1;
		best->mode_steps[m] += b->steps;
		best->mode_n[m]++;
		/* An outcome that differs from its own copy is a diff bug,
		 * not a figure. */
		if (d.verdict == VERDICT_DIVERGE) {
			snprintf(s->ref.err, sizeof(s->ref.err),
				 "case %s: its outcome differs from its own copy (%s)", cases[i].id,
				 d.signature);
			return -1;
		}
		whole += d.verdict == VERDICT_AGREE && d.whole;
	}
	const double to_us = 1e6 / OWN_CASES;
	if (!best->ref_us || gen * to_us < best->gen_us)
		best->gen_us = gen * to_us;
	if (!best->ref_us || ref * to_us < best->ref_us)
		best->ref_us = ref * to_us;
	if (!best->diff_us || diff * to_us < best->diff_us)
		best->diff_us = diff * to_us;
	best->agreed = whole;
	return 0;
}

int bench_own(struct session *s, double seconds)
{
	const struct generator *g = gen_lookup("insn");
	const struct gen_config mix = { .modes = 0, .policy = GEN_KNOBS_DEFAULT };
	struct {
		const char *name;
		const struct gen_config *cfg;
	} const streams[] = { { "insn stream", NULL }, { "default mix", &mix } };
	struct test_case *cases = calloc(OWN_CASES + 1, sizeof(*cases));
	struct outcome *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	int rc = g && cases && a && b ? 0 : -1;
	for (size_t k = 0; !rc && k < sizeof(streams) / sizeof(streams[0]); k++) {
		for (unsigned i = 0; i < OWN_CASES; i++)
			gen_make_ex(g, streams[k].cfg, gen_case_seed(1, 0, i), &cases[i], NULL);
		struct own_cost best = { 0 };
		double t0 = bench_now();
		for (int r = 0; !rc && (r < 2 || (r < BENCH_ROUNDS && bench_now() - t0 < seconds)); r++)
			rc = own_pass(s, g, streams[k].cfg, cases, a, b, &best);
		if (rc)
			break;
		char label[64];
		snprintf(label, sizeof(label), "campaign's own cost [%s]", streams[k].name);
		printf("%-34s %7.2f us a case = generator %.2f + reference %.2f + diff %.2f "
		       "(%u of %u compared whole; the rest spent a budget or were not comparable)\n",
		       label, best.gen_us + best.ref_us + best.diff_us, best.gen_us, best.ref_us,
		       best.diff_us, best.agreed, OWN_CASES);
		if (!streams[k].cfg)
			continue;
		/* Where the reference's time goes by mode: the share of the
		 * cases, us a case and steps a case (a case that runs to the
		 * step budget costs the budget). */
		printf("  reference by mode [%s]:", streams[k].name);
		for (unsigned m = 0; m < MODE_COUNT; m++)
			if (best.mode_n[m])
				printf(" %s %.0f%% of cases %.2f us %.0f steps;", mode_name((enum cpu_mode)m),
				       100.0 * best.mode_n[m] / OWN_CASES, best.mode_s[m] * 1e6 / best.mode_n[m],
				       (double)best.mode_steps[m] / best.mode_n[m]);
		printf("\n");
	}
	free(cases);
	free(a);
	free(b);
	return rc;
}
