/* Knob msr-exit on KVM: the VM's MSR filter (core/msr_filter.h) and the
 * exits it causes. User-space MSR exits are enabled once per VM for the
 * FILTER reason only (an MSR KVM does not know still #GPs in KVM).
 *
 * The filter is installed for the first case with the knob and then left
 * in place: KVM_X86_SET_MSR_FILTER waits for an SRCU grace period, ~1-4 ms
 * here (measured: installing and removing it around each msr-exit case,
 * 6% of a default campaign's cases, took 42% of a worker's time). A case
 * without the knob runs under it as it would without it, except that an
 * access to a filtered MSR exits to user space: then (kvm_on_msr) the run
 * stops, the filter is removed and the case runs again from its reset
 * (kvm_exec_case), so its outcome is the one without the filter. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include "kvm_internal.h"
#include "msr_filter.h"

void kvm_msr_exit_enable(struct kvm_ctx *k)
{
	k->have_msr_exit = 0;
	k->msr_filter_on = 0;
	k->msr_filter_want = 0;
	k->msr_filter_off_now = 0;
	/* The check answers 1, not the reasons: enabling says which hold. */
	if (ioctl(k->vm.vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_USER_SPACE_MSR) <= 0 ||
	    ioctl(k->vm.vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_MSR_FILTER) <= 0)
		return;
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X86_USER_SPACE_MSR,
				      .args = { KVM_MSR_EXIT_REASON_FILTER } };
	k->have_msr_exit = ioctl(k->vm.vm_fd, KVM_ENABLE_CAP, &cap) == 0;
}

/* One range per filtered direction of each row, its only bit clear:
 * denied, so KVM hands the access to user space. */
static int filter_install(struct kvm_ctx *k, int on)
{
	static uint8_t denied; /* a one-MSR bitmap, bit 0 clear */
	struct kvm_msr_filter f;
	memset(&f, 0, sizeof(f));
	f.flags = KVM_MSR_FILTER_DEFAULT_ALLOW;
	unsigned n = 0;
	for (size_t i = 0; on && i < msr_filter_row_count; i++) {
		const struct msr_filter_row *r = &msr_filter_rows[i];
		uint32_t dirs = (r->read != MSR_PASS ? KVM_MSR_FILTER_READ : 0) |
				(r->write != MSR_PASS ? KVM_MSR_FILTER_WRITE : 0);
		if (!dirs || n >= KVM_MSR_FILTER_MAX_RANGES)
			continue;
		f.ranges[n++] = (struct kvm_msr_filter_range){
			.flags = dirs, .nmsrs = 1, .base = r->index, .bitmap = &denied };
	}
	return ioctl(k->vm.vm_fd, KVM_X86_SET_MSR_FILTER, &f);
}

int kvm_msr_filter_apply(struct kvm_ctx *k, const struct test_case *c, char *err, size_t errlen)
{
	int want = (c->knobs & KNOB_MSR_EXIT) != 0;
	k->msr_filter_want = want;
	/* Left on for a case without the knob (see the top). */
	if (want == k->msr_filter_on || (!want && !k->msr_filter_off_now))
		return 0;
	if (want && !k->have_msr_exit) {
		snprintf(err, errlen, "case %s: knob msr-exit: this KVM cannot hand MSR accesses "
			 "to user space (KVM_CAP_X86_USER_SPACE_MSR with the FILTER reason)", c->id);
		return KVM_CASE_REFUSED;
	}
	if (filter_install(k, want) < 0) {
		k->fail_op = "KVM_X86_SET_MSR_FILTER";
		k->fail_errno = errno;
		snprintf(err, errlen, "case %s: KVM_X86_SET_MSR_FILTER (%s): %s", c->id,
			 want ? "install" : "remove", strerror(errno));
		return -1;
	}
	k->msr_filter_on = want;
	k->msr_filter_off_now = 0;
	if (!want)
		k->msr_filter_removals++;
	return 0;
}

int kvm_on_msr(struct kvm_ctx *k, struct outcome *out)
{
	struct kvm_run *run = k->vcpu.run;
	int write = run->exit_reason == KVM_EXIT_X86_WRMSR;
	if (!k->msr_filter_want) {
		/* The filter left on met a case without the knob: this run
		 * does not count. The access fails (error set) when KVM
		 * completes it; the case runs again without the filter. */
		run->msr.error = 1;
		k->msr_filter_off_now = 1;
		struct exit_event e = { .kind = EXIT_OTHER, .addr = run->exit_reason };
		outcome_push(out, &e);
		return 0;
	}
	/* Only filtered accesses exit (the FILTER reason alone is enabled);
	 * one the table does not name is refused, as a VMM without a handler
	 * would. */
	enum msr_filter_action a = msr_filter_action(run->msr.index, write);
	int refuse = a != MSR_ANSWER;
	if (!write)
		run->msr.data = refuse ? 0 : msr_filter_reply(run->msr.index);
	run->msr.error = (uint8_t)refuse;
	struct exit_event e = { .kind = EXIT_MSR, .dir = (uint8_t)(write ? DIR_OUT : DIR_IN),
				.addr = run->msr.index, .data = run->msr.data };
	return outcome_push(out, &e) ? 1 : 0;
}
