/*
 * The run loop: KVM_RUN until a terminal exit, each KVM exit turned into
 * exit events normalised so the reference executor can produce the very
 * same sequence (one event per I/O element, device reads answered with the
 * layout.h bytes, exceptions recognised by their HLT stub).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include "kvm_internal.h"
#include "layout.h"

/* Where an error happened, for its message: "kvm_run.c:246". */
#define KVM_HERE_FILE (strrchr(__FILE__, '/') ? strrchr(__FILE__, '/') + 1 : __FILE__)

typedef int (*kvm_exit_fn)(struct kvm_ctx *k, struct outcome *out);

static uint64_t le_bytes(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

/* String and REP forms come as one exit with io.count elements at
 * data_offset; the reference sees one access per element, so one event per
 * element. IN elements are answered with ENV_IO_READ_BYTE (open bus). */
static int kvm_on_io(struct kvm_ctx *k, struct outcome *out)
{
	struct kvm_run *run = k->vcpu.run;
	uint8_t *p = (uint8_t *)run + run->io.data_offset;
	unsigned size = run->io.size;
	if (size == 0 || size > 8)
		size = 1; /* never trust the run area with a wild length */
	for (uint32_t i = 0; i < run->io.count; i++, p += size) {
		struct exit_event e = {
			.kind = EXIT_IO,
			.size = (uint8_t)size,
			.addr = run->io.port,
		};
		if (run->io.direction == KVM_EXIT_IO_IN) {
			memset(p, ENV_IO_READ_BYTE, size);
			e.dir = DIR_IN;
		} else {
			e.dir = DIR_OUT;
		}
		e.data = le_bytes(p, size);
		if (!outcome_push(out, &e))
			return KVM_STOP;
	}
	return KVM_GO_ON;
}

static int kvm_on_mmio(struct kvm_ctx *k, struct outcome *out)
{
	struct kvm_run *run = k->vcpu.run;
	unsigned len = run->mmio.len;
	if (len > sizeof(run->mmio.data))
		len = sizeof(run->mmio.data);
	struct exit_event e = {
		.kind = EXIT_MMIO,
		.dir = run->mmio.is_write ? DIR_OUT : DIR_IN,
		.size = (uint8_t)len,
		.addr = run->mmio.phys_addr,
	};
	if (!run->mmio.is_write)
		memset(run->mmio.data, ENV_MMIO_READ_BYTE, len);
	e.data = le_bytes(run->mmio.data, len);
	return outcome_push(out, &e) ? KVM_GO_ON : KVM_STOP;
}

/*
 * A HLT in an exception stub (linear LAYOUT_STUBS + vector) is an
 * exception: core/mode.c's mode_stub_exception() reads the frame the
 * delivery pushed (IST1 frame in long mode, the case's own stack in prot32
 * and real16: SDM Vol. 3A 6.12.1, 6.14.2; Vol. 3B 20.1.4) and rewrites the
 * end state to the state at the exception, exactly as the reference does.
 * CR2 comes from the sregs through the captured state.
 */
static int kvm_on_hlt(struct kvm_ctx *k, struct outcome *out)
{
	if (kvm_irq_wakes(k))
		return kvm_irq_wake(k, out);
	kvm_state_capture(k, &out->state);
	struct exit_event e = { .kind = EXIT_HLT, .rip = out->state.rip };
	int stub = mode_stub_exception((enum cpu_mode)k->mode, k->ram, &out->state, &e);
	/* Events made pending in the handler may go on from here. */
	return kvm_events_at_stub(k, out, &e, stub);
}

/* A triple fault (SDM 3A 6.15 "Interrupt 8", shutdown). The vCPU state is
 * whatever KVM left; the next case re-sets all of it. */
static int kvm_on_shutdown(struct kvm_ctx *k, struct outcome *out)
{
	struct exit_event e = { .kind = EXIT_SHUTDOWN };
	kvm_state_capture(k, &out->state);
	outcome_push(out, &e);
	k->need_restore = KVM_RESTORE_ALL;
	return KVM_STOP;
}

static int kvm_on_internal_error(struct kvm_ctx *k, struct outcome *out)
{
	struct kvm_run *run = k->vcpu.run;
	struct exit_event e = {
		.kind = EXIT_INTERNAL_ERROR,
		.addr = run->internal.suberror,
		.error_code = run->internal.ndata,
		.data = run->internal.ndata ? run->internal.data[0] : 0,
	};
	kvm_state_capture(k, &out->state);
	outcome_push(out, &e);
	/* An emulation failure executed nothing (the emulator gave up before
	 * the instruction took effect): what earlier instructions changed is
	 * covered by the code scan. It is common in campaigns (undefined
	 * opcodes, INT3), so it must not pay for a full restore. */
	if (run->internal.suberror != KVM_INTERNAL_ERROR_EMULATION)
		k->need_restore = KVM_RESTORE_ALL;
	return KVM_STOP;
}

static int kvm_on_fail_entry(struct kvm_ctx *k, struct outcome *out)
{
	struct exit_event e = {
		.kind = EXIT_FAIL_ENTRY,
		.addr = k->vcpu.run->fail_entry.hardware_entry_failure_reason,
	};
	kvm_state_capture(k, &out->state);
	outcome_push(out, &e);
	k->need_restore = KVM_RESTORE_ALL;
	return KVM_STOP;
}

static const kvm_exit_fn kvm_exits[] = {
#define X(reason, fn) [reason] = fn,
#include "kvm_exits.def"
#undef X
};
#define KVM_EXITS_KNOWN (sizeof(kvm_exits) / sizeof(kvm_exits[0]))

/* Newer than some installed headers; the number is ABI (api.rst). */
#ifndef KVM_EXIT_MEMORY_FAULT
#define KVM_EXIT_MEMORY_FAULT 39
#endif
/* core/kvm_exit_reasons.def spells the numbers out (core has no KVM
 * header): a few spot checks that it and the header agree. */
_Static_assert(KVM_EXIT_DEBUG == 4 && KVM_EXIT_IRQ_WINDOW_OPEN == 7 &&
	       KVM_EXIT_SYSTEM_EVENT == 24 && KVM_EXIT_X86_WRMSR == 30 &&
	       KVM_EXIT_MEMORY_FAULT == 39, "kvm_exit_reasons.def numbers are the header's");

const char *kvm_exit_name(uint32_t reason)
{
	const char *n = kvm_exit_reason_name(reason);
	return n ? n : "?";
}

int kvm_on_other(struct kvm_ctx *k, struct outcome *out, uint32_t reason)
{
	struct exit_event e = { .kind = EXIT_OTHER, .addr = reason };
	kvm_state_capture(k, &out->state);
	outcome_push(out, &e);
	k->need_restore = KVM_RESTORE_ALL;
	return KVM_STOP;
}

static void kvm_timeout(struct kvm_ctx *k, struct outcome *out, int hung)
{
	struct exit_event e = { .kind = hung ? EXIT_HANG : EXIT_TIMEOUT, .addr = 0 };
	kvm_state_fetch(k);
	if (hung)
		e.rip = k->vcpu.run->s.regs.regs.rip;
	kvm_state_capture(k, &out->state);
	outcome_push(out, &e);
}

/* The time budget. It starts at the case's first watchdog interrupt, so
 * the common case (no interrupt at all) pays no clock read, and it counts
 * time the vCPU thread really ran: when the host put the thread to sleep
 * (the first split lock a process does costs a ~10 ms penalty here, and a
 * loaded host preempts), the deadline moves instead of a false TIMEOUT. A
 * runaway guest keeps the thread busy, so it still ends within about a
 * watchdog period plus KVM_TIME_BUDGET_US. */
struct kvm_budget {
	uint64_t deadline;     /* wall clock, us; 0 until the first interrupt */
	int short_run;         /* a short budget: spent at the first interrupt */
	uint64_t wall0, cpu0;  /* at the first interrupt */
	unsigned extensions;
	/* Progress seen since the first interrupt: an exit, or RIP moved
	 * between interrupts. None by the end of the budget is a hang. */
	unsigned interrupts;
	uint64_t at[4];        /* RIP, RCX, RSI, RDI at the last interrupt */
	int moved;
	unsigned confirm;      /* samples left to confirm a hang */
	int blind;             /* RIP samples mean nothing here (rip_blind) */
	/* The hang probe (k->hang_probe): sampling starts at the first
	 * interrupt, not at the end of the budget. A sample counts only when
	 * the vCPU thread ran since the one before (cpu_last); `skipped` are
	 * those that did not. */
	int probe;
	uint64_t cpu_last;
	unsigned skipped;
};

/* Two samples 5 ms apart can land on the same instruction of a short
 * loop by chance (1 in 40 runs of a three-instruction loop, measured), so
 * a hang is confirmed by more samples close together: a loop of n
 * instructions passes all of them about once in n^KVM_HANG_SAMPLES. The
 * cost, ~2 ms, is paid only by cases that look hung. */
#define KVM_HANG_SAMPLES 6
#define KVM_HANG_SAMPLE_US 300

/* Notes where the vCPU was at a watchdog interrupt (the sync area holds
 * the registers KVM stored on its way out of KVM_RUN, EINTR included).
 * A REP string instruction keeps RIP while it works through its elements
 * inside one KVM_RUN (64K LODSB elements take KVM's emulator longer than
 * the budget): RCX, RSI and RDI moving is progress too. */
static void budget_note_rip(struct kvm_budget *b, const struct kvm_ctx *k)
{
	const struct kvm_regs *r = &k->vcpu.run->s.regs.regs;
	uint64_t at[4] = { r->rip, r->rcx, r->rsi, r->rdi };
	if (!k->have_sync || (b->interrupts && memcmp(at, b->at, sizeof(at))))
		b->moved = 1;
	memcpy(b->at, at, sizeof(at));
	b->interrupts++;
}

/* A hang: the budget ran out over at least two interrupts and the vCPU
 * never left the instruction it was on (a guest loop moves RIP or exits;
 * `jmp $` is the one loop that looks the same, and the reference calls it
 * a step-budget timeout, which is not compared). */
static int budget_hung(const struct kvm_budget *b)
{
	return !b->short_run && !b->blind && b->interrupts >= 2 && !b->moved;
}

#define KVM_BUDGET_EXTENSIONS 8

static uint64_t thread_cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* A sample of the probe counts when the vCPU thread ran at least this
 * long since the one before (a few dozen instructions of KVM's emulator:
 * a loop moves), so a preempted thread, whose guest moves no RIP either,
 * is never taken for a hang; after PROBE_SKIPS_MAX samples that did not
 * count, the probe steps back to the whole budget. */
#define PROBE_MIN_RUN_US 50
#define PROBE_SKIPS_MAX 24

/* Whether this probe sample counts (the thread ran since the last). */
static int probe_sample_ran(struct kvm_budget *b)
{
	uint64_t now = thread_cpu_us(), ran = now - b->cpu_last;
	b->cpu_last = now;
	if (ran >= PROBE_MIN_RUN_US)
		return 1;
	b->skipped++;
	return 0;
}

static void probe_give_up(struct kvm_budget *b, struct kvm_run *run)
{
	b->probe = 0;
	b->confirm = 0;
	b->deadline = 0; /* budget_spent starts it at the next interrupt */
	kvm_watchdog_begin_within(run, KVM_WATCHDOG_PERIOD_US);
}

/* 1 when the case has spent its budget. Called on watchdog interrupts. */
static int budget_spent(struct kvm_budget *b)
{
	uint64_t now = kvm_now_us();
	if (!b->deadline) {
		b->wall0 = now;
		b->cpu0 = thread_cpu_us();
		b->deadline = now + KVM_TIME_BUDGET_US;
		return b->short_run;
	}
	if (now < b->deadline)
		return 0;
	uint64_t ran = thread_cpu_us() - b->cpu0, wall = now - b->wall0;
	if (2 * ran >= wall || b->extensions >= KVM_BUDGET_EXTENSIONS)
		return 1;
	b->extensions++;
	b->deadline = now + KVM_TIME_BUDGET_US;
	return 0;
}

/* An exit KVM completes only on the next KVM_RUN. */
static int kvm_exit_pending(uint32_t reason)
{
	return reason == KVM_EXIT_IO || reason == KVM_EXIT_MMIO || reason == KVM_EXIT_X86_RDMSR ||
	       reason == KVM_EXIT_X86_WRMSR || reason == KVM_EXIT_HYPERCALL;
}

void kvm_flush_pending(struct kvm_ctx *k)
{
	struct kvm_run *run = k->vcpu.run;
	if (!kvm_exit_pending(run->exit_reason))
		return;
	/* With an immediate exit, KVM completes what is pending and returns
	 * EINTR without entering the guest (api.rst, "immediate_exit");
	 * exit_reason then still names the last exit. One exit's worth is
	 * completed per KVM_RUN: an instruction of many exits (REP INS into
	 * MMIO: a page of port data written back 8 bytes an exit) returns
	 * with the next one pending, so it is flushed until KVM_RUN fails. */
	run->immediate_exit = 1;
	run->kvm_dirty_regs = 0;
	unsigned max = k->flush_max ? k->flush_max : KVM_FLUSH_MAX;
	k->flush_left = 1;
	for (unsigned i = 0; i < max && k->flush_left; i++) {
		k->io_flushes++;
		k->flush_left = ioctl(k->vcpu.fd, KVM_RUN, 0) == 0 && kvm_exit_pending(run->exit_reason);
	}
	run->immediate_exit = 0;
}

/* KVM_RUN, or the test hook's failure (kvm.h, test_fail_every): EINVAL
 * without entering KVM, on every run from the Nth until the VM is rebuilt,
 * which is how a vCPU KVM refuses to run again looks to the executor. */
static int kvm_run_ioctl(struct kvm_ctx *k)
{
	if (k->test_fail_every &&
	    (k->test_vcpu_dead || ++k->test_runs % k->test_fail_every == 0)) {
		k->test_vcpu_dead = 1;
		errno = EINVAL;
		return -1;
	}
	return ioctl(k->vcpu.fd, KVM_RUN, 0);
}

int kvm_run_case(struct kvm_ctx *k, struct outcome *out, char *err, size_t errlen)
{
	struct kvm_run *run = k->vcpu.run;
	/* What was loaded, in case an early EINTR makes an older kernel
	 * store the old registers over it before consuming the dirty bits. */
	const struct kvm_regs loaded = run->s.regs.regs;
	struct kvm_budget budget = {
		.short_run = k->budget_us != 0,
		.blind = k->rip_blind[k->cur && ((k->cur->key >> MODE_KEY_BITS) & KNOB_CPL3) ? 1 : 0],
		/* known blind: no samples to confirm a hang with */
	};
	budget.probe = !k->budget_us && k->hang_probe && !budget.blind;
	int rc = 0;

	uint64_t pt = kvm_prof_start(k);
	if (k->budget_us)
		kvm_watchdog_begin_within(run, k->budget_us);
	else
		kvm_watchdog_begin(run);
	for (;;) {
		kvm_prof_lap(k, KVM_PROF_EXITS, &pt);
		int rr = kvm_run_ioctl(k);
		kvm_prof_lap(k, KVM_PROF_RUN, &pt);
		if (rr < 0) {
			/* The one exit KVM_RUN reports with an error (api.rst,
			 * KVM_EXIT_MEMORY_FAULT: EFAULT or EHWPOISON): the
			 * guest's doing, an exit like any other. */
			if ((errno == EFAULT || errno == EHWPOISON) &&
			    run->exit_reason == KVM_EXIT_MEMORY_FAULT) {
				k->sync_fresh = 0;
				kvm_state_fetch(k);
				kvm_on_other(k, out, run->exit_reason);
				break;
			}
			if (errno != EINTR && errno != EAGAIN) {
				k->run_failures++;
				k->sync_fresh = 0;
				/* The raw ioctl (errno is classified above); the
				 * name still comes from the one table. */
				k->fail_op = kvm_ioctl_name(KVM_RUN);
				k->fail_errno = errno;
				snprintf(err, errlen, "%s:%d: %s: %s (errno %d; last exit reason %u %s)",
					 KVM_HERE_FILE, __LINE__, k->fail_op, strerror(k->fail_errno),
					 k->fail_errno,
					 run->exit_reason, kvm_exit_name(run->exit_reason));
				rc = -1;
				break;
			}
			k->eintr++;
			if (k->have_sync && run->kvm_dirty_regs) {
				/* Not consumed: (re)load everything. */
				run->s.regs.regs = loaded;
				run->s.regs.sregs = k->cur->sregs;
				run->s.regs.events = k->events_case;
				run->kvm_dirty_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS |
						      KVM_SYNC_X86_EVENTS;
			}
			budget_note_rip(&budget, k);
			if (budget.probe && budget.interrupts == 1) {
				budget.cpu_last = thread_cpu_us();
				budget.confirm = KVM_HANG_SAMPLES;
				kvm_watchdog_begin_within(run, KVM_HANG_SAMPLE_US);
				continue;
			}
			if (budget.probe && !budget.moved && !probe_sample_ran(&budget)) {
				if (budget.skipped < PROBE_SKIPS_MAX) {
					kvm_watchdog_begin_within(run, KVM_HANG_SAMPLE_US);
					continue;
				}
				k->probe_preempted++;
				probe_give_up(&budget, run);
				continue;
			}
			if (budget.probe && (budget.moved || budget.confirm == 1)) {
				if (!budget.moved) {
					k->probe_hangs++;
					kvm_timeout(k, out, 1);
					break;
				}
				k->probe_moved++;
				probe_give_up(&budget, run);
				continue;
			}
			if (budget.confirm) {
				if (budget.moved || --budget.confirm == 0) {
					kvm_timeout(k, out, !budget.moved);
					break;
				}
				kvm_watchdog_begin_within(run, KVM_HANG_SAMPLE_US);
				continue;
			}
			if (budget_spent(&budget)) {
				if (!budget_hung(&budget)) {
					kvm_timeout(k, out, 0);
					break;
				}
				budget.confirm = KVM_HANG_SAMPLES;
				kvm_watchdog_begin_within(run, KVM_HANG_SAMPLE_US);
				continue;
			}
			run->immediate_exit = 0;
			continue;
		}
		k->sync_fresh = 1;
		if (kvm_state_fetch(k) < 0) {
			k->fail_op = "state-fetch";
			k->fail_errno = errno;
			snprintf(err, errlen, "%s:%d: reading vCPU state after exit %u: %s",
				 KVM_HERE_FILE, __LINE__, run->exit_reason, strerror(errno));
			rc = -1;
			break;
		}
		uint32_t reason = run->exit_reason;
		if (budget.interrupts)
			budget.moved = 1;
		int go;
		go = reason < KVM_EXITS_KNOWN && kvm_exits[reason] ? kvm_exits[reason](k, out) :
								      KVM_UNEXPECTED;
		if (go == KVM_UNEXPECTED)
			go = kvm_on_other(k, out, reason);
		if (go == KVM_FAILED) {
			snprintf(err, errlen, "%s:%d: %s after exit %u (%s): %s (errno %d)",
				 KVM_HERE_FILE, __LINE__, k->fail_op, reason, kvm_exit_name(reason),
				 strerror(k->fail_errno), k->fail_errno);
			rc = -1;
			break;
		}
		if (go == KVM_STOP) {
			/* A full trace ends in the event-budget TIMEOUT that
			 * outcome_push wrote; the state is where it stopped. */
			if (!exit_kind_is_terminal(out->events[out->n_events - 1].kind) ||
			    out->events[out->n_events - 1].kind == EXIT_TIMEOUT)
				kvm_state_capture(k, &out->state);
			break;
		}
		/* Exits keep coming (an I/O loop): the watchdog still ticks
		 * and sets immediate_exit, which makes the next KVM_RUN
		 * return EINTR and land in the check above. */
	}
	kvm_watchdog_end();

	/* Stopped right after an I/O, MMIO, MSR or hypercall exit (trace full,
	 * or out of time): KVM completes that instruction on the next KVM_RUN,
	 * after it has applied the next case's sync regs, and would write its
	 * result into them. */
	if (rc == 0 && kvm_exit_pending(run->exit_reason)) {
		kvm_prof_lap(k, KVM_PROF_EXITS, &pt);
		kvm_flush_pending(k);
		kvm_prof_lap(k, KVM_PROF_RUN, &pt);
	}
	kvm_prof_lap(k, KVM_PROF_EXITS, &pt);
	return rc;
}
