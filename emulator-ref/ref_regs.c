/* General-purpose register access by Capstone register id.
 *
 * One table maps every 8/16/32/64-bit GPR name Capstone can report to
 * (GPR index, size, high-byte flag). Writes follow SDM Vol. 1 3.4.1.1:
 * a 32-bit destination zero-extends into the full 64-bit register, 8- and
 * 16-bit destinations leave the other bits unchanged. AH/BH/CH/DH name bits
 * 15:8 of RAX..RBX (only encodable without a REX prefix; Capstone already
 * reports SPL/BPL/SIL/DIL when a REX prefix is present). */
#include "ref_internal.h"

struct ref_reg_info {
	int8_t gpr;      /* enum gpr, -1 = not a GPR */
	uint8_t size;    /* bytes */
	uint8_t high;    /* 1: bits 15:8 */
};

#define R(id, g, s, h) [X86_REG_##id] = { g, s, h }

static const struct ref_reg_info reg_table[X86_REG_ENDING] = {
	R(RAX, RAX, 8, 0), R(EAX, RAX, 4, 0), R(AX, RAX, 2, 0), R(AL, RAX, 1, 0), R(AH, RAX, 1, 1),
	R(RCX, RCX, 8, 0), R(ECX, RCX, 4, 0), R(CX, RCX, 2, 0), R(CL, RCX, 1, 0), R(CH, RCX, 1, 1),
	R(RDX, RDX, 8, 0), R(EDX, RDX, 4, 0), R(DX, RDX, 2, 0), R(DL, RDX, 1, 0), R(DH, RDX, 1, 1),
	R(RBX, RBX, 8, 0), R(EBX, RBX, 4, 0), R(BX, RBX, 2, 0), R(BL, RBX, 1, 0), R(BH, RBX, 1, 1),
	R(RSP, RSP, 8, 0), R(ESP, RSP, 4, 0), R(SP, RSP, 2, 0), R(SPL, RSP, 1, 0),
	R(RBP, RBP, 8, 0), R(EBP, RBP, 4, 0), R(BP, RBP, 2, 0), R(BPL, RBP, 1, 0),
	R(RSI, RSI, 8, 0), R(ESI, RSI, 4, 0), R(SI, RSI, 2, 0), R(SIL, RSI, 1, 0),
	R(RDI, RDI, 8, 0), R(EDI, RDI, 4, 0), R(DI, RDI, 2, 0), R(DIL, RDI, 1, 0),
	R(R8, R8, 8, 0),   R(R8D, R8, 4, 0),   R(R8W, R8, 2, 0),   R(R8B, R8, 1, 0),
	R(R9, R9, 8, 0),   R(R9D, R9, 4, 0),   R(R9W, R9, 2, 0),   R(R9B, R9, 1, 0),
	R(R10, R10, 8, 0), R(R10D, R10, 4, 0), R(R10W, R10, 2, 0), R(R10B, R10, 1, 0),
	R(R11, R11, 8, 0), R(R11D, R11, 4, 0), R(R11W, R11, 2, 0), R(R11B, R11, 1, 0),
	R(R12, R12, 8, 0), R(R12D, R12, 4, 0), R(R12W, R12, 2, 0), R(R12B, R12, 1, 0),
	R(R13, R13, 8, 0), R(R13D, R13, 4, 0), R(R13W, R13, 2, 0), R(R13B, R13, 1, 0),
	R(R14, R14, 8, 0), R(R14D, R14, 4, 0), R(R14W, R14, 2, 0), R(R14B, R14, 1, 0),
	R(R15, R15, 8, 0), R(R15D, R15, 4, 0), R(R15W, R15, 2, 0), R(R15B, R15, 1, 0),
};
#undef R

/* Entries left out of the initializer are {0,0,0}: gpr 0 would alias RAX,
 * so a GPR is recognised by size != 0. */
static inline const struct ref_reg_info *info(x86_reg r)
{
	if ((unsigned)r >= X86_REG_ENDING || reg_table[r].size == 0)
		return NULL;
	return &reg_table[r];
}

int ref_reg_gpr(x86_reg r)
{
	const struct ref_reg_info *i = info(r);
	return i ? i->gpr : -1;
}

unsigned ref_reg_size(x86_reg r)
{
	const struct ref_reg_info *i = info(r);
	return i ? i->size : 0;
}

uint64_t ref_get_reg(const struct ref_cpu *cpu, x86_reg r)
{
	const struct ref_reg_info *i = info(r);
	if (!i)
		return 0;
	uint64_t v = cpu->gpr[i->gpr];
	if (i->high)
		return (v >> 8) & 0xff;
	switch (i->size) {
	case 1: return v & 0xff;
	case 2: return v & 0xffff;
	case 4: return v & 0xffffffffu;
	default: return v;
	}
}

void ref_set_reg(struct ref_cpu *cpu, x86_reg r, uint64_t v)
{
	const struct ref_reg_info *i = info(r);
	if (!i)
		return;
	uint64_t *g = &cpu->gpr[i->gpr];
	if (i->high) {
		*g = (*g & ~0xff00ull) | ((v & 0xff) << 8);
		return;
	}
	switch (i->size) {
	case 1: *g = (*g & ~0xffull) | (v & 0xff); break;
	case 2: *g = (*g & ~0xffffull) | (v & 0xffff); break;
	case 4: *g = v & 0xffffffffu; break; /* zero-extends: SDM Vol. 1 3.4.1.1 */
	default: *g = v; break;
	}
	/* A full write makes an unpredictable register (RDTSC's) known again. */
	if (i->size >= 4 && cpu->out)
		cpu->out->undefined_gprs &= ~(1u << i->gpr);
}
