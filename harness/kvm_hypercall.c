/*
 * Hypercalls KVM hands to user space (KVM_CAP_EXIT_HYPERCALL,
 * Documentation/virt/kvm/api.rst and x86/hypercalls.rst): the capability's
 * value is the mask of hypercall numbers that may exit; of those this KVM
 * knows KVM_HC_MAP_GPA_RANGE (12), which a confidential guest uses to ask
 * the VMM to convert pages. Enabled for every case where KVM offers it,
 * so the reference (ref_hypercall.c) can model one KVM. Each exit is a
 * hypercall event (number, three arguments); the VMM answers 0 (done),
 * which KVM puts in RAX.
 */
#include <sys/ioctl.h>
#include "kvm_internal.h"

#define KVM_HC_MAP_GPA_RANGE_NR 12

void kvm_hypercall_exit_enable(struct kvm_ctx *k)
{
	k->have_exit_hypercall = 0;
	int mask = ioctl(k->vm.vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_EXIT_HYPERCALL);
	if (mask <= 0 || !(mask & (1 << KVM_HC_MAP_GPA_RANGE_NR)))
		return;
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXIT_HYPERCALL,
				      .args = { 1ull << KVM_HC_MAP_GPA_RANGE_NR } };
	k->have_exit_hypercall = ioctl(k->vm.vm_fd, KVM_ENABLE_CAP, &cap) == 0;
}

int kvm_on_hypercall(struct kvm_ctx *k, struct outcome *out)
{
	struct kvm_run *run = k->vcpu.run;
	struct exit_event e = {
		.kind = EXIT_HYPERCALL,
		.addr = run->hypercall.nr,
		.data = run->hypercall.args[0],
		.cr2 = run->hypercall.args[1],
		.error_code = (uint32_t)run->hypercall.args[2],
	};
	run->hypercall.ret = 0;
	return outcome_push(out, &e) ? KVM_GO_ON : KVM_STOP;
}
