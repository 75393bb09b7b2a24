/* Campaign health with fake executors (no KVM needed): hypervisor failures
 * are saved as buckets through the campaign's saving path, a worker whose
 * KVM executor is dead exits and is restarted (a restart, not a crash),
 * per-worker counts reach stats.jsonl, every worker is alive (finished) at
 * the end, and a run with too many executor failures ends with a WARNING
 * and exit status 3.
 *
 * The fake "kvm" executor behaves like the KVM executor under the test hook
 * EXITDIFF_TEST_FAIL_RUN_EVERY (docs/harness.md "Recovery"): on a case
 * whose seed % fail_mod == 5 it fails with EINVAL "KVM_RUN:rebuilt" after a
 * recovery; on seed % dead_mod == 9 its recovery fails (dead). */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "campaign.h"
#include "case_text.h"
#include "check.h"
#include "fake_executor.h"

static unsigned fail_mod = 211, dead_mod = 1009;

static int fake_ref_run(struct executor *ex, const struct test_case *c, struct outcome *o)
{
	(void)ex;
	base_outcome(c, o);
	return 0;
}

static int fake_kvm_run(struct executor *ex, const struct test_case *c, struct outcome *o)
{
	ex->fail_errno = 0;
	ex->fail_where[0] = 0;
	if (ex->dead) {
		snprintf(ex->err, sizeof(ex->err), "case %s: KVM executor dead", c->id);
		return -1;
	}
	if (c->seed % dead_mod == 9) {
		ex->fail_errno = EINVAL;
		ex->dead = 1;
		snprintf(ex->fail_where, sizeof(ex->fail_where), "KVM_RUN:dead");
		snprintf(ex->err, sizeof(ex->err), "case %s: fake: KVM_RUN: Invalid argument; "
			 "rebuilding the VM: fake: no device", c->id);
		return -1;
	}
	if (c->seed % fail_mod == 5) {
		ex->fail_errno = EINVAL;
		ex->recoveries++;
		snprintf(ex->fail_where, sizeof(ex->fail_where), "KVM_RUN:rebuilt");
		snprintf(ex->err, sizeof(ex->err), "case %s: fake: KVM_RUN: Invalid argument "
			 "(errno 22); the vCPU refused again, the VM was rebuilt and ran it", c->id);
		return -1;
	}
	base_outcome(c, o);
	return 0;
}

FAKE_CAMPAIGN_BACKEND(fake_ref_run, fake_kvm_run);

/* The bucket directory whose hits file names sig; "" when none. */
static void find_bucket(const char *out, const char *sig, char *dir, size_t len)
{
	char p[512], q[1200], line[256], want[200];
	snprintf(p, sizeof(p), "%s/buckets", out);
	snprintf(want, sizeof(want), "signature %s\n", sig);
	dir[0] = 0;
	DIR *d = opendir(p);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(q, sizeof(q), "%s/%s/hits", p, e->d_name);
		FILE *f = fopen(q, "r");
		while (f && fgets(line, sizeof(line), f))
			if (!strcmp(line, want))
				snprintf(dir, len, "%s/%s", p, e->d_name);
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
}

/* The last line of OUT/stats.jsonl. */
static void last_stats(const char *out, char *line, size_t len)
{
	char p[512], buf[65536];
	snprintf(p, sizeof(p), "%s/stats.jsonl", out);
	FILE *f = fopen(p, "r");
	line[0] = 0;
	while (f && fgets(buf, sizeof(buf), f))
		snprintf(line, len, "%s", buf);
	if (f)
		fclose(f);
}

static int count_str(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

int main(void)
{
	char out[] = "/tmp/exitdiff-health-XXXXXX";
	if (!mkdtemp(out)) {
		perror("mkdtemp");
		return 1;
	}
	/* One stats period for the whole run: the failing seeds come at
	 * random, so a short period of a run below 1% overall can pass 1% by
	 * chance alone (measured under ASan: 1.27% in one of two periods of a
	 * 0.77% run). The run's own share is what this run is judged by. */
	struct campaign_opts o = {
		.jobs = 2, .execs = 6000, .seed = 5, .gen = gen_lookup("raw"),
		.out = out, .stats_period = 3600,
	};
	int rc = campaign_run(&o, &fake);
	CHECK(rc == 0, "campaign with failures under 1%% of execs: exit 0 (rc %d)", rc);
	unsigned long long execs = state_num(out, "execs"), fails = state_num(out, "exec_failures");
	unsigned long long hv = state_num(out, "hv_failures"), rec = state_num(out, "recoveries");
	unsigned long long crashes = state_num(out, "crashes");
	printf("state: execs %llu exec_failures %llu hv_failures %llu recoveries %llu crashes %llu\n",
	       execs, fails, hv, rec, crashes);
	CHECK(execs == 6000, "every exec counted, the dead executor's case included (%llu)", execs);
	CHECK(hv >= 10 && hv == fails, "hypervisor failures counted as executor failures (%llu = %llu)", hv, fails);
	CHECK(rec > 0 && rec < hv, "recoveries counted (%llu; the dead ones did not recover)", rec);
	CHECK(crashes == 0, "a dead executor's worker exit is not a crash (%llu)", crashes);

	char dir[1400], p[1600];
	find_bucket(out, "executor#EINVAL/KVM_RUN:rebuilt", dir, sizeof(dir));
	CHECK(dir[0] != 0, "bucket executor#EINVAL/KVM_RUN:rebuilt saved (%s)", dir);
	static struct case_file cf;
	char err[256] = "";
	snprintf(p, sizeof(p), "%s/case.case", dir);
	int loaded = dir[0] && case_load(p, &cf, err, sizeof(err)) == 0;
	CHECK(loaded && cf.c.seed % fail_mod == 5, "its case.case loads and is a failing case (seed %% %u == 5): %s",
	      fail_mod, err);
	snprintf(p, sizeof(p), "%s/kvm-outcome.txt", dir);
	FILE *f = fopen(p, "r");
	char text[2048] = "";
	size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
	text[n] = 0;
	if (f)
		fclose(f);
	CHECK(strstr(text, "executor error case") && strstr(text, "KVM_RUN: Invalid argument"),
	      "kvm-outcome.txt keeps the executor's error text");
	find_bucket(out, "executor#EINVAL/KVM_RUN:dead", dir, sizeof(dir));
	CHECK(dir[0] != 0, "bucket executor#EINVAL/KVM_RUN:dead saved (%s)", dir);

	char line[65536];
	last_stats(out, line, sizeof(line));
	CHECK(strstr(line, "\"hv_failures\":") && strstr(line, "\"recoveries\":") && strstr(line, "\"restarts\":"),
	      "stats.jsonl carries hv_failures, recoveries, restarts");
	int finished = count_str(line, "\"state\":\"finished\"");
	CHECK(finished == 2 && !strstr(line, "abandoned"),
	      "worker_health: both workers finished, none abandoned (%d finished)", finished);
	const char *r0 = strstr(line, "\"restarts\":");
	unsigned long long restarts = r0 ? strtoull(r0 + 11, NULL, 10) : 0;
	CHECK(restarts >= 2, "dead executors made their workers restart (%llu restarts)", restarts);
	CHECK(strstr(line, "\"unhealthy\":false") != NULL, "the run is judged healthy");

	/* 1 case in 23 fails: over 1% -> unhealthy, exit 3. */
	char out2[] = "/tmp/exitdiff-health-XXXXXX";
	if (!mkdtemp(out2))
		return 1;
	fail_mod = 23;
	o.out = out2;
	o.execs = 3000;
	rc = campaign_run(&o, &fake);
	CHECK(rc == 3, "failures over 1%% of execs: exit status 3 (rc %d)", rc);
	last_stats(out2, line, sizeof(line));
	CHECK(strstr(line, "\"unhealthy\":true") != NULL, "stats.jsonl says unhealthy");

	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", out, out2);
	if (system(cmd) != 0)
		printf("note: could not remove %s %s\n", out, out2);
	return check_done("test_campaign_health");
}
