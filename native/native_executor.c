/* The native executor: executor_ops for running a case on the host CPU.
 *
 * One fork() per case: the child builds the case's address space from
 * nothing the previous case left, so no reset can be forgotten, and a case
 * that corrupts its process takes only itself down. The child reports
 * through a MAP_SHARED page the parent mapped at init; its exit is the
 * barrier. The parent waits the budget and a margin, then kills.
 *
 * Only what the host CPU really runs is judged: long64 at CPL3 (Linux user
 * mode), other knobs only where the code cannot tell them from the host's
 * settings. Everything else ends UNSUPPORTED with the reason as the
 * mnemonic, the convention of the Unicorn executor. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "native.h"
#include "native_internal.h"
#include "config.h"
#include "native_outcome.h"

/* How long past the budget the parent waits before it kills the child:
 * the child's own timer (user time) normally ends it first. */
#define NATIVE_KILL_MARGIN_MS 2000

int native_refuses(const struct executor *ex, const struct test_case *c, char *why, size_t len)
{
	if (c->mode != MODE_LONG64) {
		snprintf(why, len, "native:mode %s", mode_name((enum cpu_mode)c->mode));
		return 1;
	}
	if (c->event[0].kind) {
		/* A host process cannot take an NMI or an injected exception. */
		snprintf(why, len, "native:event");
		return 1;
	}
	if (c->rflags & RFLAGS_TF) {
		/* TF would single-step the entry path into the case, which is
		 * host code, before the case's first instruction. */
		snprintf(why, len, "native:tf");
		return 1;
	}
	if (!(c->knobs & KNOB_CPL3)) {
		/* The host runs user code only: a CPL0 case's privileged
		 * instructions, HLT included, would fault here and run there. */
		snprintf(why, len, "native:cpl0");
		return 1;
	}
	/* The other knobs set CR0/CR4/EFER bits, which are the host
	 * kernel's: the case is refused only when its code would see the
	 * difference (native_scan.c). */
	return native_scan_host_state(ex->cpuid, c->knobs, native_host_fsgsbase(), c->code, c->code_len,
				      why, len);
}

struct native_priv {
	struct native_report *r;   /* MAP_SHARED: the child writes it */
	struct exec_rerun stepping;
};

static int native_init(struct executor *ex, char *err, size_t errlen)
{
	struct native_priv *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "native: out of memory");
		return -1;
	}
	p->r = mmap(NULL, sizeof(*p->r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p->r == MAP_FAILED) {
		snprintf(err, errlen, "native: shared report page: %s", strerror(errno));
		free(p);
		return -1;
	}
	ex->priv = p;
	return 0;
}

static void native_fini(struct executor *ex)
{
	struct native_priv *p = ex->priv;
	if (p) {
		munmap(p->r, sizeof(*p->r));
		free(p);
	}
	ex->priv = NULL;
}

/* Waits for pid at most ms; 1 when it ended (status filled), 0 when not,
 * -1 on error. A pidfd makes the wait a poll(). */
static int wait_for(pid_t pid, int ms, int *status)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd >= 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n;
		do
			n = poll(&p, 1, ms);
		while (n < 0 && errno == EINTR);
		close(fd);
		if (n == 0)
			return 0;
	}
	/* Ended, or no pidfd (kernel < 5.3): a blocking wait; the child's
	 * own timer bounds it. */
	pid_t w;
	do
		w = waitpid(pid, status, 0);
	while (w < 0 && errno == EINTR);
	return w == pid ? 1 : -1;
}

static void refuse(struct outcome *out, const char *why)
{
	struct exit_event e = { .kind = EXIT_UNSUPPORTED, .rip = LAYOUT_CODE };
	out->state.rip = LAYOUT_CODE;
	outcome_push(out, &e);
	snprintf(out->mnemonic, sizeof(out->mnemonic), "%s", why);
}

/* One run of c in a child, stopped after step_bound instructions when
 * that is not 0. */
static int run_child(struct executor *ex, const struct test_case *c, uint32_t step_bound,
		     struct outcome *out)
{
	struct native_priv *p = ex->priv;
	struct native_report *r = p ? p->r : NULL;
	char why[32];
	outcome_init(out);
	if (!r) {
		snprintf(ex->err, sizeof(ex->err), "case %.63s: native executor not initialised", c->id);
		return -1;
	}
	if (native_refuses(ex, c, why, sizeof(why))) {
		refuse(out, why);
		return 0;
	}
	memset(r, 0, sizeof(*r));
	uint32_t budget = ex->budget_us ? ex->budget_us : KVM_TIME_BUDGET_US;
	fflush(NULL);   /* the child never flushes: nothing printed twice */
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(ex->err, sizeof(ex->err), "case %.63s: fork: %s", c->id, strerror(errno));
		return -1;
	}
	if (pid == 0)
		native_child(r, c, budget, step_bound);
	int status = 0, killed = 0;
	int w = wait_for(pid, (int)(budget / 1000) + NATIVE_KILL_MARGIN_MS, &status);
	if (w == 0) {
		kill(pid, SIGKILL);
		killed = 1;
		w = wait_for(pid, -1, &status);
	}
	if (w < 0) {
		snprintf(ex->err, sizeof(ex->err), "case %.63s: waitpid: %s", c->id, strerror(errno));
		return -1;
	}
	if (r->setup_err[0]) {
		snprintf(ex->err, sizeof(ex->err), "case %.63s: native set-up: %.160s", c->id, r->setup_err);
		return -1;
	}
	if (!r->done) {
		if (killed) {
			/* Not even the child's timer got to run: a timeout
			 * without a state. */
			struct exit_event e = { .kind = EXIT_TIMEOUT };
			outcome_push(out, &e);
			return 0;
		}
		snprintf(ex->err, sizeof(ex->err), "case %.63s: native child ended without a report (%s %d)",
			 c->id, WIFSIGNALED(status) ? "signal" : "exit status",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		return -1;
	}
	native_outcome(r, c, out);
	return 0;
}

static int native_run(struct executor *ex, const struct test_case *c, struct outcome *out)
{
	return run_child(ex, c, 0, out);
}

/* Stepping re-runs the case with a larger bound each step, the child
 * counting single-step traps (native_step.c). */
static int native_step_begin(struct executor *ex, const struct test_case *c, struct outcome *out)
{
	struct native_priv *p = ex->priv;
	return exec_rerun_begin(ex, p ? &p->stepping : NULL, c, out);
}

static int native_step(struct executor *ex, uint32_t n, struct outcome *out)
{
	struct native_priv *p = ex->priv;
	if (!p || !p->stepping.c) {
		snprintf(ex->err, sizeof(ex->err), "native: step without step_begin");
		return -1;
	}
	uint32_t bound = exec_rerun_next(&p->stepping, n);
	if (run_child(ex, p->stepping.c, bound, out) < 0)
		return -1;
	return p->r->bounded && bound < REF_STEP_BUDGET ? EXEC_STEPPED : EXEC_ENDED;
}

static void native_step_end(struct executor *ex, char *note, size_t len)
{
	struct native_priv *p = ex->priv;
	exec_rerun_end(p ? &p->stepping : NULL, note, len);
}

const struct executor_ops native_executor_ops = {
	.name = "native",
	.init = native_init,
	.run = native_run,
	.fini = native_fini,
	.step_begin = native_step_begin,
	.step = native_step,
	.step_end = native_step_end,
};
