/* Every bucket a campaign counts is on disk, whatever the number of
 * signatures and however the campaign ends.
 *
 * The fakes make every case diverge (KVM flips RAX) with a signature of
 * its own: the reference names the case's seed as the mnemonic, so each
 * exec is a new signature. A quarter of them ("k" mnemonics) match a known
 * pattern, as the real known list's patterns match thousands of signatures.
 * Two workers run; the campaign process is killed with SIGKILL midway, then
 * resumed until more than 20,000 new signatures were counted. Checked: the
 * bucket count printed at resume and in the final summary equals the
 * bucket directories holding case.case, kvm-outcome.txt and hits. */
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "campaign.h"
#include "check.h"
#include "fake_executor.h"

#define WANT_NEW 20000

static int fake_ref_run(struct executor *ex, const struct test_case *c, struct outcome *o)
{
	(void)ex;
	base_outcome(c, o);
	snprintf(o->mnemonic, sizeof(o->mnemonic), "%c%012llx", c->seed % 4 == 0 ? 'k' : 'm',
		 (unsigned long long)(c->seed & 0xffffffffffffull));
	memcpy(o->writer_gpr[RAX], o->mnemonic, sizeof(o->writer_gpr[RAX]) - 1);
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

static int file_ok(const char *dir, const char *name, const char *file)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/%s/%s", dir, name, file);
	struct stat sb;
	return stat(p, &sb) == 0 && sb.st_size > 0;
}

/* Bucket directories: all of them, and those with all three files. */
static int count_buckets(const char *out, int *complete)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/buckets", out);
	DIR *d = opendir(p);
	int n = 0;
	*complete = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		*complete += file_ok(p, e->d_name, "case.case") &&
			     file_ok(p, e->d_name, "kvm-outcome.txt") && file_ok(p, e->d_name, "hits");
	}
	if (d)
		closedir(d);
	return n;
}

/* Runs the campaign in a child with stdout to log; returns the child. */
static pid_t start(const struct campaign_opts *o, const char *log)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		if (!freopen(log, "w", stdout))
			_exit(4);
		_exit(campaign_run(o, &fake) == 0 ? 0 : 5);
	}
	return pid;
}

/* The number after prefix on the first line of log holding prefix and
 * ending that way ("resumed: X execs, N buckets", "buckets (N new):"). */
static long find_num(const char *log, const char *prefix, const char *after)
{
	FILE *f = fopen(log, "r");
	char line[1024];
	long v = -1;
	while (f && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, prefix);
		if (!p)
			continue;
		p += strlen(prefix);
		if (after) {
			char *q = strstr(p, after);
			if (!q)
				continue;
			while (q > p && q[-1] == ' ')
				q--;
			while (q > p && q[-1] >= '0' && q[-1] <= '9')
				q--;
			p = q;
		}
		v = strtol(p, NULL, 10);
		break;
	}
	if (f)
		fclose(f);
	return v;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(void)
{
	/* ~100,000 small files: on tmpfs when there is one, so the test
	 * measures the campaign, not the disk (on the shared ext4 /tmp it
	 * took 20 s to 160 s depending on other I/O). */
	char out[64];
	snprintf(out, sizeof(out), "%s/exitdiff-noloss-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(out)) {
		perror("mkdtemp");
		return 1;
	}
	char run[600], known[600], log1[600], log2[600];
	snprintf(run, sizeof(run), "%s/run", out);
	snprintf(known, sizeof(known), "%s/known.txt", out);
	snprintf(log1, sizeof(log1), "%s/first.log", out);
	snprintf(log2, sizeof(log2), "%s/resume.log", out);
	FILE *f = fopen(known, "w");
	fprintf(f, "hlt/hlt:rax:k*  the fake's known quarter\n");
	fclose(f);
	struct campaign_opts o = {
		.jobs = 2, .execs = 4 * WANT_NEW, .seed = 11, .gen = gen_lookup("raw"),
		.out = run, .known_path = known, .stats_period = 1.0,
	};

	/* Killed with SIGKILL once a good share of the buckets is written. */
	pid_t pid = start(&o, log1);
	int all = 0, complete = 0;
	double t0 = now_s();
	/* After a state save too: the resumed run's exec counter (and so its
	 * new cases) goes on from the saved one. */
	char state[640];
	snprintf(state, sizeof(state), "%s/state", run);
	while (now_s() - t0 < 120) {
		all = count_buckets(run, &complete);
		if (complete >= WANT_NEW / 3 && access(state, F_OK) == 0)
			break;
		usleep(20000);
	}
	kill(pid, SIGKILL);
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "campaign killed with SIGKILL at %d bucket dirs",
	      all);
	usleep(300000); /* its workers see their parent gone (SIGTERM) and exit */
	all = count_buckets(run, &complete);
	CHECK(complete >= WANT_NEW / 3, "%d complete bucket dirs (%d dirs) after the kill", complete, all);

	/* Resume until the campaign counted more than WANT_NEW new buckets. */
	o.execs = 6 * WANT_NEW / 5; /* ~3/4 of them new */
	pid = start(&o, log2);
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "resumed campaign ran (status %#x)", st);
	long resumed = find_num(log2, "resumed: ", " buckets");
	CHECK(resumed == complete, "resume counts what is on disk: printed %ld buckets, %d complete dirs",
	      resumed, complete);
	long counted = find_num(log2, "buckets (", NULL);
	all = count_buckets(run, &complete);
	CHECK(counted > WANT_NEW, "more than %d new signatures counted (%ld)", WANT_NEW, counted);
	CHECK(counted == complete && all == complete,
	      "every counted bucket is on disk: summary %ld, complete dirs %d, dirs %d", counted, complete,
	      all);
	long unsaved = find_num(log2, "more signatures were hit but their case was not saved", NULL);
	CHECK(unsaved < 0, "no signature hit without its case saved");

	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", out);
	if (check_failures == 0 && system(cmd) != 0)
		printf("note: could not remove %s\n", out);
	else if (check_failures)
		printf("kept %s for a look\n", out);
	return check_done("test_campaign_no_loss");
}
