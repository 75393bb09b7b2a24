/* Rounds of cases through the VMM executor's mailbox (vmm_run_batch) and
 * through the pipeline (pipeline_run_batch, what a campaign worker calls),
 * against a fake VMM that answers from a script (fake_vmm_mbox.c). A VMM
 * that dies mid-round: the cases before the one that killed it keep their
 * outcomes, that case is charged with the failure (vmm:died), and the
 * cases after it run after a boot, each once. A VMM that shuts down
 * mid-round (exit 0, -no-reboot after a triple fault): that case is
 * SHUTDOWN and the round goes on after a boot in the same call. Through
 * the pipeline the same round gives each case its own verdict: agree,
 * diverge, and the executor failure with its signature. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "pipeline.h"
#include "vmm.h"

#define GOOD "\nO 2 0 0 0 0 0 10004 2 ffffffffffffffff 0 0 0\nG 0 1\nE\n"
#define RAX2 "\nO 2 0 0 0 0 0 10004 2 ffffffffffffffff 0 0 0\nG 0 2\nE\n"
/* RFLAGS 0x2a: bits 3 and 5, which no CPU sets. */
#define BROKEN "\nO 2 0 0 0 0 0 10004 2a ffffffffffffffff 0 0 0\nG 0 1\nE\n"
#define NCASES 6

static char dir[] = "/tmp/exitdiff-vmm-batch-XXXXXX";

static void put(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* A fresh script: record i + 1 is recs[i] (a number: exit with it). */
static void script(const char *const *recs, int n)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -f %s/rec* %s/count", dir, dir);
	if (system(cmd) != 0)
		printf("note: '%s' failed\n", cmd);
	for (int i = 0; i < n; i++) {
		char name[32];
		int exit_code = recs[i][0] >= '0' && recs[i][0] <= '9';
		snprintf(name, sizeof(name), "rec%d%s", i + 1, exit_code ? ".exit" : "");
		put(name, recs[i]);
	}
}

/* A number DIR/name holds (count), or its lines (boots). */
static int count_of(const char *name, int lines)
{
	char path[256], buf[64];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	int n = 0;
	if (!f)
		return 0;
	if (lines) {
		while (fgets(buf, sizeof(buf), f))
			n++;
	} else if (fscanf(f, "%d", &n) != 1) {
		n = -1;
	}
	fclose(f);
	return n;
}

static unsigned term(const struct outcome *o)
{
	const struct exit_event *t = outcome_terminal(o);
	return t ? t->kind : 0;
}

int main(void)
{
	static struct test_case cases[NCASES];
	static struct outcome outs[NCASES], refs[NCASES];
	static struct pl_result res[NCASES];
	static struct executor vmm, ref;
	static struct pipeline pl;
	char spec[512];
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	/* The fake reads no image: any readable file passes the check. */
	setenv("EXITDIFF_VMM_IMAGE", FAKE_VMM_MBOX, 1);
	unsetenv("EXITDIFF_VMM_TRANSPORT");
	snprintf(spec, sizeof(spec), "%s {image} {shm} %s", FAKE_VMM_MBOX, dir);
	for (int i = 0; i < NCASES; i++) {
		static const uint8_t inc_hlt[] = { 0x48, 0xff, 0xc0, 0xf4 };
		case_init(&cases[i]);
		snprintf(cases[i].id, sizeof(cases[i].id), "inc-hlt-%d", i);
		memcpy(cases[i].code, inc_hlt, sizeof(inc_hlt));
		cases[i].code_len = sizeof(inc_hlt);
	}
	vmm.ops = &vmm_executor_ops;
	vmm.spec = spec;
	int rc = vmm.ops->init(&vmm, vmm.err, sizeof(vmm.err));
	CHECK(rc == 0, "the fake VMM boots (%s)", rc ? vmm.err : "ok");
	if (rc)
		return check_done("test_vmm_batch");
	CHECK(!strcmp(vmm_transport(&vmm), "shm"), "it answers the mailbox (transport %s)",
	      vmm_transport(&vmm));

	/* Dies on the third case of a round of six. */
	const char *died[] = { GOOD, RAX2, "3", GOOD, GOOD, GOOD };
	script(died, 6);
	size_t a = vmm.ops->run_batch(&vmm, cases, NCASES, NULL, outs);
	CHECK(a == 2, "a VMM that dies on case 3 of a round: 2 cases answered (%zu)", a);
	CHECK(outs[0].state.gpr[RAX] == 1 && outs[1].state.gpr[RAX] == 2,
	      "the cases before it keep their own outcomes (rax %#llx, %#llx)",
	      (unsigned long long)outs[0].state.gpr[RAX], (unsigned long long)outs[1].state.gpr[RAX]);
	CHECK(!strcmp(vmm.fail_where, "vmm:died") && strstr(vmm.err, "case inc-hlt-2:") &&
	      strstr(vmm.err, "exit status 3"),
	      "the case that killed it is charged with it (%s: %s)", vmm.fail_where, vmm.err);
	a = vmm.ops->run_batch(&vmm, cases + 3, NCASES - 3, NULL, outs + 3);
	CHECK(a == 3 && outs[3].state.gpr[RAX] == 1 && outs[5].state.gpr[RAX] == 1,
	      "the cases after it run after a boot (%zu answered)", a);
	CHECK(count_of("count", 0) == 6 && count_of("boots", 1) == 2,
	      "each case reached the VMM once (%d cases, %d boots)", count_of("count", 0),
	      count_of("boots", 1));

	/* Shuts down (exit 0) on the second case of four: one call. */
	const char *down[] = { GOOD, "0", GOOD, GOOD };
	script(down, 4);
	a = vmm.ops->run_batch(&vmm, cases, 4, NULL, outs);
	CHECK(a == 4 && term(&outs[1]) == EXIT_SHUTDOWN && term(&outs[2]) == EXIT_HLT &&
	      outs[3].state.gpr[RAX] == 1,
	      "a case that ends the VM mid-round is its SHUTDOWN, the round goes on (%zu answered)", a);
	CHECK(count_of("count", 0) == 4 && count_of("boots", 1) == 3,
	      "... after one boot, each case run once (%d cases, %d boots)", count_of("count", 0),
	      count_of("boots", 1));

	/* A case reports RFLAGS no CPU reaches (its VMM broke its own state:
	 * TCG's CMPXCHG8B). Second of a round: the VMM is booted again and it
	 * runs again on the fresh one, where it is clean (an earlier case had
	 * broken the state), and so do the cases after it. */
	const char *leak[] = { GOOD, BROKEN, GOOD, GOOD, GOOD, GOOD, GOOD, GOOD, GOOD, GOOD, GOOD };
	script(leak, 11);
	int boots = count_of("boots", 1);
	a = vmm.ops->run_batch(&vmm, cases, NCASES, NULL, outs);
	CHECK(a == NCASES && outs[1].state.rflags == 2 && outs[5].state.gpr[RAX] == 1,
	      "a broken RFLAGS after other cases: that case runs again on a fresh VMM and keeps "
	      "its clean outcome (%zu answered, rflags %#llx)", a,
	      (unsigned long long)outs[1].state.rflags);
	CHECK(count_of("count", 0) == 11 && count_of("boots", 1) == boots + 1,
	      "... it and the 4 cases after it ran twice, after one boot (%d cases, %d boots)",
	      count_of("count", 0), count_of("boots", 1) - boots);
	/* The same, broken again on the fresh VMM: its own doing, kept; the
	 * cases after it, which ran in its round, run again on another boot. */
	const char *own[] = { GOOD, BROKEN, GOOD, GOOD, GOOD, GOOD, BROKEN, GOOD, GOOD, GOOD, GOOD,
			      GOOD, GOOD, GOOD, GOOD };
	script(own, 15);
	boots = count_of("boots", 1);
	a = vmm.ops->run_batch(&vmm, cases, NCASES, NULL, outs);
	CHECK(a == NCASES && outs[1].state.rflags == 0x2a && outs[2].state.gpr[RAX] == 1,
	      "a broken RFLAGS on a fresh VMM is the case's own outcome (rflags %#llx)",
	      (unsigned long long)outs[1].state.rflags);
	CHECK(count_of("count", 0) == 15 && count_of("boots", 1) == boots + 2,
	      "... and the cases after it ran on another boot (%d cases, %d boots)",
	      count_of("count", 0), count_of("boots", 1) - boots);

	/* The pipeline over the same kind of round: agree, diverge, died. */
	ref.ops = &ref_executor_ops;
	ref.cpuid = vmm.cpuid;
	rc = ref.ops->init(&ref, ref.err, sizeof(ref.err));
	CHECK(rc == 0 && pipeline_open(&pl, &ref, &vmm, NULL) == 0, "reference and pipeline open");
	if (rc)
		return check_done("test_vmm_batch");
	script(died, 6);
	size_t m = pipeline_run_batch(&pl, cases, NCASES, refs, outs, res);
	CHECK(m == 3, "pipeline: the round's results end at the failed case (%zu)", m);
	CHECK(res[0].verdict == PL_SAME && res[1].verdict == PL_DIVERGED &&
	      !strcmp(res[1].d.signature, "hlt/hlt:rax:inc"),
	      "pipeline: case 1 agrees, case 2 diverges on rax (%d, %d %s)", (int)res[0].verdict,
	      (int)res[1].verdict, res[1].d.signature);
	CHECK(res[2].verdict == PL_KVM_FAILED && !strcmp(res[2].fail_sig, "executor#none/vmm:died") &&
	      strstr(res[2].err + res[2].fail_text, "case inc-hlt-2:") == res[2].err + res[2].fail_text,
	      "pipeline: case 3 failed, its signature and the executor's words kept (%s; %s)",
	      res[2].fail_sig, res[2].err);
	m = pipeline_run_batch(&pl, cases + 3, NCASES - 3, refs + 3, outs + 3, res + 3);
	CHECK(m == 3 && res[3].verdict == PL_SAME && res[5].verdict == PL_SAME,
	      "pipeline: the cases after it agree after a boot (%zu)", m);

	pipeline_close(&pl);
	ref.ops->fini(&ref);
	vmm.ops->fini(&vmm);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("note: '%s' failed\n", cmd);
	return check_done("test_vmm_batch");
}
