/* The Unicorn executor: executor_ops over uc_setup/uc_hooks/uc_state.
 *
 * How a run ends (docs/unicorn.md has the full table):
 *   HLT outside the stubs           -> HLT (rip after it)
 *   a CPU exception (intr hook)     -> EXCEPTION, frame values rebuilt
 *   REF_STEP_BUDGET instructions    -> TIMEOUT addr 0
 *   trace full                      -> TIMEOUT addr 1 (outcome_push)
 *   SYSCALL, SYSENTER, CPUID without a table -> UNSUPPORTED
 *   UC_ERR_INSN_INVALID             -> EXCEPTION #UD at RIP
 *   any other Unicorn error, or a stop nobody asked for
 *                                   -> UNSUPPORTED, mnemonic "uc:<reason>"
 * so a run always yields an outcome; -1 only when the engine cannot even
 * be set up for the case. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <unicorn/x86.h>
#include "uc_internal.h"
#include "uc_oracle.h"

/* A wall-clock backstop under the step budget, in microseconds: Unicorn
 * cannot hang the caller whatever the guest does. */
#define UC_TIME_BUDGET_US 2000000u

/* One engine per CPU mode (the Unicorn mode is fixed when it is
 * opened): long64 at init, the others when a case first needs them. */
struct uc_set {
	struct uc_ctx *m[MODE_COUNT];
	struct exec_rerun stepping;   /* where a lockstep run is (uc_step) */
	struct uc_child *child;       /* MAP_SHARED with the child that runs cases */
	pid_t pid;                    /* that child, 0 when none runs */
	int sock;                     /* its end of the go/done socket */
};

/* What uc_run and its child (serve) pass each other. */
struct uc_child {
	struct test_case c;
	uint32_t step_limit;
	int rc;
	char err[sizeof(((struct executor *)0)->err)];
	struct outcome out;
};

/* Ends the child (it reads the socket's end) and says how it ended. */
static void stop_child(struct uc_set *set, char *how, size_t len)
{
	if (!set->pid)
		return;
	close(set->sock);
	int status = 0;
	while (waitpid(set->pid, &status, 0) < 0 && errno == EINTR)
		;
	if (how)
		snprintf(how, len, "%s %d", WIFSIGNALED(status) ? "signal" : "exit status",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	set->pid = 0;
}

static void uc_fini(struct executor *ex)
{
	struct uc_set *set = ex->priv;
	if (set) {
		for (unsigned i = 0; i < MODE_COUNT; i++)
			if (set->m[i]) {
				uc_ctx_close(set->m[i]);
				free(set->m[i]);
			}
		stop_child(set, NULL, 0);
		if (set->child)
			munmap(set->child, sizeof(*set->child));
		free(set);
	}
	ex->priv = NULL;
}

static struct uc_ctx *engine(struct executor *ex, enum cpu_mode m, char *err, size_t errlen)
{
	struct uc_set *set = ex->priv;
	if ((unsigned)m >= MODE_COUNT) {
		snprintf(err, errlen, "unicorn: unknown mode %u", (unsigned)m);
		return NULL;
	}
	if (set->m[m])
		return set->m[m];
	struct uc_ctx *u = calloc(1, sizeof(*u));
	if (!u) {
		snprintf(err, errlen, "unicorn: out of memory");
		return NULL;
	}
	if (uc_ctx_open_mode(u, m, err, errlen) < 0) {
		uc_ctx_close(u);
		free(u);
		return NULL;
	}
	u->cpuid = ex->cpuid;
	set->m[m] = u;
	return u;
}

static int uc_init(struct executor *ex, char *err, size_t errlen)
{
	struct uc_set *set = calloc(1, sizeof(*set));
	if (!set) {
		snprintf(err, errlen, "unicorn: out of memory");
		return -1;
	}
	ex->priv = set;
	if (!engine(ex, MODE_LONG64, err, errlen)) {
		uc_fini(ex);
		return -1;
	}
	unsigned maj = 0, min = 0;
	uc_version(&maj, &min);
	snprintf(ex->env.backend, sizeof(ex->env.backend), "unicorn-%u.%u", maj, min);
	return 0;
}

static void terminal(struct uc_ctx *u, enum exit_kind k, uint64_t addr, uint64_t rip,
		     const char *mnemonic)
{
	struct exit_event e = { .kind = (uint8_t)k, .addr = addr, .rip = rip };
	if (mnemonic)
		snprintf(u->out->mnemonic, sizeof(u->out->mnemonic), "%s", mnemonic);
	outcome_push(u->out, &e);
}

/* Short names for the mnemonic of an UNSUPPORTED end (the outcome keeps
 * 31 characters; uc_strerror's sentences do not fit). */
static const char *const uc_err_names[] = {
	[UC_ERR_OK] = "stopped",
	[UC_ERR_NOMEM] = "nomem",
	[UC_ERR_READ_UNMAPPED] = "read_unmapped",
	[UC_ERR_WRITE_UNMAPPED] = "write_unmapped",
	[UC_ERR_FETCH_UNMAPPED] = "fetch_unmapped",
	[UC_ERR_HOOK] = "hook",
	[UC_ERR_MAP] = "map",
	[UC_ERR_WRITE_PROT] = "write_prot",
	[UC_ERR_READ_PROT] = "read_prot",
	[UC_ERR_FETCH_PROT] = "fetch_prot",
	[UC_ERR_ARG] = "arg",
	[UC_ERR_READ_UNALIGNED] = "read_unaligned",
	[UC_ERR_WRITE_UNALIGNED] = "write_unaligned",
	[UC_ERR_FETCH_UNALIGNED] = "fetch_unaligned",
	[UC_ERR_EXCEPTION] = "exception",
	[UC_ERR_RESOURCE] = "resource",
};

/* Unicorn ended the run by itself (an error, or a stop no hook asked
 * for): always a terminal event, never a crash. */
static void unexpected_end(struct uc_ctx *u, uc_err rc)
{
	struct outcome *o = u->out;
	if (rc == UC_ERR_INSN_INVALID) {
		u->vector = 6;
		u->exc_rip = o->state.rip;
		uc_finish_exception(u);
		return;
	}
	size_t timed_out = 0;
	if (rc == UC_ERR_OK && uc_query(u->uc, UC_QUERY_TIMEOUT, &timed_out) == UC_ERR_OK &&
	    timed_out) {
		terminal(u, EXIT_TIMEOUT, 0, 0, NULL);
		return;
	}
	char m[32];
	const char *name = (unsigned)rc < sizeof(uc_err_names) / sizeof(uc_err_names[0]) &&
			   uc_err_names[rc] ? uc_err_names[rc] : NULL;
	if (name)
		snprintf(m, sizeof(m), "uc:%s", name);
	else
		snprintf(m, sizeof(m), "uc:error_%d", (int)rc);
	terminal(u, EXIT_UNSUPPORTED, 0, o->state.rip, m);
}

/* 1 when the code holds LOCK CMP with a memory operand (F0, other
 * prefixes, then 38/39 or 80/81/83 /7 with ModRM.mod != 3). Unicorn 2.0.1
 * aborts the whole process on it ("tcg fatal error", measured in every
 * mode; the CPU raises #UD). A byte scan sees it wherever instructions
 * start; a false hit only means the case is not judged. */
static int lock_cmp_in(const uint8_t *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (b[i] != 0xf0)
			continue;
		uint32_t j = i + 1;
		while (j < n && (b[j] == 0x66 || b[j] == 0x67 || b[j] == 0xf2 || b[j] == 0xf3 ||
				 b[j] == 0x2e || b[j] == 0x36 || b[j] == 0x3e || b[j] == 0x26 ||
				 b[j] == 0x64 || b[j] == 0x65 || b[j] == 0xf0 ||
				 (b[j] >= 0x40 && b[j] <= 0x4f)))
			j++;
		if (j + 1 >= n || (b[j + 1] >> 6) == 3)
			continue;
		if (b[j] == 0x38 || b[j] == 0x39)
			return 1;
		if ((b[j] == 0x80 || b[j] == 0x81 || b[j] == 0x83) && ((b[j + 1] >> 3) & 7) == 7)
			return 1;
	}
	return 0;
}

/* Why Unicorn cannot judge c whatever its knobs, or NULL. */
static const char *unjudged(const struct test_case *c)
{
	if (lock_cmp_in(c->code, c->code_len))
		return "uc:lock-cmp";
	/* Unicorn has no way to make an event pending (NMI, exception,
	 * external interrupt). */
	if (c->event[0].kind)
		return "uc:event";
	/* Unicorn 2 ignores data breakpoints and crashes on an instruction
	 * breakpoint (measured): not a judge of either. */
	if (case_arms_breakpoints(c))
		return "uc:breakpoints";
	/* Its single-step #DB is pushed with RF set, as a fault would be
	 * (measured): its trap frame cannot judge one. */
	if (c->rflags & RFLAGS_TF)
		return "uc:tf";
	const char *mode = uc_mode_refused((enum cpu_mode)c->mode);
	if (mode)
		return mode;
	return NULL;
}

static int run_here(struct executor *ex, const struct test_case *c, struct outcome *out)
{
	char why[160];
	outcome_init(out);
	struct uc_ctx *u = ex->priv ? engine(ex, (enum cpu_mode)c->mode, why, sizeof(why)) : NULL;
	if (!u) {
		snprintf(ex->err, sizeof(ex->err), "case %.63s: %s", c->id,
			 ex->priv ? why : "unicorn not initialised");
		return -1;
	}
	u->mmio_window_read = ex->mmio_window_read;
	/* The knobs first: their stub runs in the code page, which the
	 * case's bytes then replace. */
	char knob_why[32];
	int refused = uc_apply_knobs(u, c, knob_why, sizeof(knob_why));
	if (uc_load_case(u, c, ex->err, sizeof(ex->err)) < 0) {
		snprintf(why, sizeof(why), "%.150s", ex->err);
		snprintf(ex->err, sizeof(ex->err), "case %.63s: %s", c->id, why);
		return -1;
	}
	u->out = out;
	/* What this Unicorn cannot judge ends the case unsupported, named. A
	 * knob it cannot model comes last: uc_knobs.c says which and why. */
	const char *no = unjudged(c);
	if (no || refused) {
		out->state.rip = LAYOUT_CODE;
		terminal(u, EXIT_UNSUPPORTED, 0, LAYOUT_CODE, no ? no : knob_why);
		u->out = NULL;
		return 0;
	}
	/* The start address is linear: CS base + the mode's first RIP. */
	struct mode_env env;
	mode_env_init(&env, (enum cpu_mode)c->mode, c->knobs);
	uc_err rc = uc_emu_start(u->uc, env.seg[SR_CS].base + env.rip, ~0ull, UC_TIME_BUDGET_US, 0);
	/* Every other stop has taken the state already (a hook saw it). */
	if (u->stop == UC_STOP_BUDGET || u->stop == UC_STOP_TRACE_FULL ||
	    u->stop == UC_STOP_UNSUPPORTED || u->stop == UC_STOP_NONE)
		uc_snapshot(u);
	out->steps = u->steps;
	switch (u->stop) {
	case UC_STOP_HLT:
	case UC_STOP_TRACE_FULL:
		break;
	case UC_STOP_EXCEPTION:
		uc_finish_exception(u);
		break;
	case UC_STOP_BUDGET:
		terminal(u, EXIT_TIMEOUT, 0, 0, NULL);
		break;
	case UC_STOP_UNSUPPORTED:
		out->state.rip = u->insn_addr;
		terminal(u, EXIT_UNSUPPORTED, 0, u->insn_addr, u->unsupported);
		break;
	case UC_STOP_NONE:
		unexpected_end(u, rc);
		break;
	}
	u->out = NULL;
	return 0;
}

/* Unicorn 2.0.1 takes the whole process down on some cases, and the
 * scans above know only a few (measured: LOCK BT on a register, "tcg fatal
 * error"; a SIGSEGV in translated code after MOV DR5 armed breakpoints; a
 * triage of 1,500 buckets died on the first). So the engines run in a
 * child that serves one case at a time: the case and its outcome pass
 * through a shared mapping, a byte each way over a socket says go and
 * done, and a child that dies is this run's failure ("unicorn crashed"),
 * not the caller's; the next run starts another. One child for every run
 * keeps Unicorn's translations (a fork per run cost 8 ms a case, 0.23 ms
 * in process, measured). */
static void serve(struct executor *ex, int sock)
{
	struct uc_set *set = ex->priv;
	struct uc_child *k = set->child;
	/* Nothing of the caller's (a VMM's pipes, the kernel log) stays
	 * open here: their ends must close when the caller closes them. */
	for (int fd = 3; fd < 1024; fd++)
		if (fd != sock)
			close(fd);
	char go;
	while (read(sock, &go, 1) == 1) {
		char why[160];
		struct uc_ctx *u = engine(ex, (enum cpu_mode)k->c.mode, why, sizeof(why));
		if (u)
			u->step_limit = k->step_limit;
		ex->err[0] = 0;
		k->rc = run_here(ex, &k->c, &k->out);
		memcpy(k->err, ex->err, sizeof(k->err));
		if (send(sock, &go, 1, MSG_NOSIGNAL) != 1)
			break;
	}
	_exit(0);
}

static int start_child(struct executor *ex, char *err, size_t errlen)
{
	struct uc_set *set = ex->priv;
	if (!set->child) {
		void *m = mmap(NULL, sizeof(*set->child), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			       -1, 0);
		if (m == MAP_FAILED) {
			snprintf(err, errlen, "unicorn: mmap: %s", strerror(errno));
			return -1;
		}
		set->child = m;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(err, errlen, "unicorn: socketpair: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "unicorn: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0)
		serve(ex, sv[1]);
	close(sv[1]);
	set->pid = pid;
	set->sock = sv[0];
	return 0;
}

static int uc_run(struct executor *ex, const struct test_case *c, struct outcome *out)
{
	struct uc_set *set = ex->priv;
	char why[160];
	if (!set)
		return run_here(ex, c, out);   /* says why, in ex->err */
	if (!set->pid && start_child(ex, why, sizeof(why)) < 0) {
		snprintf(ex->err, sizeof(ex->err), "case %.63s: %s", c->id, why);
		return -1;
	}
	struct uc_child *k = set->child;
	k->c = *c;
	/* A lockstep bound (uc_step) is set on this side's engine. */
	k->step_limit = (unsigned)c->mode < MODE_COUNT && set->m[c->mode] ? set->m[c->mode]->step_limit : 0;
	ex->err[0] = 0;
	char go = 1;
	ssize_t sent, got = 0;
	while ((sent = send(set->sock, &go, 1, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	while (sent == 1 && (got = read(set->sock, &go, 1)) < 0 && errno == EINTR)
		;
	if (sent != 1 || got != 1) {
		char how[48] = "gone";
		stop_child(set, how, sizeof(how));
		snprintf(ex->err, sizeof(ex->err), "case %.63s: unicorn crashed (%s)", c->id, how);
		return -1;
	}
	*out = k->out;
	memcpy(ex->err, k->err, sizeof(ex->err));
	return k->rc;
}

static int uc_step_begin(struct executor *ex, const struct test_case *c, struct outcome *out)
{
	struct uc_set *set = ex->priv;
	return exec_rerun_begin(ex, set ? &set->stepping : NULL, c, out);
}

/* A bounded run: past the bound the outcome ends in TIMEOUT addr 0 with
 * the state after that many instructions (uc_hooks.c counts a REP once
 * when bounded). */
static int uc_step(struct executor *ex, uint32_t n, struct outcome *out)
{
	struct uc_set *set = ex->priv;
	char why[160];
	const struct test_case *c = set ? set->stepping.c : NULL;
	if (!c) {
		snprintf(ex->err, sizeof(ex->err), "unicorn: step without step_begin");
		return -1;
	}
	struct uc_ctx *u = engine(ex, (enum cpu_mode)c->mode, why, sizeof(why));
	if (!u) {
		snprintf(ex->err, sizeof(ex->err), "case %.63s: %s", c->id, why);
		return -1;
	}
	u->step_limit = exec_rerun_next(&set->stepping, n);
	int rc = uc_run(ex, c, out);
	uint32_t bound = u->step_limit;
	u->step_limit = 0;
	if (rc < 0)
		return -1;
	return exec_rerun_going(bound, out) ? EXEC_STEPPED : EXEC_ENDED;
}

static void uc_step_end(struct executor *ex, char *note, size_t len)
{
	struct uc_set *set = ex->priv;
	exec_rerun_end(set ? &set->stepping : NULL, note, len);
}

const struct executor_ops unicorn_executor_ops = {
	.name = "unicorn",
	.init = uc_init,
	.run = uc_run,
	.fini = uc_fini,
	.step_begin = uc_step_begin,
	.step = uc_step,
	.step_end = uc_step_end,
};
