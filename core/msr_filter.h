/* The MSR filter of knob msr-exit: which guest RDMSR/WRMSR the hypervisor
 * hands to user space, and what user space answers. One table for the KVM
 * executor, which installs it (KVM_X86_SET_MSR_FILTER with
 * KVM_MSR_EXIT_REASON_FILTER), and for the reference, which predicts the
 * msr events and their effect from it.
 *
 * A filtered access exits; an access outside the table (or in the other
 * direction of a one-way row) is the hypervisor's as usual. User space
 * either answers (a read gets msr_filter_reply(), a write is taken and
 * dropped: the vCPU's MSR keeps its value) or refuses, and the hypervisor
 * then injects #GP(0) (api.rst, KVM_EXIT_X86_RDMSR: "error"). */
#ifndef EXITDIFF_MSR_FILTER_H
#define EXITDIFF_MSR_FILTER_H

#include <stddef.h>
#include <stdint.h>

enum msr_filter_action {
	MSR_PASS = 0,    /* not filtered: the hypervisor handles it */
	MSR_ANSWER,      /* exits; user space answers */
	MSR_REFUSE,      /* exits; user space refuses: #GP(0) */
};

struct msr_filter_row {
	uint32_t index;
	const char *name;
	uint8_t read, write; /* enum msr_filter_action */
};

extern const struct msr_filter_row msr_filter_rows[];
extern const size_t msr_filter_row_count;

/* What happens to an access of MSR index (write: WRMSR). */
enum msr_filter_action msr_filter_action(uint32_t index, int write);
/* The value user space answers a filtered RDMSR of index with: a tag in
 * the high half, the index in the low half, so a trace shows which read
 * got which answer. */
uint64_t msr_filter_reply(uint32_t index);

#endif
