/* VMCALL and VMMCALL as a guest of KVM sees them: not the instructions'
 * VMX/SVM meaning (a VM exit the guest cannot observe) but the hypercall
 * ABI KVM documents (Documentation/virt/kvm/x86/hypercalls.rst): the
 * number in RAX, arguments in RBX, RCX, RDX, RSI, the result in RAX, the
 * next instruction after. What the reference models:
 *  - above CPL0 every call returns -KVM_EPERM;
 *  - the calls whose result a guest can predict without a second vCPU
 *    or a host clock (the table); any other number returns -KVM_ENOSYS;
 *  - outside 64-bit mode (real mode included) the number, arguments and
 *    result are 32 bits;
 *  - the other vendor's instruction (VMCALL on AMD, VMMCALL on Intel) is
 *    first rewritten in guest memory to this vendor's, then run: KVM's
 *    default (KVM_X86_QUIRK_FIX_HYPERCALL_INSN, Documentation/virt/kvm/
 *    api.rst), so the code page changes.
 * Calls whose answer depends on the host (clock pairing) or on other vCPUs
 * and an in-kernel APIC (send IPI) end UNSUPPORTED. KVM_HC_MAP_GPA_RANGE
 * exits to user space, as the KVM executor enables it (KVM_CAP_EXIT_
 * HYPERCALL, harness/kvm_hypercall.c): a hypercall event with its three
 * arguments, answered 0; arguments KVM refuses before the exit (a GPA not
 * page-aligned, no pages, a range that wraps) return -KVM_EINVAL with no
 * event. */
#include "ref_internal.h"
#include "ref_sys_priv.h"
#include "ref_vendor.h"

#define KVM_EPERM    1ull
#define KVM_EINVAL   22ull
#define KVM_ENOSYS   1000ull

enum hc_answer { HC_RESULT, HC_UNMODELED, HC_USER_EXIT };

static const struct hypercall {
	uint32_t nr;
	const char *name;
	enum hc_answer answer;
	uint64_t result;
} hypercalls[] = {
	{ 1, "vapic_poll_irq", HC_RESULT, 0 },     /* KVM_HC_VAPIC_POLL_IRQ: no-op */
	{ 5, "kick_cpu", HC_RESULT, 0 },           /* KVM_HC_KICK_CPU: wakes a vCPU, if any */
	{ 9, "clock_pairing", HC_UNMODELED, 0 },   /* host clocksource decides */
	{ 10, "send_ipi", HC_UNMODELED, 0 },       /* counts IPIs to other vCPUs */
	{ 11, "sched_yield", HC_RESULT, 0 },       /* KVM_HC_SCHED_YIELD: a hint */
	{ 12, "map_gpa_range", HC_USER_EXIT, 0 },  /* KVM_HC_MAP_GPA_RANGE: the VMM's */
};

static const struct hypercall *find(uint64_t nr)
{
	for (size_t i = 0; i < sizeof(hypercalls) / sizeof(hypercalls[0]); i++)
		if (hypercalls[i].nr == nr)
			return &hypercalls[i];
	return NULL;
}

/* KVM_HC_MAP_GPA_RANGE (RBX = GPA, RCX = pages, RDX = attributes): the
 * exit, or -KVM_EINVAL where KVM checks the range first. Returns the
 * result for RAX, or -1 when the trace is full. */
static int map_gpa_range(struct ref_cpu *cpu, uint64_t mask, uint64_t *ret)
{
	uint64_t gpa = cpu->gpr[RBX] & mask, npages = cpu->gpr[RCX] & mask;
	uint64_t gfn = gpa >> 12;
	if ((gpa & 0xfff) || !npages || gfn + npages <= gfn) {
		*ret = -KVM_EINVAL;
		return 0;
	}
	struct exit_event e = { .kind = EXIT_HYPERCALL, .addr = 12, .data = gpa, .cr2 = npages,
				.error_code = (uint32_t)(cpu->gpr[RDX] & mask) };
	*ret = 0;
	return ref_event(cpu, &e);
}

static enum ref_status sem_hypercall(struct ref_cpu *cpu, const cs_insn *insn)
{
	/* Real mode too: with hardware virtualization VMCALL and VMMCALL
	 * exit to KVM in any mode (SDM Vol. 3C 25.1.2, APM Vol. 2 15.9),
	 * and KVM answers by the same ABI, 32 bits wide outside 64-bit mode
	 * (CPL is 0). KVM's instruction emulator refuses them in real mode
	 * (#UD): a divergence of a KVM that emulates real mode (kvm_pvm,
	 * corpus/system/hypercall-*-real16.case). */
	/* VMCALL is Intel's, VMMCALL AMD's (ref_vendor.c: an unknown
	 * vendor follows Intel). KVM rewrites the other one in place. */
	int native = (insn->id == X86_INS_VMMCALL) == (cpu->vendor == VENDOR_AMD);
	if (!native) {
		static const uint8_t vmcall[3] = { 0x0f, 0x01, 0xc1 }, vmmcall[3] = { 0x0f, 0x01, 0xd9 };
		const uint8_t *b = insn->id == X86_INS_VMCALL ? vmmcall : vmcall;
		uint64_t v = b[0] | (uint64_t)b[1] << 8 | (uint64_t)b[2] << 16;
		uint64_t la = cpu->seg[SEG_CS].base + cpu->rip;
		if (cpu->code_bits != 64)
			la &= 0xffffffffu;
		if (insn->size != 3)
			return ref_sys_unsupported(cpu, "%s:prefixed", insn->mnemonic);
		if (ref_mem_write(cpu, SEG_CS, la, 3, v) < 0)
			return REF_STOP;
	}
	int wide = cpu->code_bits == 64;
	uint64_t mask = wide ? ~0ull : 0xffffffffull;
	uint64_t nr = cpu->gpr[RAX] & mask, ret;
	if (cpu->cpl != 0) {
		ret = -KVM_EPERM;
	} else {
		const struct hypercall *h = find(nr);
		if (h && h->answer == HC_UNMODELED)
			return ref_sys_unsupported(cpu, "hypercall:%s", h->name);
		ret = h ? h->result : -KVM_ENOSYS;
		if (h && h->answer == HC_USER_EXIT && map_gpa_range(cpu, mask, &ret) < 0)
			return REF_STOP;
	}
	ref_sys_set_gpr(cpu, RAX, ret & mask);
	return REF_NEXT;
}

const struct ref_sem ref_sem_hypercall[] = {
	{ X86_INS_VMCALL, sem_hypercall },
	{ X86_INS_VMMCALL, sem_hypercall },
};
const unsigned ref_sem_hypercall_count = sizeof(ref_sem_hypercall) / sizeof(ref_sem_hypercall[0]);
