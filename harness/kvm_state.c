/* Per-case reset and end-state capture. The hot path is: reset the RW
 * pages, copy registers into the sync-regs area of the run struct, and
 * after the exits read them back from there; no register ioctl at all
 * (KVM_CAP_SYNC_REGS, Documentation/virt/kvm/api.rst "kvm_sync_regs"). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include "kvm_internal.h"
#include "knobs.h"
#include "layout.h"

#define KVM_SYNC_ALL (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | KVM_SYNC_X86_EVENTS)

void kvm_agreed(struct kvm_ctx *k, unsigned insn_state)
{
	k->need_restore &= ~(k->restore_by_scan & ~insn_state);
	k->restore_by_scan = 0;
}

int kvm_restore_extra(struct kvm_ctx *k, unsigned mask, char *err, size_t errlen)
{
	uint64_t t = kvm_prof_start(k);
	if ((mask & KVM_RESTORE_MSRS) && k->msrs0 && k->msrs0->nmsrs) {
		int n = ioctl(k->vcpu.fd, KVM_SET_MSRS, k->msrs0);
		if (n != (int)k->msrs0->nmsrs) {
			snprintf(err, errlen, "KVM_SET_MSRS: restored %d of %u MSRs: %s",
				 n, k->msrs0->nmsrs, n < 0 ? strerror(errno) : "refused");
			return -1;
		}
		kvm_prof_lap(k, KVM_PROF_RESTORE_MSRS, &t);
	}
	if ((mask & KVM_RESTORE_XCRS) && k->have_xcrs) {
		if (kvm_ioctl(k->vcpu.fd, KVM_SET_XCRS, &k->xcrs0, err, errlen) < 0)
			return -1;
		kvm_prof_lap(k, KVM_PROF_RESTORE_XCRS, &t);
	}
	if ((mask & KVM_RESTORE_DREGS) && k->have_debugregs) {
		if (kvm_ioctl(k->vcpu.fd, KVM_SET_DEBUGREGS, &k->dbg0, err, errlen) < 0)
			return -1;
		kvm_prof_lap(k, KVM_PROF_RESTORE_DREGS, &t);
	}
	if ((mask & KVM_RESTORE_FPU) && k->have_xsave) {
		if (kvm_ioctl(k->vcpu.fd, KVM_SET_XSAVE, k->xsave0, err, errlen) < 0)
			return -1;
		kvm_prof_lap(k, KVM_PROF_RESTORE_XSAVE, &t);
	}
	k->restores++;
	return 0;
}

/* GPRs from the case, masked to the mode (outside long64 a case may not
 * set the upper halves, SDM Vol. 1 3.4.1.1); RIP is the mode's first. */
static void regs_from_case(struct kvm_regs *r, const struct test_case *c, uint64_t rip,
			   uint64_t mode_rflags)
{
	uint64_t m = mode_reg_mask((enum cpu_mode)c->mode);
	r->rax = c->gpr[RAX] & m;
	r->rcx = c->gpr[RCX] & m;
	r->rdx = c->gpr[RDX] & m;
	r->rbx = c->gpr[RBX] & m;
	r->rsp = c->gpr[RSP] & m;
	r->rbp = c->gpr[RBP] & m;
	r->rsi = c->gpr[RSI] & m;
	r->rdi = c->gpr[RDI] & m;
	r->r8 = c->gpr[R8] & m;
	r->r9 = c->gpr[R9] & m;
	r->r10 = c->gpr[R10] & m;
	r->r11 = c->gpr[R11] & m;
	r->r12 = c->gpr[R12] & m;
	r->r13 = c->gpr[R13] & m;
	r->r14 = c->gpr[R14] & m;
	r->r15 = c->gpr[R15] & m;
	r->rip = rip;
	/* Bits a case cannot set (TF, IF, ...) would change how the whole
	 * case runs; case.h keeps them out, and so does this. */
	r->rflags = (c->rflags & RFLAGS_CASE_SETTABLE) | RFLAGS_FIXED1;
	/* The mode's own system bits: v86's VM and IOPL. kvm_pvm drops VM
	 * here (measured: KVM_GET_REGS reads it back clear) and runs the
	 * case as 16-bit protected-mode code at CPL3; that is its outcome. */
	r->rflags |= mode_rflags;
}

/* 1 when the events KVM stored at the last exit are the pristine ones.
 * An exception delivered from CPL3 (under kvm_pvm) leaves its vector in
 * exception.nr with nothing injected or pending: stale, and no reason to
 * pay for re-setting the events (measured: every CPL3 case did). */
static int events_pristine(const struct kvm_vcpu_events *now,
			   const struct kvm_vcpu_events *e0)
{
	struct kvm_vcpu_events v = *now;
	if (!v.exception.injected && !v.exception.pending && !v.exception_has_payload) {
		v.exception.nr = e0->exception.nr;
		v.exception.has_error_code = e0->exception.has_error_code;
		v.exception.error_code = e0->exception.error_code;
	}
	return memcmp(&v, e0, sizeof(v)) == 0;
}

/* events0 with the case's event (case_event.h): an NMI made pending, or an
 * exception injected as a VMM injects one, and the interrupt shadow the
 * first instruction runs in. */
static void events_of_case(const struct kvm_ctx *k, const struct test_case *c,
			   struct kvm_vcpu_events *ev)
{
	*ev = k->events0;
	/* No NMI left pending by the case before (one held in a handler,
	 * kvm_events.c): KVM takes nmi.pending only with this flag. */
	ev->nmi.pending = 0;
	ev->flags |= KVM_VCPUEVENT_VALID_NMI_PENDING;
	struct case_event none = { 0 };
	const struct case_event *e = &none;
	for (unsigned i = 0; i < CASE_EVENTS_MAX; i++)
		if (case_event_at_start(&c->event[i]) && c->event[i].kind != CASE_EVENT_INTR)
			e = &c->event[i];
	if (e->kind == CASE_EVENT_NMI) {
		ev->nmi.pending = 1;
		ev->flags |= KVM_VCPUEVENT_VALID_NMI_PENDING;
	} else if (e->kind == CASE_EVENT_EXCEPTION) {
		ev->exception.injected = 1;
		ev->exception.nr = e->vector;
		ev->exception.has_error_code = e->has_error;
		ev->exception.error_code = e->error;
	}
	if (e->shadow) {
		ev->interrupt.shadow = e->shadow == CASE_SHADOW_MOV_SS ? KVM_X86_SHADOW_INT_MOV_SS :
									  KVM_X86_SHADOW_INT_STI;
		ev->flags |= KVM_VCPUEVENT_VALID_SHADOW;
	}
}

/* The template of the case's mode and knobs, or NULL with err set when the
 * case cannot run here. */
static const struct kvm_tmpl *case_tmpl(struct kvm_ctx *k, const struct test_case *c,
					char *err, size_t errlen)
{
	char names[96];
	if (c->mode >= MODE_COUNT) {
		snprintf(err, errlen, "case %s: unknown mode %u", c->id, c->mode);
		return NULL;
	}
	if (c->knobs && !knobs_valid_for(c->knobs, (enum cpu_mode)c->mode)) {
		knobs_format(c->knobs & ~knobs_for_mode((enum cpu_mode)c->mode), names, sizeof(names));
		snprintf(err, errlen, "case %s: knobs 0x%x (%s) do not apply to mode %s",
			 c->id, c->knobs, names[0] ? names : "unknown bits",
			 mode_name((enum cpu_mode)c->mode));
		return NULL;
	}
	/* The common pair first, without a call. */
	if (c->mode == MODE_LONG64 && !c->knobs && k->tmpl[0])
		return k->tmpl[0];
	const struct kvm_tmpl *t = kvm_tmpl_get(k, (enum cpu_mode)c->mode, c->knobs);
	if (t->refused) {
		snprintf(err, errlen, "case %s: %s", c->id, t->why);
		return NULL;
	}
	return t;
}

int kvm_state_load(struct kvm_ctx *k, const struct test_case *c,
		   char *err, size_t errlen)
{
	if (k->need_restore) {
		if (kvm_restore_extra(k, k->need_restore, err, errlen) < 0)
			return -1;
		/* An MSR may have pointed KVM at guest memory (kvmclock,
		 * steal time): clear what it could have written there. */
		if (k->need_restore & KVM_RESTORE_MSRS)
			layout_clear_holes(k->ram);
		k->need_restore = 0;
	}
	uint64_t pt = kvm_prof_start(k);
	const struct kvm_tmpl *t = case_tmpl(k, c, err, errlen);
	if (!t)
		return KVM_CASE_REFUSED;
	int mf = kvm_msr_filter_apply(k, c, err, errlen);
	if (mf < 0)
		return mf;
	k->cur = t;
	k->mode = c->mode;
	kvm_prof_lap(k, KVM_PROF_LOAD, &pt);
	if (k->pristine_sys && memcmp(k->ram, k->pristine_sys, LAYOUT_RW_BASE) != 0)
		memcpy(k->ram, k->pristine_sys, LAYOUT_RW_BASE);
	mode_reset_ram_tracked(k->ram, c, &k->holes_dirty);
	kvm_prof_lap(k, KVM_PROF_RAM, &pt);

	struct kvm_run *run = k->vcpu.run;
	regs_from_case(&run->s.regs.regs, c, t->rip, t->rflags);
	events_of_case(k, c, &k->events_case);
	kvm_irq_arm(k, c);
	if (k->have_sync) {
		/* Setting sregs costs ~0.7 us in KVM (a sixth of a case), and
		 * most cases leave them as they were. KVM stored the current
		 * ones at the last exit, so compare with the template of this
		 * case's mode and knobs: equal means already set. */
		uint32_t dirty = KVM_SYNC_X86_REGS;
		if (!k->sync_fresh ||
		    memcmp(&run->s.regs.sregs, &t->sregs, sizeof(t->sregs)) != 0) {
			run->s.regs.sregs = t->sregs;
			dirty |= KVM_SYNC_X86_SREGS;
			k->sregs_sets++;
		}
		if (c->event[0].kind || !k->sync_fresh ||
		    !events_pristine(&run->s.regs.events, &k->events0)) {
			run->s.regs.events = k->events_case;
			dirty |= KVM_SYNC_X86_EVENTS;
			k->events_sets++;
		}
		run->kvm_valid_regs = KVM_SYNC_ALL;
		run->kvm_dirty_regs = dirty;
		kvm_prof_lap(k, KVM_PROF_LOAD, &pt);
		return 0;
	}
	run->s.regs.sregs = t->sregs;
	run->s.regs.events = k->events_case;
	char why[160];
	if (kvm_ioctl(k->vcpu.fd, KVM_SET_SREGS, &run->s.regs.sregs, why, sizeof(why)) < 0 ||
	    kvm_ioctl(k->vcpu.fd, KVM_SET_REGS, &run->s.regs.regs, why, sizeof(why)) < 0 ||
	    kvm_ioctl(k->vcpu.fd, KVM_SET_VCPU_EVENTS, &run->s.regs.events, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "case %s: setting vCPU state (mode %s): %s", c->id,
			 mode_name((enum cpu_mode)c->mode), why);
		return -1;
	}
	return 0;
}

int kvm_state_fetch(struct kvm_ctx *k)
{
	if (k->have_sync)
		return 0;
	if (ioctl(k->vcpu.fd, KVM_GET_REGS, &k->vcpu.run->s.regs.regs) < 0 ||
	    ioctl(k->vcpu.fd, KVM_GET_SREGS, &k->vcpu.run->s.regs.sregs) < 0)
		return -1;
	return 0;
}

void kvm_state_capture(struct kvm_ctx *k, struct end_state *st)
{
	const struct kvm_regs *r = kvm_regs_of(k);
	const struct kvm_sregs *s = kvm_sregs_of(k);
	const uint64_t m = mode_reg_mask((enum cpu_mode)k->mode);
	st->gpr[RAX] = r->rax;
	st->gpr[RCX] = r->rcx;
	st->gpr[RDX] = r->rdx;
	st->gpr[RBX] = r->rbx;
	st->gpr[RSP] = r->rsp;
	st->gpr[RBP] = r->rbp;
	st->gpr[RSI] = r->rsi;
	st->gpr[RDI] = r->rdi;
	st->gpr[R8] = r->r8;
	st->gpr[R9] = r->r9;
	st->gpr[R10] = r->r10;
	st->gpr[R11] = r->r11;
	st->gpr[R12] = r->r12;
	st->gpr[R13] = r->r13;
	st->gpr[R14] = r->r14;
	st->gpr[R15] = r->r15;
	st->rip = r->rip;
	st->rflags = r->rflags;
	if (m != ~0ull) {
		for (unsigned i = 0; i < GPR_COUNT; i++)
			st->gpr[i] &= m;
		st->rip &= m;
		st->rflags &= m;
	}
	st->cr0 = s->cr0;
	st->cr2 = s->cr2;
	st->cr3 = s->cr3;
	st->cr4 = s->cr4;
	st->cr8 = s->cr8;
	st->efer = s->efer;
	st->cs = s->cs.selector;
	st->ds = s->ds.selector;
	st->es = s->es.selector;
	st->fs = s->fs.selector;
	st->gs = s->gs.selector;
	st->ss = s->ss.selector;
}

int kvm_read_xmm(struct kvm_ctx *k, uint64_t xmm[16][2], char *err, size_t errlen)
{
	/* XSAVE layout (SDM Vol. 1 13.4): XMM0-15 at byte 160 of the legacy
	 * area, XSTATE_BV at 512. With the SSE bit clear the registers are in
	 * their init state, zero, whatever the area holds: KVM_GET_FPU reads
	 * the area without that check. */
	memset(xmm, 0, 16 * sizeof(xmm[0]));
	if (!k->have_xsave)
		return 0;
	if (kvm_ioctl(k->vcpu.fd, k->xsave_get, k->xsave_now, err, errlen) < 0)
		return -1;
	const uint8_t *x = (const uint8_t *)k->xsave_now->region;
	uint64_t bv;
	memcpy(&bv, x + 512, 8);
	if (!(bv & 2))
		return 0;
	for (int i = 0; i < 16; i++) {
		memcpy(&xmm[i][0], x + 160 + 16 * i, 8);
		memcpy(&xmm[i][1], x + 168 + 16 * i, 8);
	}
	return 0;
}
