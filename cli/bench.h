/* The parts of `exitdiff bench` (cli/cmd_bench.c) in files of their own:
 * where the KVM executor's time goes (bench_prof.c), and the campaign
 * against KVM alone on the default mode mix (bench_mix.c). */
#ifndef EXITDIFF_BENCH_H
#define EXITDIFF_BENCH_H

#include <stdint.h>
#include <time.h>
#include "cli.h"

/* Rows compared with each other are measured in this many rounds taken
 * in turn, each row's best round kept. */
#define BENCH_ROUNDS 5

/* Seconds on the monotonic clock: every part times with it. */
static inline double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}
/* Per-phase cost of the KVM executor on the one-HLT case and on `stream`
 * (n generated cases), printed as us per case and share. 0 or -1. */
int bench_prof(struct session *s, const struct test_case *hlt, const struct test_case *stream,
	       unsigned n, double seconds);
/* The same for n cases, each with the campaign's KVM budget budget[i]
 * (enum pl_budget; NULL: the whole budget for every case). */
int bench_prof_cases(struct session *s, const char *what, const struct test_case *cases,
		     const uint8_t *budget, unsigned n, double seconds);
/* Sets KVM's budgets for one case as the campaign's pipeline would (kind:
 * enum pl_budget), so KVM alone runs what the campaign runs. */
void bench_kvm_budget(struct session *s, uint8_t kind);
/* KVM alone, the in-process pipeline and a real `exitdiff fuzz --jobs 1`
 * on the default mode mix, printed as rates and ratios. 0 or -1. */
int bench_mix(struct session *s, double floor, double seconds);
/* What a campaign adds to each case, without KVM: generator, reference
 * and the diff of an agreement, on the insn stream and the default mix
 * (bench_own.c), printed as us a case. 0 or -1. */
int bench_own(struct session *s, double seconds);

#endif
