/* A known-list entry ending in "@MODE", and one naming a cluster
 * ("{hlt/hlt gpr * prot32}"), match the same divergences in a campaign and
 * in the fuzzing engines' session: both file a divergence through the
 * finding pipeline (pipeline/pipeline.h). With fake executors (KVM flips
 * RAX), each list must make prot32 divergences known in both and leave
 * long64 ones new in both; were cluster entries ignored, the prot32
 * campaign would save a bucket and the engines would report it fresh. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include "campaign.h"
#include "check.h"
#include "fake_executor.h"
#include "finding.h"
#include "fuzz_exec.h"

static int fake_ref_run(struct executor *ex, const struct test_case *c, struct outcome *o)
{
	(void)ex;
	base_outcome(c, o);
	return 0;
}

static int fake_kvm_run(struct executor *ex, const struct test_case *c, struct outcome *o)
{
	(void)ex;
	base_outcome(c, o);
	o->state.gpr[RAX] ^= 1;
	return 0;
}

FAKE_CAMPAIGN_BACKEND(fake_ref_run, fake_kvm_run);

static int bucket_dirs(const char *out)
{
	char p[800];
	snprintf(p, sizeof(p), "%s/buckets", out);
	DIR *d = opendir(p);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

/* A campaign of 300 execs in mode m; returns its bucket dirs, sets *known. */
static int campaign_in(const char *dir, const char *name, const char *known_path,
		       enum cpu_mode m, unsigned long long *known)
{
	char out[600];
	snprintf(out, sizeof(out), "%.500s/%.60s", dir, name);
	struct gen_config g = { .modes = (uint8_t)(1u << m), .policy = GEN_KNOBS_NONE };
	struct campaign_opts o = {
		.jobs = 1, .execs = 300, .seed = 3, .gen = gen_lookup("regs"), .gcfg = &g,
		.out = out, .known_path = known_path, .stats_period = 0.5,
	};
	int rc = campaign_run(&o, &fake);
	CHECK(rc == 0, "campaign in %s ran (rc %d)", mode_name(m), rc);
	*known = state_num(out, "known");
	return bucket_dirs(out);
}

static void engines(const char *known, const char *findings, const char *what);

int main(void)
{
	char dir[] = "/tmp/exitdiff-known-mode-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char known[700], findings[700];
	snprintf(known, sizeof(known), "%s/known.txt", dir);
	snprintf(findings, sizeof(findings), "%s/findings", dir);
	FILE *f = fopen(known, "w");
	fprintf(f, "hlt/hlt:rax:-@prot32  the fake flips rax (prot32 only)\n");
	fclose(f);

	/* The key itself. */
	char key[SIGNATURE_MAX];
	finding_key(key, "hlt/hlt:rax:-", MODE_PROT32);
	CHECK(!strcmp(key, "hlt/hlt:rax:-@prot32"), "prot32 key %s", key);
	finding_key(key, "hlt/hlt:rax:-", MODE_LONG64);
	CHECK(!strcmp(key, "hlt/hlt:rax:-"), "long64 key stays bare: %s", key);
	finding_key(key, "hlt/hlt:rax:-", MODE_REAL16);
	CHECK(finding_key_mode(key) == MODE_REAL16, "the mode read back from %s", key);

	/* The campaign. */
	unsigned long long kh;
	int nb = campaign_in(dir, "camp-prot32", known, MODE_PROT32, &kh);
	CHECK(nb == 0 && kh > 0, "campaign, prot32: the @prot32 entry makes it known (%d buckets, %llu known hits)",
	      nb, kh);
	nb = campaign_in(dir, "camp-long64", known, MODE_LONG64, &kh);
	CHECK(nb == 1 && kh == 0, "campaign, long64: a bucket, nothing known (%d buckets, %llu known hits)",
	      nb, kh);

	engines(known, findings, "@prot32 entry");

	/* The same with a cluster entry instead of the signature. */
	char cknown[700], cfindings[700];
	snprintf(cknown, sizeof(cknown), "%s/known-cluster.txt", dir);
	snprintf(cfindings, sizeof(cfindings), "%s/findings-cluster", dir);
	f = fopen(cknown, "w");
	fprintf(f, "{hlt/hlt gpr * prot32}  the fake flips rax (prot32 only), any instruction\n");
	fclose(f);
	nb = campaign_in(dir, "camp-cluster-prot32", cknown, MODE_PROT32, &kh);
	CHECK(nb == 0 && kh > 0, "campaign, prot32: the cluster entry makes it known (%d buckets, %llu known hits)",
	      nb, kh);
	nb = campaign_in(dir, "camp-cluster-long64", cknown, MODE_LONG64, &kh);
	CHECK(nb == 1 && kh == 0, "campaign, long64: outside the cluster, a bucket (%d buckets, %llu known hits)",
	      nb, kh);
	engines(cknown, cfindings, "cluster entry");

	char cmd[800];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("note: could not remove %s\n", dir);
	return check_done("test_finding_known_mode");
}

/* The engines' session with the known list at known: a prot32 divergence
 * is known under its @prot32 key, a long64 one is a fresh finding. */
static void engines(const char *known, const char *findings, const char *what)
{
	setenv(FX_ENV_KNOWN, known, 1);
	setenv(FX_ENV_OUT, findings, 1);
	struct fx_options fo = { .engine = "test", .save_findings = 1, .quiet = 1,
				 .kvm_ops = &fake_kvm_ops, .ref_ops = &fake_ref_ops };
	char err[512];
	int rc = fx_open(&fo, err, sizeof(err));
	CHECK(rc == 0, "fx session opened with fake executors (%s)", rc ? err : "ok");
	static struct test_case c;
	struct fx_result r;
	case_init(&c);
	c.mode = MODE_PROT32;
	snprintf(c.id, sizeof(c.id), "prot32-rax");
	c.code[0] = 0xf4;
	c.code_len = 1;
	rc = fx_run_case(&c, &r, err, sizeof(err));
	CHECK(rc == 0 && r.verdict == VERDICT_DIVERGE, "engine session, prot32: diverges (rc %d)", rc);
	CHECK(r.known && !r.fresh && !strcmp(r.key, "hlt/hlt:rax:-@prot32"),
	      "engine session, prot32, %s: known under key %s (known %d, fresh %d)", what, r.key,
	      r.known, r.fresh);
	case_init(&c);
	snprintf(c.id, sizeof(c.id), "long64-rax");
	c.code[0] = 0xf4;
	c.code_len = 1;
	rc = fx_run_case(&c, &r, err, sizeof(err));
	CHECK(rc == 0 && !r.known && r.fresh && r.saved[0],
	      "engine session, long64, %s: a new finding %s saved as %s", what, r.key, r.saved);
	fx_close();
}
