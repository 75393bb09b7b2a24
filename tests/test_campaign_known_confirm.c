/* A divergence the known list names is counted without a confirming KVM
 * run, the first time the worker meets it too, and a new one is still
 * confirmed.
 *
 * The fake "kvm" flips RAX when code[0] % 16 == 1 (the known signature)
 * on the first run of every such case, and RBX when == 2 (a new one) on
 * every run of the first such case and the first run of the later ones:
 * a confirming run of those agrees, and the case counts as unconfirmed.
 * So every RAX case counts as known only if none was run twice (the test
 * counts them by making the campaign's cases again), while every RBX case
 * after the first is unconfirmed, which shows the confirmation still runs
 * where it decides something. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "campaign.h"
#include "case_text.h"
#include "check.h"
#include "fake_executor.h"

static int fake_ref_run(struct executor *ex, const struct test_case *c, struct outcome *o)
{
	(void)ex;
	base_outcome(c, o);
	return 0;
}

/* Per worker process: seeds seen, so a second run of a case is told apart. */
static uint64_t last_seed = ~0ull;
static int met[2];

static int fake_kvm_run(struct executor *ex, const struct test_case *c, struct outcome *o)
{
	(void)ex;
	base_outcome(c, o);
	int cls = c->code_len ? c->code[0] % 16 : 0;
	int again = c->seed == last_seed;
	last_seed = c->seed;
	if (cls != 1 && cls != 2)
		return 0;
	if (!again)
		met[cls - 1]++;
	if (again && (cls == 1 || met[1] > 1))
		return 0;
	o->state.gpr[cls == 1 ? RAX : RBX] ^= 1;
	return 0;
}

FAKE_CAMPAIGN_BACKEND(fake_ref_run, fake_kvm_run);

int main(void)
{
	char dir[] = "/tmp/exitdiff-campk-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	char known[600], out[600];
	snprintf(known, sizeof(known), "%s/known.txt", dir);
	snprintf(out, sizeof(out), "%s/run", dir);
	FILE *f = fopen(known, "w");
	if (!f)
		return 1;
	fprintf(f, "hlt/hlt:rax:-  the fake flips rax\n");
	fclose(f);
	struct campaign_opts o = {
		.jobs = 1, .execs = 3000, .seed = 9, .gen = gen_lookup("raw"),
		.out = out, .stats_period = 0.2, .known_path = known,
	};
	int rc = campaign_run(&o, &fake);
	CHECK(rc == 0, "campaign with fake executors ran (rc %d)", rc);
	unsigned long long kh = state_num(out, "known"), unc = state_num(out, "unconfirmed");
	unsigned long long div = state_num(out, "diverge"), execs = state_num(out, "execs");
	/* raw gives each class a few dozen of 3000 cases. */
	CHECK(execs == 3000, "3000 execs (%llu)", execs);
	unsigned long long rax_cases = 0;
	for (uint64_t k = 0; k < 3000; k++) {
		struct test_case c;
		gen_make_ex(o.gen, o.gcfg, gen_case_seed(o.seed, 0, k), &c, NULL);
		rax_cases += c.code_len && c.code[0] % 16 == 1;
	}
	CHECK(rax_cases > 20 && kh == rax_cases,
	      "every known-class case counted as known without a second run, the first too (%llu of %llu)",
	      kh, rax_cases);
	CHECK(unc > 20 && unc != ~0ull,
	      "new divergences still confirmed: RBX cases after the first unconfirmed (%llu)", unc);
	CHECK(div == kh + 1, "divergences %llu = known hits %llu + the one confirmed RBX case", div, kh);
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("note: could not remove %s\n", dir);
	return check_done("test_campaign_known_confirm");
}
