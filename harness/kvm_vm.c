/* The executor's VM, brought up through the KVM library (kvm_lib.h): guest
 * RAM from the layout in two memslots, the vCPU with CPUID, the captured
 * pristine state and XCR0; the system state of each mode is made in
 * kvm_mode.c. Everything here runs once per executor (or when the VM is
 * rebuilt after a failure), never per case. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "kvm_internal.h"
#include "layout.h"

#define KVM_SYNC_NEEDED (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | KVM_SYNC_X86_EVENTS)

/* MSRs captured at init and restored after a case that may have written
 * them (core/carried_msrs.def), and KVM's own. */
static const uint32_t saved_msrs[] = {
#define X(msr, name) msr,
#include "carried_msrs.def"
#undef X
	/* KVM's paravirtual MSRs that point KVM at guest memory: enabled by
	 * a case (kvmclock, steal time, async PF, PV EOI), KVM goes on
	 * writing there at every vCPU entry of later cases, into the pages
	 * layout_clear_holes() has just cleared. Restoring them (off)
	 * stops that. Linux's arch/x86/include/uapi/asm/kvm_para.h. */
	0x4b564d01, /* MSR_KVM_SYSTEM_TIME_NEW */
	0x4b564d02, /* MSR_KVM_ASYNC_PF_EN */
	0x4b564d03, /* MSR_KVM_STEAL_TIME */
	0x4b564d04, /* MSR_KVM_PV_EOI_EN */
	0x00000012, /* MSR_KVM_SYSTEM_TIME */
};
_Static_assert(sizeof(saved_msrs) / sizeof(saved_msrs[0]) <= KVM_SAVED_MSRS_MAX,
	       "KVM_SAVED_MSRS_MAX holds every saved MSR");

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int setup_cpuid(struct kvm_ctx *k, char *err, size_t errlen)
{
	if (!k->cpuid2 && !(k->cpuid2 = kvm_cpuid_supported(&k->vm, err, errlen)))
		return -1;
	return kvm_vcpu_set_cpuid(&k->vcpu, k->cpuid2, err, errlen);
}

/* Captures what kvm_restore_extra() puts back. Only MSRs KVM can read are
 * kept; the others could not be changed by the guest either (#GP). */
static void capture_extra(struct kvm_ctx *k)
{
	if (!k->msrs0)
		k->msrs0 = calloc(1, sizeof(struct kvm_msrs) +
				  KVM_SAVED_MSRS_MAX * sizeof(struct kvm_msr_entry));
	struct kvm_msrs *m = k->msrs0;
	if (m)
		m->nmsrs = 0;
	/* One MSR per KVM_GET_MSRS: it stops at the first it cannot read. */
	uint64_t one_buf[(sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)) / 8 + 1];
	struct kvm_msrs *one = (struct kvm_msrs *)one_buf;
	for (size_t i = 0; m && i < sizeof(saved_msrs) / sizeof(saved_msrs[0]); i++) {
		memset(one_buf, 0, sizeof(one_buf));
		one->nmsrs = 1;
		one->entries[0].index = saved_msrs[i];
		if (ioctl(k->vcpu.fd, KVM_GET_MSRS, one) == 1)
			m->entries[m->nmsrs++] = one->entries[0];
	}
	k->have_xcrs = kvm_vm_cap(&k->vm, KVM_CAP_XCRS) > 0 &&
		       ioctl(k->vcpu.fd, KVM_GET_XCRS, &k->xcrs0) == 0;
	k->have_debugregs = kvm_vm_cap(&k->vm, KVM_CAP_DEBUGREGS) > 0 &&
			    ioctl(k->vcpu.fd, KVM_GET_DEBUGREGS, &k->dbg0) == 0;

	/* XSAVE2 reports the real size (may exceed 4 KiB with AMX). */
	int size = kvm_vm_cap(&k->vm, KVM_CAP_XSAVE2);
	if (size < (int)sizeof(struct kvm_xsave))
		size = sizeof(struct kvm_xsave);
	free(k->xsave0);
	k->xsave0 = calloc(1, (size_t)size);
	k->have_xsave = 0;
	if (k->xsave0 && kvm_vm_cap(&k->vm, KVM_CAP_XSAVE) > 0) {
		unsigned long req = size > (int)sizeof(struct kvm_xsave) ?
				    KVM_GET_XSAVE2 : KVM_GET_XSAVE;
		k->have_xsave = ioctl(k->vcpu.fd, req, k->xsave0) == 0;
		k->xsave_get = req;
	}
	if (k->have_xsave) {
		/* Make the restored XMM registers explicit zeros, with the SSE
		 * (and x87) bits of XSTATE_BV set. Left in their init state
		 * (bit clear), KVM_SET_XSAVE does not touch the legacy XMM area,
		 * and KVM_GET_FPU went on reporting the XMM values of an earlier
		 * case although the guest saw zeros (measured under kvm_pvm). */
		uint8_t *x = (uint8_t *)k->xsave0->region;
		memset(x + 160, 0, 256);
		uint64_t bv;
		memcpy(&bv, x + 512, 8);
		bv |= 3;
		memcpy(x + 512, &bv, 8);
	}
	free(k->xsave_now);
	k->xsave_now = calloc(1, (size_t)size);
	if (!k->xsave_now)
		k->have_xsave = 0;
}

/* XCR0 as core/mode.c says every mode starts (x87 only, the reset value,
 * SDM Vol. 1 13.3). KVM's default is the same here, so this sets nothing;
 * if a KVM starts otherwise, the restored copy (xcrs0) is fixed too. The
 * guest can only read XCR0 with XGETBV: at CPL0 KVM's emulator does not
 * implement it, at CPL3 under kvm_pvm it runs natively and reads the
 * host's value (docs/harness.md). */
static int set_xcr0(struct kvm_ctx *k, char *err, size_t errlen)
{
	struct mode_env env;
	mode_env_init(&env, MODE_LONG64, 0);
	if (!k->have_xcrs)
		return 0;
	for (uint32_t i = 0; i < k->xcrs0.nr_xcrs; i++) {
		struct kvm_xcr *x = &k->xcrs0.xcrs[i];
		if (x->xcr != 0 || x->value == env.xcr0)
			continue;
		x->value = env.xcr0;
		if (kvm_ioctl_what(k->vcpu.fd, KVM_SET_XCRS, &k->xcrs0, err, errlen,
				   "XCR0=0x%llx", (unsigned long long)env.xcr0) < 0)
			return -1;
	}
	return 0;
}

static int vcpu_create(struct kvm_ctx *k, char *err, size_t errlen)
{
	if (kvm_vcpu_create(&k->vm, &k->vcpu, err, errlen) < 0 || setup_cpuid(k, err, errlen) < 0 ||
	    kvm_ioctl(k->vcpu.fd, KVM_GET_SREGS, &k->sregs_kvm, err, errlen) < 0)
		return -1;
	/* Long mode at CPL0 (SDM Vol. 3A 9.8.5: CR0.PG with EFER.LME and
	 * CR4.PAE gives IA-32e mode; CS.L=1 selects 64-bit code), from
	 * core/mode.c like every other mode; the template is read back, so
	 * the per-case copy is exactly what KVM accepts. */
	kvm_tmpl_reset(k);
	const struct kvm_tmpl *t = kvm_tmpl_get(k, MODE_LONG64, 0);
	if (t->refused)
		return fail(err, errlen, "long mode: %s", t->why);
	k->sregs0 = t->sregs;
	k->cur = t;
	k->mode = MODE_LONG64;

	memset(&k->regs0, 0, sizeof(k->regs0));
	k->regs0.rip = LAYOUT_CODE;
	k->regs0.rsp = LAYOUT_STACK_TOP;
	k->regs0.rflags = INITIAL_RFLAGS;
	if (kvm_ioctl(k->vcpu.fd, KVM_SET_REGS, &k->regs0, err, errlen) < 0 ||
	    kvm_ioctl(k->vcpu.fd, KVM_GET_VCPU_EVENTS, &k->events0, err, errlen) < 0)
		return -1;
	capture_extra(k);
	if (set_xcr0(k, err, errlen) < 0)
		return -1;

	if (k->have_sync) {
		k->vcpu.run->kvm_valid_regs = KVM_SYNC_NEEDED;
		k->vcpu.run->kvm_dirty_regs = 0;
	}
	k->sync_fresh = 0;
	return 0;
}

/*
 * A new vCPU needs a new VM: closing a vCPU fd does not free its id, KVM
 * frees vCPUs only when their VM goes (api.rst 4.7 KVM_CREATE_VCPU; a
 * second KVM_CREATE_VCPU with id 0 on the same VM fails with EEXIST,
 * which is how a campaign once lost its executor for good). So the whole
 * VM goes, and kvm_vm_open brings up the next one with the same code as
 * the first.
 */
int kvm_vm_rebuild(struct kvm_ctx *k, char *err, size_t errlen)
{
	kvm_vm_close(k);
	k->vm_rebuilds++;
	k->test_vcpu_dead = 0;
	k->flush_left = 0; /* a new vCPU has nothing pending */
	return kvm_vm_open(k, err, errlen);
}

int kvm_vm_open(struct kvm_ctx *k, char *err, size_t errlen)
{
	k->vcpu.fd = -1;
	k->vcpu.run = NULL;
	if (kvm_vm_create(&k->vm, err, errlen) < 0)
		return -1;
	k->ro_slot = kvm_vm_cap(&k->vm, KVM_CAP_READONLY_MEM) > 0;
	int sync = kvm_vm_cap(&k->vm, KVM_CAP_SYNC_REGS);
	k->have_sync = sync > 0 && (sync & KVM_SYNC_NEEDED) == KVM_SYNC_NEEDED;
	if (getenv("EXITDIFF_KVM_NO_SYNC_REGS"))
		k->have_sync = 0; /* lets tests exercise the ioctl fallback */

	void *ram = mmap(NULL, LAYOUT_RAM_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED)
		return fail(err, errlen, "mmap of %u bytes of guest RAM: %s",
			    LAYOUT_RAM_SIZE, strerror(errno));
	k->ram = ram;
	layout_build(k->ram);
	if (!k->ro_slot) {
		/* Without read-only memory KVM itself could write the system
		 * part; kvm_state_load() restores it from this copy. */
		k->pristine_sys = malloc(LAYOUT_RW_BASE);
		if (!k->pristine_sys)
			return fail(err, errlen, "out of memory");
		memcpy(k->pristine_sys, k->ram, LAYOUT_RW_BASE);
	}

	if (kvm_memslot_set(&k->vm, 0, 0, k->ram, LAYOUT_RW_BASE,
			    k->ro_slot ? KVM_MEM_READONLY : 0, err, errlen) < 0 ||
	    kvm_memslot_set(&k->vm, 1, LAYOUT_RW_BASE, k->ram + LAYOUT_RW_BASE,
			    LAYOUT_RAM_SIZE - LAYOUT_RW_BASE, 0, err, errlen) < 0)
		return -1;
	/* Intel needs a TSS region for real mode only; harmless elsewhere, so
	 * set it high above everything the layout uses and ignore failure. */
	(void)ioctl(k->vm.vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000ul);
	kvm_msr_exit_enable(k);
	kvm_hypercall_exit_enable(k);

	return vcpu_create(k, err, errlen);
}

void kvm_vm_close(struct kvm_ctx *k)
{
	kvm_vcpu_destroy(&k->vcpu);
	kvm_tmpl_reset(k);
	kvm_vm_destroy(&k->vm);
	if (k->ram)
		munmap(k->ram, LAYOUT_RAM_SIZE);
	k->ram = NULL;
	free(k->pristine_sys);
	free(k->cpuid2);
	free(k->xsave0);
	free(k->xsave_now);
	free(k->msrs0);
	k->msrs0 = NULL;
	k->pristine_sys = NULL;
	k->cpuid2 = NULL;
	k->xsave0 = NULL;
	k->xsave_now = NULL;
}
