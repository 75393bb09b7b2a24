/* Operands of the current instruction, as Capstone decoded them.
 *
 * Memory operands: base + index*scale + disp (SDM Vol. 1 3.7.5). A
 * RIP-relative operand (Capstone base RIP/EIP) is relative to the next
 * instruction. The address-size prefix (67h) makes the effective address
 * 32 bits wide, wrapping at 4 GiB. In 64-bit mode segment bases are 0
 * except FS and GS; other overrides only choose the segment whose fault a
 * non-canonical address raises (SDM Vol. 3A 3.4.4, Vol. 1 3.3.7.1). */
#include "ref_internal.h"

static inline const cs_x86_op *op(const struct ref_cpu *cpu, int i)
{
	return &cpu->insn->detail->x86.operands[i];
}

static inline uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

uint64_t ref_op_ea(const struct ref_cpu *cpu, int i)
{
	const x86_op_mem *m = &op(cpu, i)->mem;
	uint64_t a = (uint64_t)m->disp;
	if (m->base == X86_REG_RIP || m->base == X86_REG_EIP)
		a += cpu->next_rip;
	else if (m->base != X86_REG_INVALID)
		a += ref_get_reg(cpu, m->base);
	if (m->index != X86_REG_INVALID)
		a += ref_get_reg(cpu, m->index) * (uint64_t)m->scale;
	/* Outside 64-bit mode the address size is 16 or 32 bits by CS.D
	 * and 67h (SDM Vol. 1 3.6); the offset wraps at that size. */
	unsigned as = cpu->insn->detail->x86.addr_size;
	if (as == 4)
		a &= 0xffffffffu;
	else if (as == 2)
		a &= 0xffffu;
	return a;
}

unsigned ref_opsize(const struct ref_cpu *cpu, const cs_insn *insn, int stack)
{
	int o16 = dec_has_prefix(insn, 0x66);
	if (cpu->code_bits == 64) {
		/* REX.W wins over 66h (SDM Vol. 2A 2.2.1.2); stack operations
		 * default to 64 bits (SDM Vol. 1 3.6.1). */
		if (insn->detail->x86.rex & 8)
			return 8;
		return o16 ? 2 : stack ? 8 : 4;
	}
	if (cpu->code_bits == 32)
		return o16 ? 2 : 4;
	return o16 ? 4 : 2;
}

enum ref_seg ref_op_seg(const struct ref_cpu *cpu, int i)
{
	const x86_op_mem *m = &op(cpu, i)->mem;
	/* In 64-bit mode ES/CS/SS/DS overrides are ignored (SDM Vol. 3A
	 * 3.2.4): an [RBP]/[RSP] reference stays an SS one, so a non-canonical
	 * address there is #SS(0) (Vol. 1 3.3.7.1), and 36h does not make
	 * [RBX] one (#GP(0)). Measured natively on this host at CPL3:
	 * 26/2E/3E 48 8B 45 00 #SS, 36 48 8B 03 #GP. KVM's emulator honours
	 * the overrides (CPL0 lane: a KVM divergence). */
	const int lm = cpu->code_bits == 64;
	switch (m->segment) {
	case X86_REG_ES: if (lm) break; return SEG_ES;
	case X86_REG_CS: if (lm) break; return SEG_CS;
	case X86_REG_SS: if (lm) break; return SEG_SS;
	case X86_REG_DS: if (lm) break; return SEG_DS;
	case X86_REG_FS: return SEG_FS;
	case X86_REG_GS: return SEG_GS;
	default: break;
	}
	/* Only RSP and RBP themselves (not R12/R13, which share their low
	 * three encoding bits) default to SS; KVM's decoder agrees
	 * (adjust_modrm_seg compares the full register number). */
	int g = ref_reg_gpr(m->base);
	return (g == RSP || g == RBP) ? SEG_SS : SEG_DS;
}

uint64_t ref_op_addr(const struct ref_cpu *cpu, int i)
{
	uint64_t a = ref_op_ea(cpu, i);
	enum ref_seg s = ref_op_seg(cpu, i);
	if (s == SEG_FS || s == SEG_GS)
		a += cpu->seg[s].base;
	return a;
}

unsigned ref_op_size(const struct ref_cpu *cpu, int i)
{
	return op(cpu, i)->size;
}

static int read_op(struct ref_cpu *cpu, int i, int rmw, uint64_t *v)
{
	const cs_x86_op *o = op(cpu, i);
	switch (o->type) {
	case X86_OP_REG:
		*v = ref_get_reg(cpu, o->reg);
		return 0;
	case X86_OP_IMM:
		*v = (uint64_t)o->imm & size_mask(o->size);
		return 0;
	case X86_OP_MEM:
		return (rmw ? ref_mem_read_rmw : ref_mem_read)(
			cpu, ref_op_seg(cpu, i), ref_op_addr(cpu, i), o->size, v);
	default:
		ref_terminal(cpu, EXIT_UNSUPPORTED, 0, cpu->rip);
		return -1;
	}
}

int ref_read_op(struct ref_cpu *cpu, int i, uint64_t *v)
{
	return read_op(cpu, i, 0, v);
}

int ref_read_op_rmw(struct ref_cpu *cpu, int i, uint64_t *v)
{
	return read_op(cpu, i, 1, v);
}

int ref_write_op(struct ref_cpu *cpu, int i, uint64_t v)
{
	const cs_x86_op *o = op(cpu, i);
	switch (o->type) {
	case X86_OP_REG:
		ref_set_reg(cpu, o->reg, v);
		ref_note_gpr_write(cpu, ref_reg_gpr(o->reg));
		return 0;
	case X86_OP_MEM:
		return ref_mem_write(cpu, ref_op_seg(cpu, i), ref_op_addr(cpu, i),
				     o->size, v & size_mask(o->size));
	default:
		/* A handler bug (writing an immediate): end the case as
		 * unsupported rather than invent a result. */
		ref_terminal(cpu, EXIT_UNSUPPORTED, 0, cpu->rip);
		return -1;
	}
}
