/* RFLAGS services, condition codes and writer notes.
 *
 * Undefined flags (SDM Vol. 1 3.4.3 and each instruction's "Flags
 * Affected") are tracked as a mask: an instruction that leaves a flag
 * undefined sets its bit, one that defines it clears the bit. The value the
 * reference leaves in an undefined flag is whatever it was; comparisons
 * mask it. */
#include "ref_internal.h"

/* Copies the current mnemonic into a writer slot: bounded, zero-padded so
 * outcomes stay byte-for-byte deterministic. */
static void note(char dst[16], const struct ref_cpu *cpu)
{
	const char *m = cpu->insn ? cpu->insn->mnemonic : "";
	unsigned i = 0;
	for (; i < 15 && m[i]; i++)
		dst[i] = m[i];
	for (; i < 16; i++)
		dst[i] = 0;
}

void ref_note_gpr_write(struct ref_cpu *cpu, int gpr)
{
	if (gpr >= 0 && gpr < GPR_COUNT)
		note(cpu->out->writer_gpr[gpr], cpu);
}

void ref_note_mem_write(struct ref_cpu *cpu)
{
	note(cpu->out->writer_mem, cpu);
}

void ref_note_xmm_write(struct ref_cpu *cpu)
{
	note(cpu->out->writer_xmm, cpu);
}

void ref_set_flags(struct ref_cpu *cpu, uint64_t mask, uint64_t values)
{
	cpu->rflags = (cpu->rflags & ~mask) | (values & mask);
	cpu->undefined_flags &= ~mask;
	note(cpu->out->writer_flags, cpu);
}

void ref_undefine_flags(struct ref_cpu *cpu, uint64_t mask)
{
	cpu->undefined_flags |= mask;
	note(cpu->out->writer_flags, cpu);
}

/* SDM Vol. 1 appendix B, table B-1: the condition is the even code's test,
 * the odd code is its negation. */
int ref_cond(const struct ref_cpu *cpu, unsigned cc)
{
	const uint64_t f = cpu->rflags;
	const int cf = !!(f & RFLAGS_CF), pf = !!(f & RFLAGS_PF);
	const int zf = !!(f & RFLAGS_ZF), sf = !!(f & RFLAGS_SF);
	const int of = !!(f & RFLAGS_OF);
	int r;
	switch ((cc >> 1) & 7) {
	case 0: r = of; break;                  /* O */
	case 1: r = cf; break;                  /* B */
	case 2: r = zf; break;                  /* E */
	case 3: r = cf || zf; break;            /* BE */
	case 4: r = sf; break;                  /* S */
	case 5: r = pf; break;                  /* P */
	case 6: r = sf != of; break;            /* L */
	default: r = zf || sf != of; break;     /* LE */
	}
	return (cc & 1) ? !r : r;
}

/* Condition nibble + 1 per Capstone id (0: not a conditional instruction). */
#define C3(s, n) [X86_INS_J##s] = n + 1, [X86_INS_SET##s] = n + 1, [X86_INS_CMOV##s] = n + 1
static const uint8_t cond_of[X86_INS_ENDING] = {
	C3(O, 0), C3(NO, 1), C3(B, 2), C3(AE, 3), C3(E, 4), C3(NE, 5),
	C3(BE, 6), C3(A, 7), C3(S, 8), C3(NS, 9), C3(P, 10), C3(NP, 11),
	C3(L, 12), C3(GE, 13), C3(LE, 14), C3(G, 15),
};
#undef C3

int ref_cond_of_insn(unsigned insn_id)
{
	return insn_id < X86_INS_ENDING ? (int)cond_of[insn_id] - 1 : -1;
}
