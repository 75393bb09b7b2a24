/* exitdiff bench: throughput of each executor as a ratio of the floor
 * measured in the same run, so the figures mean the same on any machine.
 * The floor is a bare KVM_RUN of a one-HLT guest with sync registers: no
 * memory reset, no state capture. Nothing here is a pass/fail test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bench.h"
#include "diff.h"
#include "gen.h"
#include "host.h"
#include "campaign.h"
#include "kvm_executor.h"
#include "pipeline.h"
#include "vmm.h"

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
	double t0 = bench_now(), t;
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
		t = bench_now() - t0;
	} while (t < seconds);
	return n / t;
}

/* The campaign's own work on a stream of generated cases: KVM alone with
 * the campaign's budgets (the floor of any campaign on that stream: it must
 * run every case in KVM), and
 * the whole per-case pipeline of a worker (generate, then pipeline_run as
 * the worker calls it: reference, KVM with the campaign's budgets, diff,
 * and the restore narrowing after an agreement). Their ratio is what the
 * campaign adds on top of KVM. */
#define STREAM_CASES 2048

/* What one pass over the stream runs: KVM alone (the cases made before),
 * the whole pipeline (making each case), or one of the pipeline's parts
 * alone, for the breakdown of the campaign's cost. */
enum stream_part { STREAM_KVM, STREAM_PIPELINE, STREAM_GEN, STREAM_REF };

static double measure_stream(struct session *s, const struct generator *g, enum stream_part part,
			     struct pipeline *pl, struct test_case *cases, struct test_case *one,
			     const uint8_t *budget, struct outcome *a, struct outcome *b,
			     double seconds)
{
	unsigned long n = 0;
	double t0 = bench_now(), t;
	do {
		for (unsigned i = 0; i < STREAM_CASES; i++) {
			struct test_case *c = &cases[i];
			struct pl_result r;
			switch (part) {
			case STREAM_KVM:
				bench_kvm_budget(s, budget[i]);
				int rk = s->kvm.ops->run(&s->kvm, c, a);
				bench_kvm_budget(s, PL_BUDGET_WHOLE);
				if (rk < 0)
					return -1;
				break;
			case STREAM_PIPELINE:
				/* Made into one buffer, as a worker makes each
				 * case into the same one. */
				gen_make(g, 0x5eed0000u + i, one);
				if (pipeline_run(pl, one, b, a, &r) >= PL_REF_FAILED)
					return -1;
				break;
			case STREAM_GEN:
				gen_make(g, 0x5eed0000u + i, one);
				break;
			case STREAM_REF:
				if (s->ref.ops->run(&s->ref, c, b) < 0)
					return -1;
				break;
			}
		}
		n += STREAM_CASES;
		t = bench_now() - t0;
	} while (t < seconds);
	return n / t;
}

static int bench_stream(struct session *s, double floor, double seconds,
			struct outcome *a, struct outcome *b)
{
	const struct generator *g = gen_lookup("insn");
	/* The stream's cases, then the one buffer the pipeline makes into. */
	struct test_case *cases = calloc(STREAM_CASES + 1, sizeof(*cases));
	if (!g || !cases) {
		free(cases);
		return -1;
	}
	struct test_case *one = &cases[STREAM_CASES];
	/* KVM alone gets the budgets the campaign would give each case. */
	uint8_t budget[STREAM_CASES];
	for (unsigned i = 0; i < STREAM_CASES; i++) {
		gen_make(g, 0x5eed0000u + i, &cases[i]);
		budget[i] = s->ref.ops->run(&s->ref, &cases[i], b) == 0 ? pipeline_budget_of(b) :
									  PL_BUDGET_WHOLE;
	}
	struct pipeline pl;
	if (pipeline_open(&pl, &s->ref, &s->kvm, NULL) < 0) {
		free(cases);
		return -1;
	}
	pl.short_budget_us = CAMP_SHORT_BUDGET_US;
	pl.hang_probe = 1;
	/* Each part's best rate; the generator's and the reference's passes
	 * are short beside KVM's and run a tenth as long. */
	double best[4] = { 0 };
	const double share[4] = { 1, 1, 0.1, 0.1 };
	for (int r = 0; r < BENCH_ROUNDS; r++) {
		for (int part = STREAM_KVM; part <= STREAM_REF; part++) {
			double x = measure_stream(s, g, (enum stream_part)part, &pl, cases, one, budget, a, b,
						  share[part] * seconds / BENCH_ROUNDS);
			if (x <= 0) {
				pipeline_close(&pl);
				free(cases);
				return -1;
			}
			best[part] = x > best[part] ? x : best[part];
		}
	}
	pipeline_close(&pl);
	double kvm = best[STREAM_KVM], all = best[STREAM_PIPELINE];
	printf("%-34s %10.0f cases/s  %.2f of floor\n", "kvm only [insn stream]", kvm, kvm / floor);
	printf("%-34s %10.0f cases/s  %.2f of floor, %.2f of kvm only\n",
	       "gen+kvm+ref+diff [insn stream]", all, all / floor, all / kvm);
	/* Where the campaign's time over KVM alone goes, each part alone:
	 * the rest is the diff, the restore narrowing and what the parts cost
	 * each other in caches when they run in turn. */
	double us_all = 1e6 / all, us_kvm = 1e6 / kvm, us_gen = 1e6 / best[STREAM_GEN],
	       us_ref = 1e6 / best[STREAM_REF];
	printf("pipeline cost per case [insn stream]: %.2f us = KVM %.2f + reference %.2f + "
	       "generator %.2f + diff and the rest %.2f\n",
	       us_all, us_kvm, us_ref, us_gen, us_all - us_kvm - us_ref - us_gen);
	struct test_case *hlt = calloc(1, sizeof(*hlt));
	int rc = hlt ? 0 : -1;
	if (hlt) {
		case_init(hlt);
		snprintf(hlt->id, sizeof(hlt->id), "bench-hlt");
		hlt->code[0] = 0xf4;
		hlt->code_len = 1;
		rc = bench_prof(s, hlt, cases, STREAM_CASES, seconds);
	}
	free(hlt);
	free(cases);
	return rc;
}

/* The VMM executor on the insn generator's stream, one worker, in batches
 * of VMM_BENCH_BATCH cases (vmm_run_batch: one mailbox round each, as many
 * as fit): cases/s, how many of them the VMM failed on (it is restarted
 * after each) and the time those took (a hung VMM costs VMM_CASE_WAIT_MS,
 * then a boot): a call that failed, less its answered cases at the mean
 * time of a case in calls that did not. */
#define VMM_BENCH_BATCH 32

static double measure_vmm(struct executor *vmm, const struct generator *g, double seconds,
			  unsigned long *failures, double *fail_s)
{
	struct test_case *c = malloc(VMM_BENCH_BATCH * sizeof(*c));
	struct outcome *out = malloc(VMM_BENCH_BATCH * sizeof(*out));
	unsigned long n = 0, clean_n = 0;
	double t0 = bench_now(), t = 0, clean_t = 0;
	*failures = 0;
	*fail_s = 0;
	if (!c || !out) {
		free(c);
		free(out);
		return -1;
	}
	do {
		for (size_t i = 0; i < VMM_BENCH_BATCH; i++)
			gen_make(g, 0x5eed0000u + (uint32_t)(n + i), &c[i]);
		/* A case the VMM failed on is counted and the batch goes on
		 * after it. */
		for (size_t i = 0; i < VMM_BENCH_BATCH;) {
			double t1 = bench_now();
			size_t a = vmm_run_batch(vmm, c + i, VMM_BENCH_BATCH - i, NULL, out + i);
			double spent = bench_now() - t1;
			i += a;
			if (i == VMM_BENCH_BATCH) {
				clean_t += spent;
				clean_n += a;
				break;
			}
			if (vmm->dead)
				goto out;
			(*failures)++;
			spent -= clean_n ? a * clean_t / clean_n : 0;
			*fail_s += spent > 0 ? spent : 0;
			i++;
		}
		n += VMM_BENCH_BATCH;
		t = bench_now() - t0;
	} while (t < seconds);
out:
	free(c);
	free(out);
	return vmm->dead ? -1 : n / t;
}

/* The rows of the VMM executor: "vmm:qemu-tcg" unless --vmm names another,
 * one row per transport it offers (docs/vmm.md "Transports": the
 * shared-memory mailbox, then the serial line every VMM has); not
 * measured (said why) when the VMM does not start. EXITDIFF_VMM_TRANSPORT
 * picks one of them. */
static void bench_vmm(const char *spec, double seconds)
{
	static const char *const transports[] = { "shm", "serial" };
	const char *was = getenv("EXITDIFF_VMM_TRANSPORT");
	char *saved = was ? strdup(was) : NULL;
	for (size_t k = 0; k < sizeof(transports) / sizeof(transports[0]); k++) {
		/* EXITDIFF_VMM_TRANSPORT set: that transport's row alone. */
		if (saved && strcmp(saved, transports[k]))
			continue;
		struct session v;
		char label[64];
		unsigned long failures;
		double fail_s = 0;
		setenv("EXITDIFF_VMM_TRANSPORT", transports[k], 1);
		snprintf(label, sizeof(label), "vmm:%.20s %s [insn stream]", spec, transports[k]);
		if (session_open_vmm(&v, NEED_VMM, spec) < 0) {
			printf("%-34s not measured (the VMM did not start: see above)\n", label);
			break;
		}
		/* A VMM without the mailbox answers on the serial line: its
		 * one row is the serial one. */
		if (strcmp(vmm_transport(&v.vmm), transports[k])) {
			session_close(&v);
			continue;
		}
		const struct generator *g = gen_lookup("insn");
		double t0 = bench_now();
		double rate = g ? measure_vmm(&v.vmm, g, seconds, &failures, &fail_s) : -1;
		double spent = bench_now() - t0;
		if (rate < 0)
			printf("%-34s not measured: %s\n", label, v.vmm.err);
		else if (spent - fail_s < spent / 10)
			printf("%-34s %10.0f cases/s  per worker, %lu VMM failure(s) (restarted, "
			       "%.1f s of the %.1f s: too little left to say more); target >= 2000\n",
			       label, rate, failures, fail_s, spent);
		else
			printf("%-34s %10.0f cases/s  per worker, %lu VMM failure(s) (restarted, "
			       "%.1f s of the %.1f s); %.0f cases/s apart from them; target >= 2000\n",
			       label, rate, failures, fail_s, spent,
			       spent > fail_s ? rate * spent / (spent - fail_s) : 0.0);
		session_close(&v);
	}
	if (saved)
		setenv("EXITDIFF_VMM_TRANSPORT", saved, 1);
	else
		unsetenv("EXITDIFF_VMM_TRANSPORT");
	free(saved);
}

static double measure_floor(struct session *s, double seconds, int full_sync)
{
	unsigned long n = 0;
	double t0 = bench_now(), t;
	do {
		if ((full_sync ? kvm_bench_bare_run_full_sync(&s->kvm, 256) :
				 kvm_bench_bare_run(&s->kvm, 256)) < 0)
			return -1;
		n += 256;
		t = bench_now() - t0;
	} while (t < seconds);
	return n / t;
}

int cmd_bench(int argc, char **argv)
{
	double seconds = 1.0;
	const char *vmm = "qemu-tcg";
	int only_vmm = 0;
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
		} else if (!strcmp(argv[i], "--only-vmm")) {
			/* The VMM rows alone: no KVM needed. */
			only_vmm = 1;
		} else {
			cli_error("bench", "unknown option '%s'", argv[i]);
			return EXIT_USAGE;
		}
	}
	struct outcome *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	if (only_vmm) {
		if (vmm)
			bench_vmm(vmm, seconds);
		free(a);
		free(b);
		return 0;
	}
	struct session s;
	if (access(host_kvm_device(), F_OK) < 0) {
		/* Nothing to measure against KVM: the campaign's own cost and
		 * the VMM's rows, which need none, and a word on the rest. */
		printf("environment: no %s: the KVM rows are not measured; the campaign's own cost "
		       "and the VMM's are\n",
		       host_kvm_device());
		int rc = session_open(&s, NEED_REF) < 0 ? EXIT_USAGE : 0;
		if (!rc && bench_own(&s, seconds) < 0) {
			cli_error("bench", "the campaign's own cost: %s", s.ref.err);
			session_close(&s);
			rc = EXIT_USAGE;
		} else if (!rc) {
			session_close(&s);
		}
		if (!rc && vmm)
			bench_vmm(vmm, seconds);
		free(a);
		free(b);
		return rc;
	}
	if (session_open(&s, NEED_KVM | NEED_REF) < 0) {
		free(a);
		free(b);
		return EXIT_USAGE;
	}
	int rc = 0;
	printf("environment: kernel=%s backend=%s\n", s.kvm.env.kernel, s.kvm.env.backend);
	/* Rows measured in rounds, in turn, each row's best round kept: a
	 * burst of other load on a shared machine then spoils one round of
	 * every row, not all of one row (and its ratio). */
	enum { NCASES = sizeof(bench_cases) / sizeof(bench_cases[0]) };
	struct test_case cs[NCASES];
	for (size_t k = 0; k < NCASES; k++) {
		case_init(&cs[k]);
		snprintf(cs[k].id, sizeof(cs[k].id), "bench-%s", bench_cases[k].name);
		memcpy(cs[k].code, bench_cases[k].code, bench_cases[k].len);
		cs[k].code_len = bench_cases[k].len;
	}
	double floor = 0, full = 0, rates[NCASES][BOTH + 1];
	memset(rates, 0, sizeof(rates));
	const double slice = seconds / BENCH_ROUNDS;
	for (int r = 0; r < BENCH_ROUNDS; r++) {
		double f = measure_floor(&s, slice, 0), g = f > 0 ? measure_floor(&s, slice, 1) : -1;
		if (f <= 0 || g <= 0) {
			cli_error("bench", "floor measurement failed: %s", s.kvm.err);
			rc = EXIT_USAGE;
			goto out;
		}
		floor = f > floor ? f : floor;
		full = g > full ? g : full;
		for (size_t k = 0; k < NCASES; k++)
			for (int w = KVM_ONLY; w <= BOTH; w++) {
				double rate = measure(&s, w, &cs[k], a, b, slice);
				if (rate < 0) {
					cli_error("bench", "case %s: executor failed: %s%s", cs[k].id,
						  s.kvm.err, s.ref.err);
					rc = EXIT_USAGE;
					goto out;
				}
				if (rate > rates[k][w])
					rates[k][w] = rate;
			}
	}
	printf("(each rate: the best of %d rounds taken in turn)\n", BENCH_ROUNDS);
	printf("%-34s %10.0f cases/s  (%.2f us/case)\n", "floor (bare KVM_RUN, one HLT)", floor, 1e6 / floor);
	/* What KVM spends storing SREGS and EVENTS in the sync area at each
	 * exit, which the executor asks for (it compares them instead of
	 * setting them): the first item of its cost. */
	printf("%-34s %10.0f cases/s  (%.2f us/case, read-back %+.2f us)\n",
	       "floor + SREGS/EVENTS read-back", full, 1e6 / full, 1e6 / full - 1e6 / floor);
	static const char *const which_name[] = { "kvm only", "reference only", "both + diff" };
	for (size_t k = 0; k < NCASES; k++)
		for (int w = KVM_ONLY; w <= BOTH; w++) {
			char label[64];
			snprintf(label, sizeof(label), "%s [%s]", which_name[w], bench_cases[k].name);
			printf("%-34s %10.0f cases/s  %.2f of floor\n", label, rates[k][w],
			       rates[k][w] / floor);
		}
	if (bench_stream(&s, floor, seconds, a, b) < 0) {
		cli_error("bench", "generated stream failed: %s%s", s.kvm.err, s.ref.err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (bench_mix(&s, floor, seconds) < 0) {
		cli_error("bench", "default mix failed: %s%s", s.kvm.err, s.ref.err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (bench_own(&s, seconds) < 0) {
		cli_error("bench", "the campaign's own cost: %s", s.ref.err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (vmm)
		bench_vmm(vmm, seconds);
	printf("targets: kvm only [hlt] >= 0.85 of floor, both + diff [hlt] >= 0.75, gen+kvm+ref+diff >= 0.85 of kvm only,\n"
	       "         exitdiff fuzz --jobs 1 >= 0.8 of kvm only [default mix], --jobs 2 >= 1.9 x one worker\n");
	printf("the insn stream runs %u generated cases: its kvm-only rate is the most\n"
	       "any campaign on them can reach; `exitdiff fuzz --jobs 1` is compared with it\n",
	       STREAM_CASES);
out:
	free(a);
	free(b);
	session_close(&s);
	return rc;
}
