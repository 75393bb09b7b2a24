/* Per-mode campaign statistics with fake executors (no KVM needed): a
 * campaign over every mode writes per-lane counts (execs, agree, diverge,
 * unsupported, steps, modeled share, UNSUPPORTED tops, template families)
 * to stats.jsonl and the state file; they add up to the totals; a
 * divergence outside long64 is bucketed under "SIGNATURE@MODE", one in
 * long64 under the bare signature; a resumed run keeps the lane counts.
 *
 * The fakes: both end in HLT with the case's registers, the reference
 * counting code_len % 4 + 1 steps; "kvm" differs in RAX when
 * code[0] % 16 == 1; the reference is UNSUPPORTED when == 3. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "campaign.h"
#include "case_text.h"
#include "check.h"
#include "diff.h"
#include "fake_executor.h"


static int fake_ref_run(struct executor *ex, const struct test_case *c, struct outcome *o)
{
	(void)ex;
	base_outcome(c, o);
	o->steps = c->code_len % 4 + 1;
	if (c->code_len && c->code[0] % 16 == 3) {
		o->events[0].kind = EXIT_UNSUPPORTED;
		snprintf(o->mnemonic, sizeof(o->mnemonic), "fakeop%u", c->mode);
	}
	return 0;
}

static int fake_kvm_run(struct executor *ex, const struct test_case *c, struct outcome *o)
{
	(void)ex;
	base_outcome(c, o);
	if (c->code_len && c->code[0] % 16 == 1)
		o->state.gpr[RAX] ^= 1;
	return 0;
}

FAKE_CAMPAIGN_BACKEND(fake_ref_run, fake_kvm_run);

/* The value of a state line "KEY A B N" (up to 3 words before N), or -1. */
static long long state_val(const char *out, const char *prefix)
{
	char p[512], line[512];
	snprintf(p, sizeof(p), "%s/state", out);
	FILE *f = fopen(p, "r");
	long long v = -1;
	size_t pl = strlen(prefix);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, prefix, pl) && line[pl] == ' ' && strchr(line + pl + 1, ' ') == NULL)
			v = strtoll(line + pl + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static long long lane_val(const char *out, const char *lane, const char *field)
{
	char k[128];
	snprintf(k, sizeof(k), "lane %s %s", lane, field);
	long long v = state_val(out, k);
	return v < 0 ? 0 : v;
}

static char *last_line(const char *path)
{
	static char line[1 << 16];
	FILE *f = fopen(path, "r");
	line[0] = 0;
	while (f && fgets(line, sizeof(line), f))
		;
	if (f)
		fclose(f);
	return line;
}

/* Bucket directories (names are sanitized signatures): how many carry a
 * mode suffix, and how many do not. */
static void count_buckets(const char *out, int *suffixed, int *bare)
{
	char p[600];
	snprintf(p, sizeof(p), "%s/buckets", out);
	DIR *d = opendir(p);
	struct dirent *e;
	*suffixed = *bare = 0;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char q[1200], line[256];
		snprintf(q, sizeof(q), "%s/%s/hits", p, e->d_name);
		FILE *f = fopen(q, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "signature ", 10)) {
				if (strstr(line, "@real16") || strstr(line, "@prot32"))
					(*suffixed)++;
				else if (!strchr(line, '@'))
					(*bare)++;
			}
		fclose(f);
	}
	if (d)
		closedir(d);
}

int main(void)
{
	char tmpl[] = "/tmp/exitdiff-modes-XXXXXX";
	char *dir = mkdtemp(tmpl);
	if (!dir) {
		CHECK(0, "mkdtemp");
		return check_done("test_campaign_modes");
	}
	char out[512];
	snprintf(out, sizeof(out), "%s/run", dir);
	static struct gen_config all = { .modes = 0, .policy = GEN_KNOBS_DEFAULT };
	struct campaign_opts o = {
		.jobs = 2, .execs = 6000, .seed = 4, .gen = gen_lookup("insn"), .gcfg = &all,
		.out = out, .stats_period = 0.2,
	};
	CHECK(campaign_run(&o, &fake) == 0, "campaign over every mode runs (6000 execs, 2 workers)");

	static const char *const lanes[] = { "long64", "long64+cpl3", "prot32", "prot32-paged", "real16",
					     "compat32", "msr-exit", "events" };
	long long sum_exec = 0, sum_agree = 0, sum_div = 0, sum_uns = 0, consistent = 1, present = 0;
	for (int l = 0; l < 8; l++) {
		long long e = lane_val(out, lanes[l], "execs"), a = lane_val(out, lanes[l], "agree"),
			  d = lane_val(out, lanes[l], "diverge"), u = lane_val(out, lanes[l], "unsupported"),
			  st = lane_val(out, lanes[l], "steps");
		present += e > 0;
		sum_exec += e;
		sum_agree += a;
		sum_div += d;
		sum_uns += u;
		/* Every fake case ends agree, diverge or unsupported. */
		if (a + d + u != e || st < e - u || st > 4 * e)
			consistent = 0;
		printf("  %-13s execs %lld agree %lld diverge %lld unsupported %lld steps %lld\n",
		       lanes[l], e, a, d, u, st);
	}
	CHECK(present == 8, "state: every lane has execs (%lld of 8)", present);
	CHECK(sum_exec == 6000 && sum_exec == state_val(out, "execs"),
	      "state: lane execs add up to the total (%lld)", sum_exec);
	CHECK(sum_agree == state_val(out, "agree") && sum_div == state_val(out, "diverge") &&
	      sum_uns == state_val(out, "unsupported"), "state: lane agree/diverge/unsupported add up to the totals");
	CHECK(consistent, "state: per lane agree+diverge+unsupported = execs, steps plausible");
	char k[128];
	snprintf(k, sizeof(k), "lane_unsup real16 fakeop%u", MODE_REAL16);
	CHECK(state_val(out, k) == lane_val(out, "real16", "unsupported"),
	      "state: real16's UNSUPPORTED are all its own mnemonic (%lld)", state_val(out, k));
	long long fam_cases = 0;
	static const char *const fams[] = { "alu", "move", "ctl", "sys", "legacy" };
	for (int f = 0; f < 5; f++) {
		snprintf(k, sizeof(k), "fam real16 %s cases", fams[f]);
		fam_cases += state_val(out, k) > 0;
	}
	CHECK(fam_cases == 5, "state: real16 has family counts for alu, move, ctl, sys, legacy");

	char p[600];
	snprintf(p, sizeof(p), "%s/stats.jsonl", out);
	const char *j = last_line(p);
	CHECK(strstr(j, "\"lanes\":{") && strstr(j, "\"real16\":{") && strstr(j, "\"long64+cpl3\":{") &&
	      strstr(j, "\"modeled_share\":") && strstr(j, "\"agree_rate\":") &&
	      strstr(j, "\"families\":{\"") && strstr(j, "\"mnemonic\":\"fakeop3\""),
	      "stats.jsonl: lanes with modeled_share, agree_rate, families, per-lane unsupported_top");
	const char *ms = strstr(j, "\"real16\":{");
	double share = ms && (ms = strstr(ms, "\"modeled_share\":")) ? strtod(ms + 16, NULL) : -1;
	long long rs = lane_val(out, "real16", "steps"), ru = lane_val(out, "real16", "unsupported");
	double want = (double)rs / (double)(rs + ru);
	CHECK(share > 0 && share < 1 && share - want < 0.0001 && want - share < 0.0001,
	      "stats.jsonl: real16 modeled_share %.4f = steps/(steps+unsupported) %.4f", share, want);

	int suffixed, bare;
	count_buckets(out, &suffixed, &bare);
	CHECK(suffixed >= 1 && bare >= 1,
	      "buckets: outside long64 keyed SIGNATURE@MODE (%d), long64 bare (%d)", suffixed, bare);

	/* Resume: the lane counts go on from the state file. */
	long long before = lane_val(out, "real16", "execs");
	o.execs = 1000;
	CHECK(campaign_run(&o, &fake) == 0, "resumed run");
	long long after = lane_val(out, "real16", "execs");
	CHECK(after > before && state_val(out, "execs") == 7000,
	      "resume: real16 execs %lld -> %lld, total 7000", before, after);

	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("note: could not remove %s\n", dir);
	return check_done("test_campaign_modes");
}
