/* The stack: SS:RSP in 64-bit mode (a non-canonical address raises
 * #SS(0), SDM Vol. 3A 6.15); outside it SS:ESP when SS.B=1 and SS:SP when
 * SS.B=0 (SDM Vol. 3A 3.4.5: the B flag of the stack segment selects the
 * stack-pointer size), with the segment's limit checks (#SS(0)). A 16-bit
 * stack pointer wraps inside 64 KiB and leaves bits 63:16 alone.
 * The stack pointer changes only after the memory access succeeded, so a
 * faulting PUSH or POP leaves it as it was (SDM Vol. 2B PUSH/POP). */
#include "ref_internal.h"

static void set_sp(struct ref_cpu *cpu, uint64_t sp)
{
	uint64_t m = ref_stack_mask(cpu);
	cpu->gpr[RSP] = (cpu->gpr[RSP] & ~m) | (sp & m);
	ref_note_gpr_write(cpu, RSP);
}

int ref_push(struct ref_cpu *cpu, uint64_t v, unsigned size)
{
	uint64_t m = ref_stack_mask(cpu);
	uint64_t sp = (cpu->gpr[RSP] - size) & m;
	if (ref_mem_write_off(cpu, SEG_SS, sp, size, v) < 0)
		return -1;
	set_sp(cpu, sp);
	return 0;
}

int ref_pop(struct ref_cpu *cpu, uint64_t *v, unsigned size)
{
	uint64_t m = ref_stack_mask(cpu);
	uint64_t sp = cpu->gpr[RSP] & m;
	if (ref_mem_read_off(cpu, SEG_SS, sp, size, v) < 0)
		return -1;
	set_sp(cpu, sp + size);
	return 0;
}
