/* The wire between exitdiff and the batch image (tmk/batch/rt_batch.c
 * documents both directions). Pure functions: no process, no I/O. */
#ifndef EXITDIFF_VMM_PROTO_H
#define EXITDIFF_VMM_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include "case_bin.h"
#include "executor.h"

/* A frame: header, the zero-run-coded case (at worst twice its bytes), sum. */
#define VMM_FRAME_MAX (2 * CASE_BIN_MAX + 7)
#define VMM_MEM_RUNS 64

/* Encodes c as one frame bounded by pit PIT ticks. Returns its length. */
size_t vmm_frame(const struct test_case *c, uint16_t pit, uint8_t *buf, size_t cap);
/* The PIT count for a budget in us (at least 1, at most 0xffff). */
uint16_t vmm_pit_count(uint32_t budget_us);

/* One case's record, as its lines arrive. */
struct vmm_rec {
	int have_o;
	uint64_t o[12];            /* the O line's fields, in order */
	uint64_t gpr[16];
	uint16_t gpr_set;          /* GPRs a G line gave */
	uint64_t xmm[16][2];
	uint8_t mem[LAYOUT_CMP_SIZE];
	uint8_t mem_set[LAYOUT_CMP_SIZE];
	char refused[160];         /* S line: the guest could not run it */
	char fault[160];           /* F line: the runtime's entry faulted */
};
enum { VMM_REC_MORE = 0, VMM_REC_DONE = 1 };
void vmm_rec_init(struct vmm_rec *r);
/* Takes one line (no newline). Returns VMM_REC_MORE, VMM_REC_DONE (E, S
 * or F seen), or -1 when the line is not of the record's form (why in
 * err). */
int vmm_rec_line(struct vmm_rec *r, const char *line, char *err, size_t errlen);
/* The outcome of case c from a complete record (an S line: UNSUPPORTED
 * with "vmm:" and the reason). unobserved goes into out->unobserved. */
void vmm_rec_outcome(const struct vmm_rec *r, const struct test_case *c, uint32_t unobserved,
		     struct outcome *out);

/* A "C leaf sub eax ebx ecx edx" line into t. Returns 1 when it was one,
 * 0 when the line is something else. */
int vmm_cpuid_line(const char *line, struct cpuid_table *t);

#endif
