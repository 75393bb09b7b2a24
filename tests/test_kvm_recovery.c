/* KVM executor recovery: a KVM_RUN that fails (made to fail by the test
 * hook EXITDIFF_TEST_FAIL_RUN_EVERY, docs/harness.md "Recovery") is
 * reported with its errno text and where it happened, the VM is rebuilt,
 * and the next case runs as on a new executor. Also: a case that breaks a
 * fresh VM too keeps both error texts, and a failed rebuild leaves the
 * executor marked dead instead of failing every later case silently. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "executor.h"
#include "layout.h"
#include "kvm_internal.h"

static struct executor ex;
static struct test_case tc;
static struct outcome out;

#define CODE(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })

static int run(const char *id, const uint8_t *code, size_t n)
{
	case_init(&tc);
	snprintf(tc.id, sizeof(tc.id), "%s", id);
	memcpy(tc.code, code, n);
	tc.code_len = (uint32_t)n;
	return ex.ops->run(&ex, &tc, &out);
}

static unsigned kind_of_end(void)
{
	const struct exit_event *t = outcome_terminal(&out);
	return t ? t->kind : 0xff;
}

int main(void)
{
	SKIP_WITHOUT_KVM();
	/* Every 6th KVM_RUN fails, and the vCPU then refuses every run until
	 * the VM is rebuilt. A one-HLT case is one KVM_RUN. */
	setenv(KVM_TEST_FAIL_RUN_ENV, "6", 1);
	memset(&ex, 0, sizeof(ex));
	ex.ops = &kvm_executor_ops;
	int rc = ex.ops->init(&ex, ex.err, sizeof(ex.err));
	CHECK(rc == 0, "init with the test hook set (%s)", rc ? ex.err : "ok");
	if (rc)
		return check_done("test_kvm_recovery");
	struct kvm_ctx *k = ex.priv; /* struct kvm_priv starts with it */
	CHECK_EQ_U64(k->test_fail_every, 6, "hook read at init: every 6th KVM_RUN fails");

	/* A case is one KVM_RUN only when no watchdog tick lands in it (an
	 * EINTR enters again): the hook stays off for the good cases and is
	 * armed so that the victim's first KVM_RUN is the 6th. */
	k->test_fail_every = 0;
	for (int i = 1; i <= 5; i++) {
		char id[32];
		snprintf(id, sizeof(id), "hlt-%d", i);
		rc = run(id, CODE(0xf4));
		CHECK(rc == 0 && kind_of_end() == EXIT_HLT, "%s runs before the failure (rc %d)", id, rc);
	}
	/* KVM_RUN number 6 fails; the retry fails too (a refused vCPU); the VM
	 * is rebuilt and runs the case. */
	k->test_fail_every = 6;
	k->test_runs = 5;
	rc = run("victim", CODE(0xf4));
	printf("victim: err = %s\n", ex.err);
	CHECK(rc == -1, "the failing case is reported as a failure (rc %d)", rc);
	CHECK(ex.fail_errno == EINVAL, "fail_errno is the first failure's: EINVAL (got %d)", ex.fail_errno);
	CHECK(!strcmp(ex.fail_where, "KVM_RUN:rebuilt"), "fail_where = KVM_RUN:rebuilt (got '%s')",
	      ex.fail_where);
	CHECK(strstr(ex.err, "case victim") != NULL, "the error names the case");
	CHECK(strstr(ex.err, "KVM_RUN: Invalid argument") != NULL,
	      "the error carries the original errno text (KVM_RUN: Invalid argument)");
	CHECK(strstr(ex.err, "kvm_run.c:") != NULL, "the error says where (file:line)");
	const char *retry = strstr(ex.err, "; retry: ");
	CHECK(retry && strstr(ex.err, "KVM_RUN: Invalid argument") < retry,
	      "both texts kept: the first failure, then the retry's");
	char sig[128];
	exec_fail_signature(&ex, sig, sizeof(sig));
	CHECK(!strcmp(sig, "executor#EINVAL/KVM_RUN:rebuilt"), "signature %s", sig);
	CHECK(!ex.dead, "the executor is alive after the recovery");
	CHECK_EQ_U64(ex.recoveries, 1, "one recovery counted");
	CHECK_EQ_U64(k->vm_rebuilds, 1, "one VM rebuild");

	/* The next cases run on the new VM as on a fresh executor: registers,
	 * an exception through the IDT, an I/O exit. The hook is disarmed: it
	 * counts every KVM_RUN, a watchdog tick's re-entry too, so left at 6
	 * it could fail one of these under load (CI, ASan: it once failed the
	 * I/O case's HLT). */
	k->test_fail_every = 0;
	rc = run("after-mov", CODE(0xb8, 0x2a, 0x00, 0x00, 0x00, 0xf4)); /* mov eax, 42; hlt */
	CHECK(rc == 0 && kind_of_end() == EXIT_HLT && out.state.gpr[RAX] == 42,
	      "next case runs: mov eax, 42; hlt -> rax %llu (rc %d %s)",
	      (unsigned long long)out.state.gpr[RAX], rc, rc ? ex.err : "");
	CHECK(ex.fail_errno == 0 && !ex.fail_where[0], "a good run clears the failure fields");
	rc = run("after-ud2", CODE(0x0f, 0x0b)); /* ud2 */
	const struct exit_event *t = outcome_terminal(&out);
	CHECK(rc == 0 && t && t->kind == EXIT_EXCEPTION && t->addr == 6,
	      "next case: ud2 -> #UD delivered through the new VM's IDT");
	rc = run("after-out", CODE(0xb0, 0x41, 0xe6, 0xe9, 0xf4)); /* mov al, 'A'; out 0xe9, al; hlt */
	CHECK(rc == 0 && out.n_events == 2 && out.events[0].kind == EXIT_IO && out.events[0].data == 0x41,
	      "next case: out 0xe9 -> one io event with 0x41, then hlt (rc %d, %u events, first kind %u %s)",
	      rc, (unsigned)out.n_events, out.n_events ? (unsigned)out.events[0].kind : 0u,
	      rc ? ex.err : "");

	/* Every KVM_RUN fails: the case breaks a fresh VM too. Both texts are
	 * kept, the first one first, and the VM is rebuilt once more. */
	k->test_fail_every = 1;
	uint64_t rebuilds = k->vm_rebuilds;
	rc = run("breaks-fresh", CODE(0xf4));
	printf("breaks-fresh: err = %s\n", ex.err);
	CHECK(rc == -1 && !strcmp(ex.fail_where, "KVM_RUN:fails-fresh"),
	      "fail_where = KVM_RUN:fails-fresh (got '%s')", ex.fail_where);
	const char *first = strstr(ex.err, "KVM_RUN: Invalid argument");
	const char *fresh = strstr(ex.err, "on a fresh VM:");
	CHECK(first && fresh && first < fresh, "the first error comes first, the fresh VM's after it");
	CHECK_EQ_U64(k->vm_rebuilds - rebuilds, 2, "two rebuilds (after the retry, after the fresh run)");
	CHECK(!ex.dead, "still alive: the last rebuild worked");

	/* A rebuild that fails (no device) leaves the executor dead, says why,
	 * and keeps the first error in the text. */
	setenv(KVM_DEVICE_ENV, "/nonexistent-kvm", 1);
	rc = run("rebuild-fails", CODE(0xf4));
	printf("rebuild-fails: err = %s\n", ex.err);
	CHECK(rc == -1 && ex.dead, "failed rebuild -> executor marked dead");
	CHECK(!strcmp(ex.fail_where, "KVM_RUN:dead"), "fail_where = KVM_RUN:dead (got '%s')", ex.fail_where);
	CHECK(strstr(ex.err, "KVM_RUN: Invalid argument") && strstr(ex.err, "rebuilding the VM: cannot open /nonexistent-kvm"),
	      "dead: the error has the first failure and why the rebuild failed");
	rc = run("after-dead", CODE(0xf4));
	CHECK(rc == -1 && strstr(ex.err, "dead"), "a dead executor refuses the next case: %s", ex.err);
	unsetenv(KVM_DEVICE_ENV);
	ex.ops->fini(&ex);
	return check_done("test_kvm_recovery");
}
