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
#include "gen.h"
#include "kvm_executor.h"

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

/* The campaign's own work on a stream of generated cases: KVM alone (the
 * floor of any campaign on that stream: it must run every case in KVM), and
 * the whole per-case pipeline of a worker (generate, KVM, reference, diff).
 * Their ratio is what the campaign adds on top of KVM. */
#define STREAM_CASES 2048

static double measure_stream(struct session *s, const struct generator *g, int pipeline,
			     struct test_case *cases, struct outcome *a, struct outcome *b,
			     double seconds)
{
	unsigned long n = 0;
	double t0 = now_s(), t;
	do {
		for (unsigned i = 0; i < STREAM_CASES; i++) {
			struct test_case *c = &cases[i];
			if (pipeline)
				gen_make(g, 0x5eed0000u + i, c);
			if (s->kvm.ops->run(&s->kvm, c, a) < 0)
				return -1;
			if (pipeline) {
				struct divergence d;
				if (s->ref.ops->run(&s->ref, c, b) < 0)
					return -1;
				outcome_diff(b, a, &d);
			}
		}
		n += STREAM_CASES;
		t = now_s() - t0;
	} while (t < seconds);
	return n / t;
}

static int bench_stream(struct session *s, double floor, double seconds,
			struct outcome *a, struct outcome *b)
{
	const struct generator *g = gen_lookup("insn");
	struct test_case *cases = calloc(STREAM_CASES, sizeof(*cases));
	if (!g || !cases) {
		free(cases);
		return -1;
	}
	for (unsigned i = 0; i < STREAM_CASES; i++)
		gen_make(g, 0x5eed0000u + i, &cases[i]);
	double kvm = measure_stream(s, g, 0, cases, a, b, seconds);
	double all = kvm > 0 ? measure_stream(s, g, 1, cases, a, b, seconds) : -1;
	free(cases);
	if (all <= 0)
		return -1;
	printf("%-34s %10.0f cases/s  %.2f of floor\n", "kvm only [insn stream]", kvm, kvm / floor);
	printf("%-34s %10.0f cases/s  %.2f of floor, %.2f of kvm only\n",
	       "gen+kvm+ref+diff [insn stream]", all, all / floor, all / kvm);
	return 0;
}

/* The VMM executor on the insn generator's stream, one worker: cases/s,
 * and how many of them the VMM failed on (it is restarted after each). */
static double measure_vmm(struct executor *vmm, const struct generator *g, double seconds,
			  struct outcome *a, unsigned long *failures)
{
	struct test_case *c = malloc(sizeof(*c));
	unsigned long n = 0;
	double t0 = now_s(), t;
	*failures = 0;
	if (!c)
		return -1;
	do {
		gen_make(g, 0x5eed0000u + (uint32_t)n, c);
		if (vmm->ops->run(vmm, c, a) < 0) {
			if (vmm->dead)
				break;
			(*failures)++;
		}
		n++;
		t = now_s() - t0;
	} while (t < seconds);
	free(c);
	return vmm->dead ? -1 : n / t;
}

/* The row of the VMM executor: "vmm:qemu-tcg" unless --vmm names another;
 * not measured (said why) when the VMM does not start. */
static void bench_vmm(const char *spec, double seconds, struct outcome *a)
{
	struct session v;
	char label[64];
	unsigned long failures;
	snprintf(label, sizeof(label), "vmm:%.20s only [insn stream]", spec);
	if (session_open_vmm(&v, NEED_VMM, spec) < 0) {
		printf("%-34s not measured (the VMM did not start: see above)\n", label);
		return;
	}
	const struct generator *g = gen_lookup("insn");
	double rate = g ? measure_vmm(&v.vmm, g, seconds, a, &failures) : -1;
	if (rate < 0)
		printf("%-34s not measured: %s\n", label, v.vmm.err);
	else
		printf("%-34s %10.0f cases/s  per worker, %lu VMM failure(s) (restarted); target >= 2000\n",
		       label, rate, failures);
	session_close(&v);
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
	const char *vmm = "qemu-tcg";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			char *end;
			seconds = strtod(argv[++i], &end);
			if (*end || seconds <= 0) {
				cli_error("bench", "bad --seconds '%s'", argv[i]);
				return EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "--vmm") && i + 1 < argc) {
			vmm = argv[++i];
			if (!strncmp(vmm, "vmm:", 4))
				vmm += 4;
		} else if (!strcmp(argv[i], "--no-vmm")) {
			vmm = NULL;
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
	if (bench_stream(&s, floor, seconds, a, b) < 0) {
		cli_error("bench", "generated stream failed: %s%s", s.kvm.err, s.ref.err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (vmm)
		bench_vmm(vmm, seconds, a);
	printf("targets: kvm only [hlt] >= 0.85 of floor, both + diff [hlt] >= 0.75, gen+kvm+ref+diff >= 0.85 of kvm only\n");
	printf("the insn stream runs %u generated cases: its kvm-only rate is the most\n"
	       "any campaign on them can reach; `exitdiff fuzz --jobs 1` is compared with it\n",
	       STREAM_CASES);
out:
	free(a);
	free(b);
	session_close(&s);
	return rc;
}
