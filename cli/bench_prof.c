/* Where the KVM executor's time goes: the executor's own phase profile
 * (kvm_executor.h kvm_prof) over the one-HLT case, a stream of generated
 * long64 cases and the default mix with the campaign's budgets, per case. The phases are timed inside the executor; what the
 * executor glue around them costs is the rest of the measured per-case
 * time. Profiling reads the clock ~8 times a case, which is counted and
 * printed so the figures can be read net of it. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "bench.h"
#include "campaign.h"
#include "kvm_executor.h"
#include "pipeline.h"

/* ns of one CLOCK_MONOTONIC read, what each profiling lap costs. */
static double clock_read_ns(void)
{
	struct timespec ts;
	double t0 = bench_now();
	for (int i = 0; i < 100000; i++)
		clock_gettime(CLOCK_MONOTONIC, &ts);
	return (bench_now() - t0) * 1e9 / 100000;
}

void bench_kvm_budget(struct session *s, uint8_t kind)
{
	pipeline_kvm_budget(&s->kvm, (enum pl_budget)kind, CAMP_SHORT_BUDGET_US, 1);
}

int bench_prof_cases(struct session *s, const char *what, const struct test_case *cases,
		     const uint8_t *budget, unsigned n, double seconds)
{
	double clock_ns = clock_read_ns();
	struct outcome *o = malloc(sizeof(*o));
	if (!o)
		return -1;
	/* One pass unprofiled first: what the executor sets up once, when a
	 * case first needs it (the hang calibration's probes, ~40 ms at the
	 * first hang), is not a per-case cost, and spread over 4096 cases it
	 * read as 9 us of "after". */
	for (unsigned i = 0; i < n; i++) {
		bench_kvm_budget(s, budget ? budget[i] : PL_BUDGET_WHOLE);
		(void)s->kvm.ops->run(&s->kvm, &cases[i], o);
	}
	kvm_prof_enable(&s->kvm, 1);
	unsigned long done = 0, failed = 0;
	double t0 = bench_now(), t;
	do {
		for (unsigned i = 0; i < n; i++) {
			bench_kvm_budget(s, budget ? budget[i] : PL_BUDGET_WHOLE);
			failed += s->kvm.ops->run(&s->kvm, &cases[i], o) < 0;
		}
		done += n;
		t = bench_now() - t0;
	} while (t < seconds);
	struct kvm_prof p;
	kvm_prof_read(&s->kvm, &p);
	kvm_prof_enable(&s->kvm, 0);
	bench_kvm_budget(s, PL_BUDGET_WHOLE);
	free(o);
	double per = t * 1e6 / done, sum = 0;
	uint64_t laps = 0;
	printf("executor cost per case [%s]: %.2f us measured (%lu cases, %lu failed, %.2f KVM_RUN each)\n",
	       what, per, done, failed, (double)p.times[KVM_PROF_RUN] / (double)done);
	for (int ph = 0; ph < KVM_PROF_COUNT; ph++) {
		double us = p.ns[ph] / 1e3 / (double)done;
		sum += us;
		laps += p.times[ph];
		if (!p.times[ph])
			continue;
		printf("  %-40s %7.3f us  %5.1f%%  (%.3f times a case)\n",
		       kvm_prof_name((enum kvm_prof_phase)ph), us, 100 * us / per,
		       (double)p.times[ph] / (double)done);
	}
	double prof_us = (double)laps * clock_ns / 1e3 / (double)done;
	printf("  %-40s %7.3f us  %5.1f%%\n", "executor glue, outcome init, the rest", per - sum,
	       100 * (per - sum) / per);
	printf("  (profiling's own clock reads, inside the figures above: ~%.3f us a case)\n", prof_us);
	return 0;
}

int bench_prof(struct session *s, const struct test_case *hlt, const struct test_case *stream,
	       unsigned n, double seconds)
{
	if (bench_prof_cases(s, "hlt", hlt, NULL, 1, seconds) < 0 ||
	    bench_prof_cases(s, "insn stream", stream, NULL, n, seconds) < 0)
		return -1;
	return 0;
}
