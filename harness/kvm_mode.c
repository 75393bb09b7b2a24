/*
 * The vCPU system state of each (mode, knobs) pair, from core/mode.c's
 * mode_env_init(): one kvm_sregs template per pair, built the first time a
 * case uses the pair and kept for the executor's life, indexed by
 * mode | knobs << MODE_KEY_BITS (kvm_internal.h, KVM_TMPL_KEYS). Building one
 * is KVM_SET_SREGS (does KVM accept it?) then KVM_GET_SREGS (does it keep
 * it as given?). KVM stores the same sregs in the sync regs at an exit, so
 * the per-case compare in kvm_state_load() finds them equal and skips
 * re-setting sregs, as for the long64 CPL0 case before.
 *
 * A pair KVM refuses (KVM_SET_SREGS EINVAL: a CR4 bit whose feature the
 * guest CPUID lacks, SDM Vol. 3A 2.5 / KVM's kvm_is_valid_cr4) is cached as
 * refused with the knobs to blame, so every later case of that pair fails
 * at once with the same message and costs no ioctl.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include "kvm_internal.h"
#include "knobs.h"
#include "layout.h"

void kvm_seg_from_desc(struct kvm_segment *s, const struct seg_desc *d)
{
	memset(s, 0, sizeof(*s));
	s->base = d->base;
	s->limit = d->limit;
	s->selector = d->sel;
	s->type = d->type;
	s->present = d->present;
	s->dpl = d->dpl;
	s->db = d->db;
	s->s = d->s;
	s->l = d->l;
	s->g = d->g;
	s->unusable = d->unusable;
}

void kvm_sregs_from_env(struct kvm_sregs *s, const struct mode_env *e)
{
	struct kvm_segment *const segs[SR_COUNT] = {
		[SR_ES] = &s->es, [SR_CS] = &s->cs, [SR_SS] = &s->ss,
		[SR_DS] = &s->ds, [SR_FS] = &s->fs, [SR_GS] = &s->gs,
	};
	for (unsigned i = 0; i < SR_COUNT; i++)
		kvm_seg_from_desc(segs[i], &e->seg[i]);
	kvm_seg_from_desc(&s->tr, &e->tr);
	kvm_seg_from_desc(&s->ldt, &e->ldtr);
	memset(&s->gdt, 0, sizeof(s->gdt));
	memset(&s->idt, 0, sizeof(s->idt));
	s->gdt.base = e->gdt_base;
	s->gdt.limit = e->gdt_limit;
	s->idt.base = e->idt_base;
	s->idt.limit = e->idt_limit;
	s->cr0 = e->cr0;
	s->cr2 = 0;
	s->cr3 = e->cr3;
	s->cr4 = e->cr4;
	s->cr8 = 0;
	s->efer = e->efer;
	memset(s->interrupt_bitmap, 0, sizeof(s->interrupt_bitmap));
}

/* Sets the template's sregs in the vCPU and reads back what KVM kept.
 * Returns 0, or the errno of KVM_SET_SREGS. */
static int tmpl_try(struct kvm_ctx *k, struct kvm_tmpl *t, enum cpu_mode m, uint32_t knobs)
{
	struct mode_env env;
	mode_env_init(&env, m, knobs);
	t->sregs = k->sregs_kvm; /* apic_base and the rest KVM chose */
	kvm_sregs_from_env(&t->sregs, &env);
	t->rip = env.rip;
	t->rflags = env.rflags;
	t->cpl = env.cpl;
	t->paging = env.paging;
	if (t->sregs.cr4 & k->test_refuse_cr4)
		return EINVAL; /* a test standing in for a KVM that lacks them */
	if (ioctl(k->vcpu.fd, KVM_SET_SREGS, &t->sregs) < 0)
		return errno ? errno : EINVAL;
	/* The vCPU now holds these sregs, whatever the sync area says. */
	k->sync_fresh = 0;
	struct kvm_sregs seen;
	if (ioctl(k->vcpu.fd, KVM_GET_SREGS, &seen) < 0)
		return errno ? errno : EIO;
	/* KVM may take sregs and then report something else: kvm_pvm takes
	 * CR0.PG without CR4.PAE, reports CR0 without PG and shuts the vCPU
	 * down at the next KVM_RUN (docs/harness.md). The template stays
	 * what the mode asks for, so every case of the pair sets it again
	 * and meets the same fate: outcomes never depend on the previous
	 * case. */
	if (memcmp(&seen, &t->sregs, sizeof(seen)) != 0) {
		t->altered = 1;
		t->seen_cr0 = seen.cr0;
		t->seen_cr4 = seen.cr4;
		t->seen_efer = seen.efer;
	}
	return 0;
}

/* Names in buf the knobs of the pair that KVM refuses on their own
 * (each tried alone in the same mode), "" when only the combination is
 * refused. */
static void blame_knobs(struct kvm_ctx *k, enum cpu_mode m, uint32_t knobs,
			char *buf, size_t len)
{
	uint32_t bad = 0;
	for (unsigned i = 0; i < knob_def_count; i++) {
		uint32_t bit = knob_defs[i].bit;
		if (!(knobs & bit) || knobs == bit)
			continue;
		const struct kvm_tmpl *one = kvm_tmpl_get(k, m, bit);
		if (one && one->refused)
			bad |= bit;
	}
	if (!bad)
		bad = knobs;
	knobs_format(bad, buf, len);
}

/* What kvm_tmpl_get() answers when it cannot make a template at all. */
static const struct kvm_tmpl tmpl_out_of_range = {
	.refused = EINVAL, .why = "mode or knobs out of range for a vCPU template",
};
static const struct kvm_tmpl tmpl_no_memory = {
	.refused = ENOMEM, .why = "out of memory for a vCPU template",
};

const struct kvm_tmpl *kvm_tmpl_get(struct kvm_ctx *k, enum cpu_mode m, uint32_t knobs)
{
	uint32_t key = (uint32_t)m | knobs << MODE_KEY_BITS;
	if ((unsigned)m >= MODE_COUNT || knobs > KNOBS_KNOWN)
		return &tmpl_out_of_range;
	if (k->tmpl[key])
		return k->tmpl[key];
	struct kvm_tmpl *t = calloc(1, sizeof(*t));
	if (!t)
		return &tmpl_no_memory;
	int e = tmpl_try(k, t, m, knobs);
	t->key = key;
	k->tmpl[key] = t;
	k->tmpl_builds++;
	if (!e) {
		/* kvm_case_load runs the settle guest before the case. */
		if (t->altered)
			k->settle_due = 1;
		return t;
	}
	t->refused = e;
	char names[96] = "";
	blame_knobs(k, m, knobs, names, sizeof(names));
	/* A cut message still names the knobs first: checking the length
	 * is what tells the compiler truncation was thought about. */
	if (snprintf(t->why, sizeof(t->why),
		     "KVM refuses %s in mode %s (KVM_SET_SREGS: %s; CR0=0x%llx CR4=0x%llx EFER=0x%llx)",
		     names[0] ? names : "this environment", mode_name(m), strerror(e),
		     (unsigned long long)t->sregs.cr0, (unsigned long long)t->sregs.cr4,
		     (unsigned long long)t->sregs.efer) >= (int)sizeof(t->why))
		t->why[sizeof(t->why) - 1] = 0;
	return t;
}

void kvm_tmpl_reset(struct kvm_ctx *k)
{
	for (unsigned i = 0; i < KVM_TMPL_KEYS; i++) {
		free(k->tmpl[i]);
		k->tmpl[i] = NULL;
	}
	k->cur = NULL;
}
