/* The stack in 64-bit mode: RSP-relative, SS segment (a non-canonical
 * address raises #SS(0), SDM Vol. 3A 6.15), operand size 8 or 2 (66h).
 * RSP changes only after the memory access succeeded, so a faulting PUSH or
 * POP leaves RSP as it was (SDM Vol. 2B PUSH/POP, "Operation"). */
#include "ref_internal.h"

int ref_push(struct ref_cpu *cpu, uint64_t v, unsigned size)
{
	uint64_t rsp = cpu->gpr[RSP] - size;
	if (ref_mem_write(cpu, SEG_SS, rsp, size, v) < 0)
		return -1;
	cpu->gpr[RSP] = rsp;
	ref_note_gpr_write(cpu, RSP);
	return 0;
}

int ref_pop(struct ref_cpu *cpu, uint64_t *v, unsigned size)
{
	if (ref_mem_read(cpu, SEG_SS, cpu->gpr[RSP], size, v) < 0)
		return -1;
	cpu->gpr[RSP] += size;
	ref_note_gpr_write(cpu, RSP);
	return 0;
}
