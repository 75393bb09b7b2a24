/* The child side of the native executor: the process fork() made for one
 * case. It maps the case's pages at the layout's addresses, installs the
 * handlers that report how the case ended, arms the time budget, installs
 * the seccomp filter and jumps into the case with its registers. From the
 * filter on, the only way out is native_on_signal -> native_exit_now. */
/* REG_RAX.. of <ucontext.h> (glibc: _GNU_SOURCE). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>
#include "native.h"
#include "native_internal.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* Every signal that ends a case: the exceptions Linux turns into signals
 * (arch/x86/kernel/traps.c), the filter's SIGSYS, the budget's SIGVTALRM. */
static const int ending_signals[] = {
	SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGVTALRM,
};

/* The handler's stack: the case's RSP may point anywhere. Large enough
 * for an instrumented (ASan) handler. */
#define NATIVE_ALTSTACK_SIZE (256u * 1024u)

static struct native_report *report;

static void fail(const char *what, const char *detail)
{
	snprintf(report->setup_err, sizeof(report->setup_err), "%s: %s", what, detail);
	_exit(1);
}

/* A page (or run of pages) at exactly addr: MAP_FIXED_NOREPLACE never
 * replaces a host mapping, and a kernel older than 4.17 that ignores the
 * flag shows as a different address. */
static void *map_at(uint64_t addr, size_t len, int prot)
{
	void *p = mmap((void *)(uintptr_t)addr, len, prot,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED || (uint64_t)(uintptr_t)p != addr) {
		char d[96];
		snprintf(d, sizeof(d), "0x%llx (+0x%zx): %s", (unsigned long long)addr, len,
			 p == MAP_FAILED ? strerror(errno) : "placed elsewhere");
		fail("cannot map the case's page", d);
	}
	return p;
}

NATIVE_NO_ASAN void native_on_signal(int sig, void *si_, void *uc_)
{
	const siginfo_t *si = si_;
	ucontext_t *uc = uc_;
	const greg_t *g = uc->uc_mcontext.gregs;
	struct native_report *r = report;
	if (sig == SIGTRAP && native_step_trap(si, uc, r))
		return;   /* to native_sigreturn: the case goes on */
	static const int reg_of[GPR_COUNT] = {
		REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
		REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
	};
	r->signo = sig;
	r->si_code = si->si_code;
	r->addr = (uint64_t)(uintptr_t)si->si_addr;
	if (sig == SIGSYS) {
		r->syscall_nr = si->si_syscall;
		r->syscall_arch = si->si_arch;
	}
	for (unsigned i = 0; i < GPR_COUNT; i++)
		r->gpr[i] = (uint64_t)g[reg_of[i]];
	r->rip = (uint64_t)g[REG_RIP];
	r->rflags = (uint64_t)g[REG_EFL];
	r->trapno = (uint64_t)g[REG_TRAPNO];
	r->err = (uint64_t)g[REG_ERR];
	if (uc->uc_mcontext.fpregs)
		for (unsigned i = 0; i < 16; i++) {
			const uint32_t *e = uc->uc_mcontext.fpregs->_xmm[i].element;
			r->xmm[i][0] = e[0] | (uint64_t)e[1] << 32;
			r->xmm[i][1] = e[2] | (uint64_t)e[3] << 32;
		}
	memcpy(r->code, (const void *)(uintptr_t)LAYOUT_CODE, sizeof(r->code));
	memcpy(r->data, (const void *)(uintptr_t)LAYOUT_DATA, sizeof(r->data));
	memcpy(r->stack, (const void *)(uintptr_t)LAYOUT_STACK, sizeof(r->stack));
	r->done = 1;
	native_exit_now();
}

/* The single-step trap's handler returns (the others never do): its
 * restorer must be ours, the one rt_sigreturn the filter allows, and
 * glibc's sigaction() always installs its own, so the call is raw. */
static void install_step_handler(void)
{
	struct {
		void *handler;
		unsigned long flags;
		void (*restorer)(void);
		uint64_t mask;
	} ksa = {
		.handler = (void *)native_signal_entry,
		.flags = SA_SIGINFO | SA_ONSTACK | 0x04000000 /* SA_RESTORER */,
		.restorer = native_sigreturn,
		.mask = ~0ull,
	};
	if (syscall(SYS_rt_sigaction, SIGTRAP, &ksa, NULL, sizeof(ksa.mask)) < 0)
		fail("rt_sigaction", strerror(errno));
}

NATIVE_NO_ASAN void native_child(struct native_report *r, const struct test_case *c,
				 uint32_t budget_us, uint32_t step_bound)
{
	report = r;
	/* A parent that dies must not leave a `jmp $` spinning. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);

	/* The case's pages, as layout.h has them for CPL3: code RWX, data
	 * and stack RW (no execute, as NX in the guest). Everything else
	 * the guest leaves unmapped stays unmapped here; the MMIO window
	 * too, so an access there faults and is reported as MMIO. */
	uint8_t *code = map_at(LAYOUT_CODE, PAGE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC);
	uint8_t *data = map_at(LAYOUT_DATA, LAYOUT_DATA_SIZE, PROT_READ | PROT_WRITE);
	map_at(LAYOUT_STACK, PAGE_SIZE, PROT_READ | PROT_WRITE);
	memset(code, 0xf4, PAGE_SIZE);   /* HLT padding, as layout_reset_rw */
	memcpy(code, c->code, c->code_len < PAGE_SIZE ? c->code_len : PAGE_SIZE);
	memcpy(data, c->data, c->data_len < LAYOUT_DATA_SIZE ? c->data_len : LAYOUT_DATA_SIZE);

	void *alt = mmap(NULL, NATIVE_ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (alt == MAP_FAILED)
		fail("signal stack", strerror(errno));
	stack_t ss = { .ss_sp = alt, .ss_size = NATIVE_ALTSTACK_SIZE };
	if (sigaltstack(&ss, NULL) < 0)
		fail("sigaltstack", strerror(errno));
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = (void (*)(int, siginfo_t *, void *))native_signal_entry;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigfillset(&sa.sa_mask);   /* one report: nothing nests */
	sigset_t unblock;
	sigemptyset(&unblock);
	for (unsigned i = 0; i < sizeof(ending_signals) / sizeof(ending_signals[0]); i++) {
		if (sigaction(ending_signals[i], &sa, NULL) < 0)
			fail("sigaction", strerror(errno));
		sigaddset(&unblock, ending_signals[i]);
	}
	if (sigprocmask(SIG_UNBLOCK, &unblock, NULL) < 0)
		fail("sigprocmask", strerror(errno));

	if (step_bound)
		install_step_handler();
	native_step_arm(step_bound);
	r->stepping = step_bound != 0;

	native_ctx = (struct native_ctx){ .rflags = c->rflags | (step_bound ? RFLAGS_TF : 0),
					  .rip = LAYOUT_CODE };
	memcpy(native_ctx.gpr, c->gpr, sizeof(native_ctx.gpr));
	native_have_fsgsbase = (uint8_t)native_host_fsgsbase();

	/* The budget counts the child's user time (ITIMER_VIRTUAL): a busy
	 * host delays it but cannot spend it. Armed last before the filter,
	 * which forbids setitimer. */
	struct itimerval it = { .it_value = { .tv_sec = budget_us / 1000000,
					      .tv_usec = budget_us % 1000000 } };
	if (setitimer(ITIMER_VIRTUAL, &it, NULL) < 0)
		fail("setitimer", strerror(errno));
	if (native_seccomp_install() < 0)
		fail("seccomp filter", strerror(errno));
	native_enter();
}
