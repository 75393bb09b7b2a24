/* Shared between the native executor's parent and child sides. */
#ifndef EXITDIFF_NATIVE_INTERNAL_H
#define EXITDIFF_NATIVE_INTERNAL_H

#include <signal.h>
#include <stdint.h>
#include <ucontext.h>
#include "case.h"
#include "layout.h"

/* What the child leaves in shared memory before it exits. Written by its
 * signal handler (or by its set-up on failure), read by the parent after
 * waitpid: the exit is the barrier, no locking needed. */
struct native_report {
	uint32_t done;          /* 1: the handler filled what follows */
	int32_t signo, si_code;
	int32_t syscall_nr;     /* SIGSYS: the trapped call, and its ABI */
	uint32_t syscall_arch;
	uint64_t trapno, err, addr;   /* ucontext TRAPNO, ERR; si_addr */
	uint64_t gpr[GPR_COUNT];
	uint64_t rip, rflags;
	uint64_t xmm[16][2];
	/* The case's pages at the end: code, data, stack (the unmapped
	 * pages of the compare window stay as the case started). */
	uint8_t code[PAGE_SIZE];
	uint8_t data[LAYOUT_DATA_SIZE];
	uint8_t stack[PAGE_SIZE];
	char setup_err[160];    /* set-up failed before the case ran */
	/* Stepping: the instructions of the case that ran (a REP string
	 * instruction counts once), and 1 when the bound stopped it. */
	uint32_t stepping, steps, bounded;
};

/* ASan instruments every call to a noreturn function with
 * __asan_handle_no_return, which calls sigaltstack(): after the seccomp
 * filter that is a trapped system call (measured). What runs after the
 * filter is built without it. */
#define NATIVE_NO_ASAN __attribute__((no_sanitize_address))

/* The register image native_enter loads (offsets used by the assembly). */
struct native_ctx {
	uint64_t gpr[GPR_COUNT];   /* offset 0, RSP at 32 */
	uint64_t rflags;           /* offset 128 */
	uint64_t rip;              /* offset 136 */
};

/* native_entry.c */
extern struct native_ctx native_ctx;
extern uint8_t native_have_fsgsbase;
extern uint64_t native_host_fsbase;
extern const char native_exit_after[];  /* the address after our SYSCALL */
extern const char native_enter_end[];
void native_sigreturn(void);
extern const char native_sigreturn_after[];
void native_enter(void) __attribute__((noreturn));
void native_signal_entry(int sig, void *si, void *uc);
void native_exit_now(void) __attribute__((noreturn));

/* native_child.c: runs c in this (forked) process; never returns. With a
 * step_bound (0: none) the case is single-stepped (TF) and stopped after
 * that many instructions. */
void native_child(struct native_report *r, const struct test_case *c,
		  uint32_t budget_us, uint32_t step_bound) __attribute__((noreturn));
/* Called by native_signal_entry with the host FS base back. */
void native_on_signal(int sig, void *si, void *uc);

/* native_step.c: stepping. arm sets the bound (0: not stepping) before
 * the case starts; trap, from the SIGTRAP handler, returns 1 when the case
 * goes on (the handler returns), 0 when the signal ends the case: not a
 * single-step trap, or the bound reached (r->bounded). */
void native_step_arm(uint32_t bound);
int native_step_trap(const siginfo_t *si, ucontext_t *uc, struct native_report *r);

/* native_seccomp.c: installs the filter that traps every system call but
 * exit_group from native_exit_after and rt_sigreturn from
 * native_sigreturn_after. 0, or -1 with errno. */
int native_seccomp_install(void);

#endif
