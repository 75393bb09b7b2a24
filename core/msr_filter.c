/* The msr-exit filter's table (msr_filter.h). */
#include "msr_filter.h"

/* Each row tests one rule of the filter: a read-only exit on an MSR the
 * hypervisor otherwise handles (SYSENTER_CS), a write-only exit (STAR: a
 * read then sees the vCPU's own value, untouched by the dropped write), an
 * MSR user space refuses both ways (TSC_AUX: #GP where the CPU would
 * succeed), and an index no CPU has, which user space emulates (reads
 * answer, writes are refused). Bits 63:32 of the index are never set:
 * RDMSR takes ECX. */
const struct msr_filter_row msr_filter_rows[] = {
	{ 0x00000174u, "sysenter_cs", MSR_ANSWER, MSR_PASS },
	{ 0xc0000081u, "star",        MSR_PASS,   MSR_ANSWER },
	{ 0xc0000103u, "tsc_aux",     MSR_REFUSE, MSR_REFUSE },
	{ 0x00065000u, "user_msr",    MSR_ANSWER, MSR_REFUSE },
};
const size_t msr_filter_row_count = sizeof(msr_filter_rows) / sizeof(msr_filter_rows[0]);

enum msr_filter_action msr_filter_action(uint32_t index, int write)
{
	for (size_t i = 0; i < msr_filter_row_count; i++)
		if (msr_filter_rows[i].index == index)
			return (enum msr_filter_action)(write ? msr_filter_rows[i].write :
							      msr_filter_rows[i].read);
	return MSR_PASS;
}

uint64_t msr_filter_reply(uint32_t index)
{
	return 0x6d73720000000000ull | index; /* "msr" */
}
