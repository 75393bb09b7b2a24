/* The campaign machinery with fake executors (no KVM needed): buckets,
 * first cases, hit counts, the known list, worker crashes (restart + the
 * crashing case saved), resume, and a malformed known file.
 *
 * The fakes: both end in HLT with the case's registers; the "kvm" one
 * differs in RAX when code[0] % 16 == 1 and in RBX when == 2; the
 * reference is UNSUPPORTED when == 3; the "kvm" one crashes (SIGSEGV) on
 * every case whose seed % 397 == 7. */
#include <dirent.h>
#include <signal.h>
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
	if (c->code_len && c->code[0] % 16 == 3) {
		o->events[0].kind = EXIT_UNSUPPORTED;
		snprintf(o->mnemonic, sizeof(o->mnemonic), "fakeop");
	}
	return 0;
}

static int fake_kvm_run(struct executor *ex, const struct test_case *c, struct outcome *o)
{
	(void)ex;
	if (c->seed % 397 == 7)
		raise(SIGKILL); /* dies whatever a sanitizer does with SIGSEGV */
	base_outcome(c, o);
	if (c->code_len && c->code[0] % 16 == 1)
		o->state.gpr[RAX] ^= 1;
	if (c->code_len && c->code[0] % 16 == 2)
		o->state.gpr[RBX] ^= 1;
	return 0;
}

FAKE_CAMPAIGN_BACKEND(fake_ref_run, fake_kvm_run);

/* Buckets on disk: count, and the sum of their hits. */
static int scan_buckets(const char *out, unsigned long long *hits, int *complete)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/buckets", out);
	DIR *d = opendir(p);
	int n = 0;
	*hits = 0;
	*complete = 1;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		char q[1024], line[256];
		snprintf(q, sizeof(q), "%s/%s/hits", p, e->d_name);
		FILE *f = fopen(q, "r");
		if (!f) {
			*complete = 0;
			continue;
		}
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "hits ", 5))
				*hits += strtoull(line + 5, NULL, 0);
		fclose(f);
		snprintf(q, sizeof(q), "%s/%s/case.case", p, e->d_name);
		static struct case_file cf;
		char err[256];
		if (case_load(q, &cf, err, sizeof(err)) < 0 || !cf.has_expect) {
			printf("  bad bucket case %s: %s\n", q, err);
			*complete = 0;
		}
		snprintf(q, sizeof(q), "%s/%s/kvm-outcome.txt", p, e->d_name);
		if (access(q, R_OK) < 0)
			*complete = 0;
	}
	if (d)
		closedir(d);
	return n;
}

/* Every saved crash case is one the fake really crashes on. */
static int scan_crashes(const char *out, int *right)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/crashes", out);
	DIR *d = opendir(p);
	int n = 0;
	*right = 1;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		char q[1024], err[256];
		static struct case_file cf;
		snprintf(q, sizeof(q), "%s/%s", p, e->d_name);
		if (case_load(q, &cf, err, sizeof(err)) < 0 || cf.c.seed % 397 != 7) {
			printf("  crash case %s: seed %#llx %s\n", q, (unsigned long long)cf.c.seed, err);
			*right = 0;
		}
	}
	if (d)
		closedir(d);
	return n;
}

int main(void)
{
	char out[] = "/tmp/exitdiff-camp-XXXXXX";
	if (!mkdtemp(out)) {
		perror("mkdtemp");
		return 1;
	}
	struct campaign_opts o = {
		.jobs = 2, .execs = 3000, .seed = 5, .gen = gen_lookup("raw"),
		.out = out, .stats_period = 0.2,
	};
	int rc = campaign_run(&o, &fake);
	CHECK(rc == 0, "campaign with fake executors ran (rc %d)", rc);
	unsigned long long execs = state_num(out, "execs"), crashes = state_num(out, "crashes");
	unsigned long long diverge = state_num(out, "diverge"), unsup = state_num(out, "unsupported");
	CHECK(crashes >= 1, "worker crashes happened and were counted (%llu)", crashes);
	CHECK(execs + crashes == 3000, "execs %llu + crashed %llu = 3000 requested", execs, crashes);
	CHECK(unsup > 30 && diverge > 60, "unsupported (%llu) and divergences (%llu) counted", unsup, diverge);
	unsigned long long hits;
	int complete, right;
	int nb = scan_buckets(out, &hits, &complete);
	CHECK(nb == 2, "two signatures -> two bucket directories (%d)", nb);
	CHECK(complete, "each bucket has hits, a loadable case.case with expect, kvm-outcome.txt");
	CHECK(hits > 0 && hits <= diverge, "bucket hits %llu <= divergences %llu", hits, diverge);
	int nc = scan_crashes(out, &right);
	CHECK(nc == (int)crashes, "one saved crash case per crash (%d)", nc);
	CHECK(right, "saved crash cases are the ones the fake crashes on (seed %% 397 == 7)");
	char p[600];
	snprintf(p, sizeof(p), "%s/stats.jsonl", out);
	struct stat sb;
	CHECK(stat(p, &sb) == 0 && sb.st_size > 100, "stats.jsonl written (%lld bytes)", (long long)sb.st_size);
	/* The RAX and RBX signatures are one cause by cluster key: the same
	 * terminals, a GPR differs, no instruction named, long64, no knobs. */
	char last[8192] = "";
	FILE *sf = fopen(p, "r");
	while (sf && fgets(last, sizeof(last), sf))
		;
	if (sf)
		fclose(sf);
	CHECK(strstr(last, "\"clusters\":1,") &&
	      strstr(last, "{\"key\":\"hlt/hlt gpr none long64 [none]\",") &&
	      strstr(last, "\"buckets\":2,\"example\":\"buckets/"),
	      "stats.jsonl leads with one cluster holding both buckets: %.200s", last);

	/* Resume: execs continue, hits are not lost. */
	unsigned long long hits_before = hits;
	o.execs = 1000;
	rc = campaign_run(&o, &fake);
	unsigned long long execs2 = state_num(out, "execs"), crashes2 = state_num(out, "crashes");
	nb = scan_buckets(out, &hits, &complete);
	CHECK(rc == 0 && execs2 + crashes2 == 4000, "resume: %llu execs + %llu crashed = 4000", execs2, crashes2);
	CHECK(nb == 2 && hits > hits_before, "resume: same 2 buckets, hits grew %llu -> %llu", hits_before, hits);

	/* Known list: the RAX signature is counted, not saved. */
	char out2[] = "/tmp/exitdiff-camp-XXXXXX", known[700];
	if (!mkdtemp(out2))
		return 1;
	snprintf(known, sizeof(known), "%s/known.txt", out2);
	FILE *f = fopen(known, "w");
	fprintf(f, "# test\nhlt/hlt:rax:-  the fake flips rax\n");
	fclose(f);
	snprintf(p, sizeof(p), "%s/run", out2);
	o.out = p;
	o.known_path = known;
	o.execs = 2000;
	o.jobs = 1;
	rc = campaign_run(&o, &fake);
	nb = scan_buckets(p, &hits, &complete);
	unsigned long long kh = state_num(p, "known");
	CHECK(rc == 0 && nb == 1, "known signature not saved as a bucket (%d bucket dirs)", nb);
	CHECK(kh > 0 && kh != ~0ull, "known hits counted (%llu)", kh);

	f = fopen(known, "w");
	fprintf(f, "ok-sig  fine\nno-reason-here\n");
	fclose(f);
	rc = campaign_run(&o, &fake);
	CHECK(rc == 2, "malformed known file -> exit code 2 (rc %d)", rc);

	char cmd[1400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", out, out2);
	if (system(cmd) != 0)
		printf("note: could not remove %s %s\n", out, out2);
	return check_done("test_campaign_fake");
}
