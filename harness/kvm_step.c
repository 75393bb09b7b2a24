/*
 * Single-stepping a case in KVM, for `exitdiff run --lockstep`: the case is
 * loaded as kvm_exec_case() loads it, then KVM_SET_GUEST_DEBUG with
 * KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP makes every KVM_RUN stop
 * with KVM_EXIT_DEBUG after one instruction (api.rst "KVM_SET_GUEST_DEBUG").
 * The exits met on the way (I/O, MMIO) are normalised exactly as the run
 * loop does (kvm_run.c), and a HLT ends the case through the one shared
 * frame reader, mode_stub_exception(). docs/lockstep.md lists what this
 * KVM does when stepping (REP iterations, HLT, exits before the debug
 * exit, TF in RFLAGS).
 *
 * CPL3 (long64) is stepped by the guest's own TF instead: a KVM that runs
 * user code natively (kvm_pvm) does not single-step it through guest
 * debug (the trap reaches the guest, or the whole case runs as one step),
 * while TF works there as on the CPU (SDM Vol. 3B 18.3.1.4). Each #DB
 * trap goes through the guest's IDT to its stub's HLT; the state is read
 * from the frame and put back at CPL3, TF set, for the next step. The
 * frame lands on the IST stack, outside the compared memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include "knobs.h"
#include "kvm_internal.h"
#include "layout.h"
#include "mode.h"

/* A step that keeps being interrupted by the watchdog for this long ran
 * away inside one KVM_RUN (a guest KVM never returns from): TIMEOUT. */
#define KVM_STEP_TIME_US 1000000u

static int set_guest_debug(struct kvm_ctx *k, uint32_t control)
{
	struct kvm_guest_debug dbg;
	memset(&dbg, 0, sizeof(dbg));
	dbg.control = control;
	return ioctl(k->vcpu.fd, KVM_SET_GUEST_DEBUG, &dbg);
}

int kvm_step_begin(struct kvm_step *s, struct kvm_ctx *k, const struct test_case *c,
		   char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->k = k;
	s->mode = c->mode;
	if (kvm_vm_cap(&k->vm, KVM_CAP_SET_GUEST_DEBUG) <= 0) {
		snprintf(err, errlen, "case %s: this KVM has no KVM_CAP_SET_GUEST_DEBUG: "
			 "single-stepping is not supported", c->id);
		return KVM_NO_STEP;
	}
	/* The run loop injects it at a window exit (kvm_irq.c); stepping
	 * would see that exit as the case's end. */
	int intr = 0;
	for (unsigned i = 0; i < CASE_EVENTS_MAX; i++)
		intr |= c->event[i].kind == CASE_EVENT_INTR && case_event_at_start(&c->event[i]);
	if (intr) {
		snprintf(err, errlen, "case %s: an external interrupt is injected at an interrupt "
			 "window exit: not single-stepped", c->id);
		return KVM_NO_STEP;
	}
	if (kvm_case_load(k, c, err, errlen) < 0)
		return -1;
	s->read_xmm = (insn_state_scan(c->code, c->code_len, mode_long((enum cpu_mode)c->mode)) &
		       INSN_STATE_XMM) != 0;
	if (c->mode == MODE_LONG64 && (c->knobs & KNOB_CPL3)) {
		if (c->rflags & RFLAGS_TF) {
			snprintf(err, errlen, "case %s: a CPL3 case that sets TF itself cannot be "
				 "stepped (its steps are taken with TF)", c->id);
			return KVM_NO_STEP;
		}
		s->guest_tf = 1;
		s->active = 1;
		kvm_watchdog_begin(k->vcpu.run);
		return 0;
	}
	if (set_guest_debug(k, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP) < 0) {
		int e = errno;
		snprintf(err, errlen, "case %s: %s (single-step): %s (%s:%d)", c->id,
			 kvm_ioctl_name(KVM_SET_GUEST_DEBUG), strerror(e), __FILE__, __LINE__);
		return e == EINVAL || e == ENOTTY || e == EOPNOTSUPP ? KVM_NO_STEP : -1;
	}
	s->active = 1;
	kvm_watchdog_begin(k->vcpu.run);
	return 0;
}

static uint64_t le_bytes(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

/* One event per I/O element, reads answered with the open-bus byte: the
 * same normalisation as kvm_run.c's kvm_on_io. */
static void on_io(struct kvm_step *s, struct outcome *out)
{
	struct kvm_run *run = s->k->vcpu.run;
	uint8_t *p = (uint8_t *)run + run->io.data_offset;
	unsigned size = run->io.size;
	if (size == 0 || size > 8)
		size = 1;
	for (uint32_t i = 0; i < run->io.count; i++, p += size) {
		struct exit_event e = { .kind = EXIT_IO, .size = (uint8_t)size,
					.addr = run->io.port };
		if (run->io.direction == KVM_EXIT_IO_IN) {
			memset(p, ENV_IO_READ_BYTE, size);
			e.dir = DIR_IN;
		} else {
			e.dir = DIR_OUT;
		}
		e.data = le_bytes(p, size);
		if (!outcome_push(out, &e))
			return;
	}
}

static void on_mmio(struct kvm_step *s, struct outcome *out)
{
	struct kvm_run *run = s->k->vcpu.run;
	unsigned len = run->mmio.len;
	if (len > sizeof(run->mmio.data))
		len = sizeof(run->mmio.data);
	struct exit_event e = { .kind = EXIT_MMIO, .size = (uint8_t)len,
				.dir = run->mmio.is_write ? DIR_OUT : DIR_IN,
				.addr = run->mmio.phys_addr };
	if (!run->mmio.is_write)
		memset(run->mmio.data, ENV_MMIO_READ_BYTE, len);
	e.data = le_bytes(run->mmio.data, len);
	outcome_push(out, &e);
}

/* Ends the case with a terminal event built from the exit. */
static void on_terminal(struct kvm_step *s, struct outcome *out, uint32_t reason)
{
	struct kvm_ctx *k = s->k;
	struct kvm_run *run = k->vcpu.run;
	struct exit_event e = { .kind = EXIT_OTHER, .addr = reason };
	kvm_state_capture(k, &out->state);
	switch (reason) {
	case KVM_EXIT_HLT:
		e.kind = EXIT_HLT;
		e.addr = 0;
		e.rip = out->state.rip;
		(void)mode_stub_exception((enum cpu_mode)s->mode, k->ram, &out->state, &e);
		break;
	case KVM_EXIT_SHUTDOWN:
		e.kind = EXIT_SHUTDOWN;
		e.addr = 0;
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		e.kind = EXIT_INTERNAL_ERROR;
		e.addr = run->internal.suberror;
		e.error_code = run->internal.ndata;
		e.data = run->internal.ndata ? run->internal.data[0] : 0;
		break;
	case KVM_EXIT_FAIL_ENTRY:
		e.kind = EXIT_FAIL_ENTRY;
		e.addr = run->fail_entry.hardware_entry_failure_reason;
		break;
	default:
		break;
	}
	outcome_push(out, &e);
	if (reason != KVM_EXIT_HLT)
		k->need_restore = KVM_RESTORE_ALL;
}

static int is_prefix(uint8_t b)
{
	return b == 0xf0 || b == 0xf2 || b == 0xf3 || b == 0x2e || b == 0x36 || b == 0x3e ||
	       b == 0x26 || b == 0x64 || b == 0x65 || b == 0x66 || b == 0x67;
}

/* What the instruction at the vCPU's RIP is, from guest RAM: paging is
 * the identity in every mode (layout.h), so linear == physical. */
struct insn_peek {
	uint64_t lin;      /* linear address of RIP */
	unsigned hlt_len;  /* prefixes + F4: its length, else 0 */
	int rep;           /* an F2/F3 prefix */
	int soft_int;      /* INT n, INT3, INTO, INT1 */
};

static void peek(const struct kvm_step *s, struct insn_peek *p)
{
	const struct kvm_regs *r = kvm_regs_of(s->k);
	const struct kvm_sregs *sr = kvm_sregs_of(s->k);
	uint64_t m = mode_reg_mask((enum cpu_mode)s->mode);
	p->lin = (sr->cs.base + (r->rip & m)) & (s->mode == MODE_LONG64 ? ~0ull : 0xffffffffull);
	p->hlt_len = 0;
	p->rep = 0;
	p->soft_int = 0;
	for (unsigned i = 0; i < 15 && p->lin + i < LAYOUT_RAM_SIZE; i++) {
		uint8_t b = s->k->ram[p->lin + i];
		if (b == 0xf2 || b == 0xf3)
			p->rep = 1;
		if (b == 0xf4) {
			p->hlt_len = i + 1;
			return;
		}
		if (b == 0xcd || b == 0xcc || b == 0xce || b == 0xf1) {
			p->soft_int = 1;
			return;
		}
		if (!is_prefix(b) && !(s->mode == MODE_LONG64 && (b & 0xf0) == 0x40))
			return;
	}
}

/* Hands the registers changed here (and the sregs, with sregs) to KVM for
 * the next KVM_RUN: through the sync area, else by ioctl. 0, or -1 (err). */
static int put_state(struct kvm_ctx *k, int sregs, char *err, size_t errlen)
{
	if (k->have_sync) {
		k->vcpu.run->kvm_dirty_regs |= KVM_SYNC_X86_REGS | (sregs ? KVM_SYNC_X86_SREGS : 0);
		return 0;
	}
	char why[160];
	if (kvm_ioctl(k->vcpu.fd, KVM_SET_REGS, kvm_regs_of(k), why, sizeof(why)) < 0 ||
	    (sregs && kvm_ioctl(k->vcpu.fd, KVM_SET_SREGS, kvm_sregs_of(k), why, sizeof(why)) < 0)) {
		snprintf(err, errlen, "stepping with TF: %s", why);
		return -1;
	}
	return 0;
}

/* The vCPU state after a #DB trap at CPL3: the frame's RIP, RSP and
 * RFLAGS (TF still set), CS and SS of the case's template (the frame must
 * hold the same selectors). Returns 0, or -1 (err). */
static int resume_from_trap(struct kvm_step *s, const struct end_state *frame,
			    char *err, size_t errlen)
{
	struct kvm_ctx *k = s->k;
	struct kvm_regs *r = kvm_regs_of(k);
	struct kvm_sregs *sr = kvm_sregs_of(k);
	if (frame->cs != k->cur->sregs.cs.selector || frame->ss != k->cur->sregs.ss.selector) {
		snprintf(err, errlen, "stepping with TF: the #DB frame holds CS 0x%x SS 0x%x, not "
			 "the case's (%s:%d)", frame->cs, frame->ss, __FILE__, __LINE__);
		return -1;
	}
	r->rip = frame->rip;
	r->rsp = frame->gpr[RSP];
	r->rflags = frame->rflags | RFLAGS_TF;
	sr->cs = k->cur->sregs.cs;
	sr->ss = k->cur->sregs.ss;
	return put_state(k, 1, err, errlen);
}

/* Sets TF for the next instruction (the case's POPF may have cleared it). */
static int arm_tf(struct kvm_step *s, char *err, size_t errlen)
{
	struct kvm_regs *r = kvm_regs_of(s->k);
	if (r->rflags & RFLAGS_TF)
		return 0;
	r->rflags |= RFLAGS_TF;
	return put_state(s->k, 0, err, errlen);
}

/* Non-zero when the debug exit that just came ended the case at a HLT.
 * On this KVM a HLT under single-step does not exit as HLT: it retires as
 * one more step (KVM_EXIT_DEBUG with RIP after it) and the guest goes on.
 * Three shapes, measured:
 *   1  the HLT at the RIP before the step (RIP is after it);
 *   1  an exception stub's HLT reached by a faulting instruction: its
 *      delivery and the stub's HLT come as one debug exit;
 *   2  a software interrupt (INT n, INT3...): the debug exit comes at the
 *      stub's entry, its HLT not run yet (RIP at the HLT; the stubs are
 *      adjacent HLTs, so this cannot be told from the state alone). */
static int stepped_over_hlt(const struct kvm_step *s, const struct insn_peek *before)
{
	struct insn_peek after;
	peek(s, &after);
	if (before->hlt_len && after.lin == before->lin + before->hlt_len)
		return 1;
	int was_stub = before->lin >= LAYOUT_STUBS && before->lin < LAYOUT_STUBS + 256;
	if (was_stub)
		return 0;
	if (before->soft_int && after.lin >= LAYOUT_STUBS && after.lin < LAYOUT_STUBS + 256)
		return 2;
	return after.lin > LAYOUT_STUBS && after.lin <= LAYOUT_STUBS + 256 &&
	       s->k->ram[after.lin - 1] == 0xf4;
}

int kvm_step_next(struct kvm_step *s, struct outcome *out, char *err, size_t errlen)
{
	struct kvm_ctx *k = s->k;
	struct kvm_run *run = k->vcpu.run;
	uint64_t t0 = 0;
	struct insn_peek before;
	peek(s, &before);
	const uint64_t before_rip = kvm_regs_of(k)->rip;
	int completing = 0;
	out->mem_stamp = 0; /* mem is rewritten below, outcome_init is not called */
	if (!s->active) {
		snprintf(err, errlen, "kvm_step_next without kvm_step_begin (%s:%d)",
			 __FILE__, __LINE__);
		return -1;
	}
	if (s->guest_tf && arm_tf(s, err, errlen) < 0)
		return -1;
	for (;;) {
		if (ioctl(k->vcpu.fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR && completing) {
				/* The I/O instruction is complete and nothing
				 * else ran: that is the end of this step. */
				run->immediate_exit = 0;
				completing = 0;
				k->sync_fresh = 1;
				if (kvm_state_fetch(k) < 0) {
					snprintf(err, errlen, "reading vCPU state after I/O: %s (%s:%d)",
						 strerror(errno), __FILE__, __LINE__);
					return -1;
				}
				s->io_completions++;
				if (before.rep && kvm_regs_of(k)->rip == before_rip) {
					s->rep_merged++;
					continue;
				}
				kvm_state_capture(k, &out->state);
				memcpy(out->mem, k->ram + LAYOUT_CMP_BASE, LAYOUT_CMP_SIZE);
				return 1;
			}
			if (errno != EINTR && errno != EAGAIN) {
				k->sync_fresh = 0;
				snprintf(err, errlen, "%s while stepping: %s (%s:%d)",
					 kvm_ioctl_name(KVM_RUN), strerror(errno), __FILE__, __LINE__);
				return -1;
			}
			/* The watchdog: the step has not finished yet. */
			run->immediate_exit = 0;
			uint64_t now = kvm_now_us();
			if (!t0)
				t0 = now;
			else if (now - t0 > KVM_STEP_TIME_US) {
				struct exit_event e = { .kind = EXIT_TIMEOUT };
				kvm_state_fetch(k);
				kvm_state_capture(k, &out->state);
				outcome_push(out, &e);
				break;
			}
			continue;
		}
		k->sync_fresh = 1;
		if (kvm_state_fetch(k) < 0) {
			snprintf(err, errlen, "reading vCPU state after exit %u: %s (%s:%d)",
				 run->exit_reason, strerror(errno), __FILE__, __LINE__);
			return -1;
		}
		s->exits++;
		uint32_t reason = run->exit_reason;
		if (reason == KVM_EXIT_DEBUG) {
			s->debug_exits++;
			s->dr6 = run->debug.arch.dr6;
			s->exception = run->debug.arch.exception;
			int hlt = stepped_over_hlt(s, &before);
			if (hlt) {
				s->hlt_stepped = 1;
				/* Shape 2: as if the stub's HLT had run, so the
				 * shared frame reader sees RIP after it. */
				if (hlt == 2)
					kvm_regs_of(k)->rip++;
				on_terminal(s, out, KVM_EXIT_HLT);
				break;
			}
			/* A REP string instruction comes back at its own RIP
			 * after a batch of iterations (measured: RCX=3 gives
			 * one exit with RCX=0 at the REP, then one past it):
			 * an instruction is done only when RIP moves on. */
			if (before.rep && kvm_regs_of(k)->rip == before_rip) {
				s->rep_merged++;
				continue;
			}
			kvm_state_capture(k, &out->state);
			memcpy(out->mem, k->ram + LAYOUT_CMP_BASE, LAYOUT_CMP_SIZE);
			return 1;
		}
		if (reason == KVM_EXIT_HLT && s->guest_tf) {
			/* A stub's HLT: the step's #DB trap, or the case's end. */
			struct end_state st;
			struct exit_event e;
			kvm_state_capture(k, &st);
			if (mode_stub_exception(MODE_LONG64, k->ram, &st, &e) && e.addr == 1 &&
			    !before.soft_int) {
				s->tf_traps++;
				if (resume_from_trap(s, &st, err, errlen) < 0)
					return -1;
				if (before.rep && st.rip == before_rip) {
					s->rep_merged++;
					continue;
				}
				kvm_state_capture(k, &out->state);
				memcpy(out->mem, k->ram + LAYOUT_CMP_BASE, LAYOUT_CMP_SIZE);
				return 1;
			}
		}
		if (reason == KVM_EXIT_IO || reason == KVM_EXIT_MMIO) {
			s->io_exits++;
			if (reason == KVM_EXIT_IO)
				on_io(s, out);
			else
				on_mmio(s, out);
			/* Measured: after the I/O exit, the KVM_RUN that
			 * completes the instruction also runs the next one
			 * before the debug exit comes, so the I/O
			 * instruction's own step would be lost. Complete it
			 * with immediate_exit set instead: KVM finishes the
			 * pending I/O, then returns EINTR without entering
			 * the guest (api.rst, "immediate_exit"). Stepping
			 * with TF needs none: the trap after the instruction
			 * ends the step. */
			if (!s->guest_tf) {
				run->immediate_exit = 1;
				completing = 1;
			}
		} else {
			on_terminal(s, out, reason);
			break;
		}
		if (out->n_events && out->events[out->n_events - 1].kind == EXIT_TIMEOUT) {
			kvm_state_capture(k, &out->state);
			break; /* the trace is full */
		}
	}
	memcpy(out->mem, k->ram + LAYOUT_CMP_BASE, LAYOUT_CMP_SIZE);
	/* The end state has the XMM registers a whole run reads (kvm_case.c). */
	if (s->read_xmm && kvm_read_xmm(k, out->state.xmm, err, errlen) < 0)
		return -1;
	return 0;
}

/* Runs a case that is one HLT, with the vCPU's normal run loop. */
static void kvm_step_flush(struct kvm_ctx *k)
{
	struct test_case *c = malloc(sizeof(*c));
	struct outcome *o = malloc(sizeof(*o));
	char err[160];
	if (c && o) {
		case_init(c);
		snprintf(c->id, sizeof(c->id), "step-flush");
		c->code[0] = 0xf4;
		c->code_len = 1;
		k->sync_fresh = 0;
		(void)kvm_exec_case(k, c, o, err, sizeof(err));
	}
	free(c);
	free(o);
}

void kvm_step_end(struct kvm_step *s)
{
	struct kvm_ctx *k = s->k;
	if (!s->active)
		return;
	kvm_watchdog_end();
	/* An exit left pending completes now, not into the next case's
	 * registers (the same reason as in kvm_run_case). */
	kvm_flush_pending(k);
	(void)set_guest_debug(k, 0);
	/* Measured on kvm_pvm: after a HLT was stepped over (the case's own,
	 * or an exception stub's), the next KVM_RUN of the next case stops
	 * with a HLT exit at its first faulting instruction instead of
	 * delivering the exception, as if a halt were still pending. One
	 * HLT-only run absorbs it (docs/lockstep.md, "pitfalls"). */
	if (s->hlt_stepped)
		kvm_step_flush(k);
	/* Debug state was touched: the next case re-sets everything. */
	k->need_restore = KVM_RESTORE_ALL;
	k->sync_fresh = 0;
	s->active = 0;
}
