/*
 * The watchdog: some guest code makes KVM_RUN never return on its own (at
 * CPL0 under kvm_pvm, `jmp $` loops inside KVM's instruction emulator). A
 * periodic per-thread POSIX timer (SIGEV_THREAD_ID) sends a signal every
 * KVM_WATCHDOG_PERIOD_US; its handler sets run->immediate_exit of the case
 * running on that thread, so KVM_RUN returns -EINTR (api.rst: a pending
 * signal makes KVM_RUN exit with KVM_EXIT_INTR; immediate_exit closes the
 * race where the signal lands just before the ioctl). The run loop then
 * checks the clock and ends with TIMEOUT or re-enters.
 *
 * Cost per case: none in a busy loop. The timer keeps running between
 * cases; only when no case ran for WD_IDLE_TICKS periods does the handler
 * disarm it (timer_settime is async-signal-safe), and the next case re-arms
 * it with one syscall. An idle process thus gets no signals.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "kvm_internal.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

#define WD_IDLE_TICKS 20

static __thread struct kvm_run *volatile wd_run;
static __thread volatile sig_atomic_t wd_armed, wd_idle;
static __thread timer_t wd_timer;
static __thread int wd_users;
static int wd_signal;

static void wd_set(long period_us)
{
	struct itimerspec its = {
		.it_interval = { period_us / 1000000, (period_us % 1000000) * 1000 },
		.it_value = { period_us / 1000000, (period_us % 1000000) * 1000 },
	};
	timer_settime(wd_timer, 0, &its, NULL);
}

static void wd_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	struct kvm_run *r = wd_run;
	if (r) {
		r->immediate_exit = 1;
		wd_idle = 0;
		return;
	}
	if (wd_armed && ++wd_idle >= WD_IDLE_TICKS) {
		int saved = errno;
		wd_set(0);
		wd_armed = 0;
		errno = saved;
	}
}

int kvm_watchdog_init(char *err, size_t errlen)
{
	if (wd_users++ > 0)
		return 0;
	if (!wd_signal) {
		/* A real-time signal nobody else in exitdiff uses; SA_RESTART so
		 * a stray tick between cases does not break other syscalls. */
		wd_signal = SIGRTMIN + 3;
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = wd_handler;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		sigemptyset(&sa.sa_mask);
		if (sigaction(wd_signal, &sa, NULL) < 0) {
			snprintf(err, errlen, "watchdog sigaction: %s", strerror(errno));
			wd_users--;
			return -1;
		}
	}
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = wd_signal;
	sev.sigev_notify_thread_id = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, &wd_timer) < 0) {
		snprintf(err, errlen, "watchdog timer_create: %s", strerror(errno));
		wd_users--;
		return -1;
	}
	wd_armed = 0;
	return 0;
}

void kvm_watchdog_begin(struct kvm_run *run)
{
	run->immediate_exit = 0;
	wd_run = run;
	atomic_signal_fence(memory_order_seq_cst);
	if (!wd_armed) {
		wd_idle = 0;
		wd_armed = 1;
		wd_set(KVM_WATCHDOG_PERIOD_US);
	}
}

void kvm_watchdog_begin_within(struct kvm_run *run, uint32_t us)
{
	run->immediate_exit = 0;
	wd_run = run;
	atomic_signal_fence(memory_order_seq_cst);
	wd_idle = 0;
	wd_armed = 1;
	struct itimerspec its = {
		.it_interval = { 0, KVM_WATCHDOG_PERIOD_US * 1000L },
		.it_value = { us / 1000000, (long)(us % 1000000) * 1000 },
	};
	timer_settime(wd_timer, 0, &its, NULL);
}

void kvm_watchdog_end(void)
{
	wd_run = NULL;
	atomic_signal_fence(memory_order_seq_cst);
}

void kvm_watchdog_fini(void)
{
	if (wd_users == 0 || --wd_users > 0)
		return;
	wd_run = NULL;
	timer_delete(wd_timer);
	wd_armed = 0;
}
