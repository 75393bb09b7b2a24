/* exitdiff bench: throughput of each executor as a ratio of the floor
 * measured in the same run, so the figures mean the same on any machine.
 * The floor is a bare KVM_RUN of a one-HLT guest with sync registers: no
 * memory reset, no state capture. Nothing here is a pass/fail test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "diff.h"
#include "kvm.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct bench_case {
	const char *name;
	unsigned len;
	uint8_t code[16];
};

/* The floor's own guest (one HLT), and a typical small case: mov, add, an
 * OUT exit, HLT. */
static const struct bench_case bench_cases[] = {
	{ "hlt", 1, { 0xf4 } },
	{ "mov-add-out-hlt", 10, { 0xb8, 0x01, 0x00, 0x00, 0x00, 0x01, 0xd8, 0xe6, 0x80, 0xf4 } },
};

enum which { KVM_ONLY, REF_ONLY, BOTH };

/* Runs c repeatedly for about `seconds`; returns cases/s, or -1. */
static double measure(struct session *s, enum which w, const struct test_case *c,
		      struct outcome *a, struct outcome *b, double seconds)
{
	unsigned long n = 0;
	double t0 = now_s(), t;
	do {
		for (int i = 0; i < 256; i++) {
			if (w != REF_ONLY && s->kvm.ops->run(&s->kvm, c, a) < 0)
				return -1;
			if (w != KVM_ONLY && s->ref.ops->run(&s->ref, c, b) < 0)
				return -1;
			if (w == BOTH) {
				struct divergence d;
				outcome_diff(b, a, &d);
			}
		}
		n += 256;
		t = now_s() - t0;
	} while (t < seconds);
	return n / t;
}

static double measure_floor(struct session *s, double seconds)
{
	unsigned long n = 0;
	double t0 = now_s(), t;
	do {
		if (kvm_bench_bare_run(&s->kvm, 256) < 0)
			return -1;
		n += 256;
		t = now_s() - t0;
	} while (t < seconds);
	return n / t;
}

int cmd_bench(int argc, char **argv)
{
	double seconds = 1.0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			char *end;
			seconds = strtod(argv[++i], &end);
			if (*end || seconds <= 0) {
				cli_error("bench", "bad --seconds '%s'", argv[i]);
				return EXIT_USAGE;
			}
		} else {
			cli_error("bench", "unknown option '%s'", argv[i]);
			return EXIT_USAGE;
		}
	}
	struct session s;
	if (session_open(&s, NEED_KVM | NEED_REF) < 0)
		return EXIT_USAGE;
	struct outcome *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	int rc = 0;
	printf("environment: kernel=%s backend=%s\n", s.kvm.env.kernel, s.kvm.env.backend);
	double floor = measure_floor(&s, seconds);
	if (floor <= 0) {
		cli_error("bench", "floor measurement failed: %s", s.kvm.err);
		rc = EXIT_USAGE;
		goto out;
	}
	printf("%-34s %10.0f cases/s  (%.2f us/case)\n", "floor (bare KVM_RUN, one HLT)", floor, 1e6 / floor);
	static const char *const which_name[] = { "kvm only", "reference only", "both + diff" };
	for (size_t k = 0; k < sizeof(bench_cases) / sizeof(bench_cases[0]); k++) {
		struct test_case c;
		case_init(&c);
		snprintf(c.id, sizeof(c.id), "bench-%s", bench_cases[k].name);
		memcpy(c.code, bench_cases[k].code, bench_cases[k].len);
		c.code_len = bench_cases[k].len;
		for (int w = KVM_ONLY; w <= BOTH; w++) {
			double rate = measure(&s, w, &c, a, b, seconds);
			if (rate < 0) {
				cli_error("bench", "case %s: executor failed: %s%s", c.id, s.kvm.err, s.ref.err);
				rc = EXIT_USAGE;
				goto out;
			}
			char label[64];
			snprintf(label, sizeof(label), "%s [%s]", which_name[w], bench_cases[k].name);
			printf("%-34s %10.0f cases/s  %.2f of floor\n", label, rate, rate / floor);
		}
	}
	printf("targets: kvm only >= 0.70 of floor, both >= 0.50 of floor (case 'hlt')\n");
out:
	free(a);
	free(b);
	session_close(&s);
	return rc;
}
