/* code_walk.h: a linear sweep, then a descent from every direct branch
 * target, over a case's code. */
#include <stdlib.h>
#include <string.h>
#include "case.h"
#include "code_walk.h"
#include "layout.h"

/* The target of a relative JMP, Jcc, CALL, LOOP or JRCXZ, as an offset
 * into the code, or -1. */
static long branch_target(const cs_insn *in, uint32_t len)
{
	const cs_detail *d = in->detail;
	int rel = 0;
	for (unsigned g = 0; g < d->groups_count; g++)
		rel |= d->groups[g] == X86_GRP_BRANCH_RELATIVE;
	if (!rel || d->x86.op_count != 1 || d->x86.operands[0].type != X86_OP_IMM)
		return -1;
	int64_t off = d->x86.operands[0].imm - (int64_t)LAYOUT_CODE;
	return off >= 0 && off < (int64_t)len ? (long)off : -1;
}

int code_walk64(const uint8_t *code, uint32_t len, code_walk_fn fn, void *ctx)
{
	struct dec dec;
	char err[160];
	if (len > CASE_CODE_MAX)
		len = CASE_CODE_MAX;
	if (dec_open(&dec, err, sizeof(err)) < 0)
		return -1;
	cs_insn *in = dec.insn;
	uint8_t *seen = calloc(1, len + 1);
	long *work = malloc((len + 1) * sizeof(*work));
	/* The code as the CPU fetches it: the page's HLT padding follows
	 * (layout_reset_rw), so an instruction cut short at the end of the
	 * case's bytes ends in those (C4 41 39 D3 | F4 is VPSRLQ). */
	uint8_t *img = malloc((size_t)len + 16);
	if (!seen || !work || !img) {
		free(seen);
		free(work);
		free(img);
		dec_close(&dec);
		return -1;
	}
	memcpy(img, code, len);
	memset(img + len, 0xf4, 16);
	unsigned nwork = 0;
	int stop = 0, sweeping = 1;
	work[nwork++] = 0;
	while (nwork && !stop) {
		long off = work[--nwork];
		while (off >= 0 && (uint32_t)off < len && !stop) {
			if (!sweeping && seen[off])
				break;
			seen[off] = 1;
			if (!dec_one(&dec, 64, img + off, len + 15 - (uint32_t)off,
				     LAYOUT_CODE + (uint64_t)off, in)) {
				/* Not an instruction Capstone knows: the CPU
				 * decides (#UD, or something new). */
				off++;
				continue;
			}
			stop = fn(in, ctx);
			long target = branch_target(in, len);
			if (target >= 0 && !seen[target] && nwork < len)
				work[nwork++] = target;
			off += in->size;
			if (!sweeping && (in->id == X86_INS_JMP || in->id == X86_INS_RET))
				break;
		}
		sweeping = 0;
	}
	free(seen);
	free(work);
	free(img);
	dec_close(&dec);
	return stop;
}
