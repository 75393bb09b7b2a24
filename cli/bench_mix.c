/* The campaign against KVM alone on the default mode mix (every mode, a
 * share of CPL3 and of random knobs: what `exitdiff fuzz` runs when told
 * nothing). KVM alone runs the campaign's first MIX_CASES cases (same
 * generator, seed and budgets: the short budget where the reference spent
 * its step budget, the hang probe where it ended by itself), which is the most any campaign on them can reach; the
 * pipeline row adds the reference and the diff in this process; the
 * campaign row is a real `exitdiff fuzz --jobs 1` (and --jobs 2) of this
 * binary, its rate the best of its stats periods after the first (which
 * holds start-up).
 *
 * The sample is large because a few cases decide a small one: about 1% of
 * the mix ends in KVM's time budget (1-5 ms each, 20-100 times an average
 * case), so 2048 cases held 20 of them, give or take 5, and moved the
 * kvm-only rate by a quarter from one seed range to the next. The cases
 * are made again for each pass (a stored 32768 would be 400 MB) and the
 * making is timed on its own and taken off KVM alone's time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>
#include "bench.h"
#include "campaign.h"
#include "gen.h"
#include "gen_rng.h"
#include "pipeline.h"

#define MIX_CASES 32768
/* The stored cases the executor's cost breakdown runs on. */
#define PROF_CASES 2048
/* The seed `exitdiff fuzz` uses when given none. */
#define MIX_SEED 1

/* stats.jsonl lines the campaigns of campaign_rates wrote so far. */
static long stats_lines_before;

/* Seconds to make the MIX_CASES cases alone. */
static double make_time(const struct generator *g, const struct gen_config *cfg,
			struct test_case *c)
{
	double t0 = bench_now();
	for (unsigned i = 0; i < MIX_CASES; i++)
		gen_make_ex(g, cfg, gen_case_seed(MIX_SEED, 0, i), c, NULL);
	return bench_now() - t0;
}

/* KVM's rate on the MIX_CASES cases, the time to make them taken off. */
static double kvm_alone(struct session *s, const struct generator *g,
			const struct gen_config *cfg, struct test_case *c,
			const uint8_t *budget, struct outcome *o)
{
	double make = make_time(g, cfg, c);
	double t0 = bench_now();
	for (unsigned i = 0; i < MIX_CASES; i++) {
		gen_make_ex(g, cfg, gen_case_seed(MIX_SEED, 0, i), c, NULL);
		bench_kvm_budget(s, budget[i]);
		(void)s->kvm.ops->run(&s->kvm, c, o);
	}
	bench_kvm_budget(s, PL_BUDGET_WHOLE);
	double t = bench_now() - t0 - make;
	return t > 0 ? MIX_CASES / t : -1;
}

static double pipeline_rate(struct session *s, const struct generator *g,
			    const struct gen_config *cfg, struct test_case *c,
			    struct outcome *a, struct outcome *b)
{
	struct pipeline pl;
	if (pipeline_open(&pl, &s->ref, &s->kvm, NULL) < 0)
		return -1;
	pl.confirm = 0;
	pl.short_budget_us = CAMP_SHORT_BUDGET_US;
	pl.hang_probe = 1;
	double t0 = bench_now();
	for (unsigned i = 0; i < MIX_CASES; i++) {
		struct pl_result r;
		gen_make_ex(g, cfg, gen_case_seed(MIX_SEED, 0, i), c, NULL);
		(void)pipeline_run(&pl, c, b, a, &r);
	}
	double t = bench_now() - t0;
	pipeline_close(&pl);
	return MIX_CASES / t;
}

/* execs/s of `exitdiff fuzz --jobs N` for `seconds` into out (a campaign
 * already there is resumed), the best of its stats periods after the
 * first; -1 when it could not run. */
static double campaign_run_rate(const char *out, unsigned jobs, double seconds)
{
	char secs[32], njobs[16], path[96];
	snprintf(secs, sizeof(secs), "%.0f", seconds);
	snprintf(njobs, sizeof(njobs), "%u", jobs);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl("/proc/self/exe", "exitdiff", "fuzz", "--jobs", njobs, "--time", secs,
		      "--out", out, "--report-period", "0", (char *)NULL);
		_exit(127);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		status = -1;
	double rate = -1, t0 = 0;
	unsigned long long e0 = 0;
	int lines = 0;
	snprintf(path, sizeof(path), "%s/stats.jsonl", out);
	FILE *f = fopen(path, "r");
	/* A resumed campaign appends: only this run's lines count. */
	long skip = 0;
	if (f && stats_lines_before >= 0) {
		char l[65536];
		while (skip < stats_lines_before && fgets(l, sizeof(l), f))
			skip++;
	}
	char line[65536];
	while (f && fgets(line, sizeof(line), f)) {
		double t;
		unsigned long long e;
		if (sscanf(line, "{\"time\":%lf,\"unix\":%*d,\"execs\":%llu", &t, &e) != 2)
			continue;
		/* The best stats period; the first one holds the start-up. */
		if (lines++ && t > t0 && (double)(e - e0) / (t - t0) > rate)
			rate = (double)(e - e0) / (t - t0);
		t0 = t;
		e0 = e;
	}
	if (f)
		fclose(f);
	stats_lines_before += lines;
	return rate;
}

/* A campaign's first seconds are its most expensive: every bucket it
 * meets is new, cut and minimized (up to 2 s each, runs to a time budget
 * among them). So the campaign runs twice on one directory: cold, then
 * resumed (warm: the buckets of the first run are on disk and only
 * counted), which is what a long campaign's later hours look like. */
static int campaign_rates(unsigned jobs, double seconds, double *cold, double *warm)
{
	char dir[] = "/tmp/exitdiff-bench-XXXXXX";
	if (!mkdtemp(dir))
		return -1;
	char out[64];
	snprintf(out, sizeof(out), "%s/out", dir);
	stats_lines_before = 0;
	*cold = campaign_run_rate(out, jobs, seconds);
	*warm = *cold > 0 ? campaign_run_rate(out, jobs, seconds) : -1;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "exitdiff bench: could not remove %s\n", dir);
	return *warm > 0 ? 0 : -1;
}

int bench_mix(struct session *s, double floor, double seconds)
{
	const struct generator *g = gen_lookup("insn");
	const struct gen_config cfg = { .modes = 0, .policy = GEN_KNOBS_DEFAULT };
	struct test_case *cases = calloc(PROF_CASES, sizeof(*cases));
	uint8_t *budget = calloc(MIX_CASES, 1);
	struct outcome *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct test_case *c = malloc(sizeof(*c));
	int rc = -1;
	if (!g || !cases || !budget || !a || !b || !c)
		goto out;
	for (unsigned i = 0; i < MIX_CASES; i++) {
		struct test_case *ci = i < PROF_CASES ? &cases[i] : c;
		gen_make_ex(g, &cfg, gen_case_seed(MIX_SEED, 0, i), ci, NULL);
		budget[i] = s->ref.ops->run(&s->ref, ci, b) == 0 ? pipeline_budget_of(b) : PL_BUDGET_WHOLE;
	}
	/* Whole passes over the sample, in turn, the best of each kept; at
	 * least two rounds whatever `seconds` says. */
	double kvm = 0, pl = 0, t0 = bench_now();
	for (int r = 0; r < BENCH_ROUNDS && (r < 2 || bench_now() - t0 < seconds); r++) {
		double k1 = kvm_alone(s, g, &cfg, c, budget, a);
		double p1 = pipeline_rate(s, g, &cfg, c, a, b);
		kvm = k1 > kvm ? k1 : kvm;
		pl = p1 > pl ? p1 : pl;
	}
	if (kvm <= 0 || pl <= 0)
		goto out;
	/* The campaign prints a stats line every 2 s: four periods or more. */
	double camp_s = seconds * 8 < 8 ? 8 : seconds * 8;
	double cold1, one, cold2, two;
	printf("%-34s %10.0f cases/s  %.2f of floor\n", "kvm only [default mix]", kvm, kvm / floor);
	printf("%-34s %10.0f cases/s  %.2f of kvm only [default mix]\n",
	       "gen+kvm+ref+diff [default mix]", pl, pl / kvm);
	/* Where KVM alone's time goes on the mix (its first PROF_CASES). */
	(void)bench_prof_cases(s, "default mix", cases, budget, PROF_CASES, seconds / BENCH_ROUNDS);
	if (campaign_rates(1, camp_s, &cold1, &one) < 0) {
		printf("%-34s could not run (exitdiff fuzz into a temporary directory)\n",
		       "exitdiff fuzz --jobs 1");
		goto out;
	}
	printf("%-34s %10.0f execs/s  %.2f of kvm only [default mix] (%.0f s; cold: %.0f/s, %.2f)\n",
	       "exitdiff fuzz --jobs 1 (resumed)", one, one / kvm, camp_s, cold1, cold1 / kvm);
	if (campaign_rates(2, camp_s, &cold2, &two) == 0)
		printf("%-34s %10.0f execs/s  %.2f x one worker (cold: %.0f/s, %.2f x)\n",
		       "exitdiff fuzz --jobs 2 (resumed)", two, two / one, cold2, cold2 / cold1);
	rc = 0;
out:
	free(c);
	free(cases);
	free(budget);
	free(a);
	free(b);
	return rc;
}
