/* Moving RFLAGS as data: LAHF SAHF PUSHF POPF, and CLI. SDM Vol. 2A LAHF
 * and CLI, Vol. 2B SAHF, PUSHF/PUSHFQ, POPF/POPFQ. */
#include "ref_alu_priv.h"
#include "ref_ext_priv.h"

/* The flags AH carries: SF ZF 0 AF 0 PF 1 CF (bits 7..0). */
#define AH_FLAGS (RFLAGS_SF | RFLAGS_ZF | RFLAGS_AF | RFLAGS_PF | RFLAGS_CF)

/* LAHF/SAHF are valid in 64-bit mode only with
 * CPUID.80000001H:ECX.LAHF-SAHF[bit 0]; else #UD. */
static enum ref_status lahf_ok(struct ref_cpu *cpu)
{
	const struct cpuid_entry *e = cpuid_lookup(cpu->cpuid, 0x80000001u, 0);
	if (!cpu->cpuid)
		return REF_UNSUPPORTED;
	if (!e || !(e->ecx & 1))
		return ref_raise(cpu, 6, 0, 0);
	return REF_NEXT;
}

static enum ref_status flg_lahf(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	enum ref_status st = lahf_ok(cpu);
	if (st != REF_NEXT)
		return st;
	/* Copying an undefined flag into AH would make it data. */
	if (cpu->undefined_flags & AH_FLAGS)
		return REF_UNSUPPORTED;
	uint64_t ah = (cpu->rflags & AH_FLAGS) | RFLAGS_FIXED1;
	ref_set_reg(cpu, X86_REG_AH, ah);
	ref_note_gpr_write(cpu, RAX);
	return REF_NEXT;
}

static enum ref_status flg_sahf(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	enum ref_status st = lahf_ok(cpu);
	if (st != REF_NEXT)
		return st;
	ref_set_flags(cpu, AH_FLAGS, ref_get_reg(cpu, X86_REG_AH) & AH_FLAGS);
	return REF_NEXT;
}

/* PUSHF/PUSHFD/PUSHFQ: the operand size (66h flips the code size's
 * default, REX.W wins in 64-bit mode: SDM Vol. 2A 2.2.1.2) picks 16, 32
 * or 64 bits; the image has VM and RF cleared. */
static enum ref_status flg_pushf(struct ref_cpu *cpu, const cs_insn *insn)
{
	unsigned size = ref_opsize(cpu, insn, 1);
	/* Undefined flags in the image are masked where it lands: SS:SP
	 * outside 64-bit mode. */
	uint64_t la = cpu->gpr[RSP] - size;
	if (cpu->code_bits != 64)
		la = (cpu->seg[SEG_SS].base + (la & ref_stack_mask(cpu))) & 0xffffffffu;
	if (ref_note_undefined_store(cpu, la, size, cpu->undefined_flags & RFLAGS_STATUS) < 0)
		return REF_UNSUPPORTED;
	uint64_t v = cpu->rflags & ~(RFLAGS_RF | (1ull << 17));
	return ref_push(cpu, v, size) < 0 ? REF_STOP : REF_NEXT;
}

/* POPF at CPL0 (SDM Vol. 2B POPF, Operation and Table 4-16; the same in
 * real mode and protected mode at CPL0, outside virtual-8086 mode): every
 * non-reserved flag may change except VIP, VIF and VM (unaffected); RF is
 * cleared; reserved bits keep their fixed values. A 16-bit POPF (66h, or
 * the default in 16-bit code) changes only flags 15:0, a 32-bit one 31:0.
 * TF would single-step and IF would open interrupts, changing how the case
 * runs: not modeled. */
#define POPF_CHANGEABLE (RFLAGS_STATUS | RFLAGS_TF | RFLAGS_IF | RFLAGS_DF | \
			 (3ull << 12) /* IOPL */ | (1ull << 14) /* NT */ | \
			 (1ull << 18) /* AC */ | (1ull << 21) /* ID */)

static enum ref_status flg_popf(struct ref_cpu *cpu, const cs_insn *insn)
{
	unsigned size = ref_opsize(cpu, insn, 1);
	uint64_t rsp = cpu->gpr[RSP], v;
	if (ref_pop(cpu, &v, size) < 0)
		return REF_STOP;
	uint64_t mask = POPF_CHANGEABLE & alu_mask(size);
	/* Above CPL0 IOPL keeps its value, and IF does too unless CPL <=
	 * IOPL; no fault outside virtual-8086 mode (SDM Vol. 2B POPF,
	 * Operation). */
	if (cpu->cpl > 0)
		mask &= ~(3ull << 12);
	if (cpu->cpl > ((cpu->rflags >> 12) & 3))
		mask &= ~(uint64_t)RFLAGS_IF;
	if ((v & mask & (RFLAGS_TF | RFLAGS_IF)) != (cpu->rflags & mask & (RFLAGS_TF | RFLAGS_IF))) {
		cpu->gpr[RSP] = rsp;
		return REF_UNSUPPORTED;
	}
	uint64_t other = mask & ~(uint64_t)RFLAGS_STATUS;
	cpu->rflags = (cpu->rflags & ~other & ~RFLAGS_RF) | (v & other);
	ref_set_flags(cpu, RFLAGS_STATUS, v & RFLAGS_STATUS);
	return REF_NEXT;
}

/* CLI clears IF, STI sets it where CPL <= IOPL (the run loop's privilege
 * check; SDM Vol. 2A CLI, Vol. 2B STI, tables 3-7 and 4-19). An STI that
 * sets IF holds interrupts back for one more instruction (Vol. 3A 6.8.3);
 * one that finds IF set does not. */
static enum ref_status flg_cli(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	cpu->rflags &= ~(uint64_t)RFLAGS_IF;
	return REF_NEXT;
}

static enum ref_status flg_sti(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	cpu->irq_shadow_next = cpu->rflags & RFLAGS_IF ? REF_SHADOW_NONE : REF_SHADOW_STI;
	cpu->rflags |= RFLAGS_IF;
	return REF_NEXT;
}

const struct ref_sem ref_sem_flagreg[] = {
	{ X86_INS_LAHF, flg_lahf },    { X86_INS_SAHF, flg_sahf },
	{ X86_INS_PUSHF, flg_pushf }, { X86_INS_PUSHFD, flg_pushf }, { X86_INS_PUSHFQ, flg_pushf },
	{ X86_INS_POPF, flg_popf },  { X86_INS_POPFD, flg_popf },  { X86_INS_POPFQ, flg_popf },
	{ X86_INS_CLI, flg_cli },     { X86_INS_STI, flg_sti },
};
const unsigned ref_sem_flagreg_count = sizeof(ref_sem_flagreg) / sizeof(ref_sem_flagreg[0]);
