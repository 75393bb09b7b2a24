/* String instructions MOVS STOS LODS SCAS CMPS, every element size, with
 * REP/REPE/REPNE, both DF directions and the address-size override.
 * SDM Vol. 2B MOVS/STOS/LODS/SCAS/CMPS, REP/REPE/REPNE; Vol. 1 7.3.9.
 *
 * One element per iteration through ref_mem_read/ref_mem_write, so an
 * MMIO element is one event. After each element RSI/RDI step by the size
 * (down when DF = 1) and, with a repeat prefix, RCX counts down: a fault
 * mid-way leaves the state of the elements done, RIP at the instruction,
 * so the instruction restarts (SDM Vol. 2B REP: "the instruction can be
 * restarted"). 67h makes the pointers and the count ESI/EDI/ECX (32-bit
 * writes zero-extend). The source DS:RSI takes a segment override (only FS
 * and GS add a base in 64-bit mode); the destination is always ES:RDI.
 * F2 before MOVS/STOS/LODS acts as F3, as in KVM's emulator. */
#include <stdio.h>
#include "ref_vendor.h"
#include "ref_alu_priv.h"
#include "ref_ext_priv.h"

/* A repeat longer than this many elements is not modeled: the walk off the
 * mapped 2 MiB would fault long before, except with MMIO or a repeated
 * single element, where the trace limit ends it anyway. */
#define STR_MAX_ELEMENTS (1u << 21)

enum str_kind { STR_MOVS, STR_STOS, STR_LODS, STR_SCAS, STR_CMPS };

static const struct str_op {
	unsigned id;
	uint8_t kind;
	uint8_t size;   /* 1, or 0 = 2/4/8 from 66h and REX.W */
} str_ops[] = {
	{ X86_INS_MOVSB, STR_MOVS, 1 }, { X86_INS_MOVSW, STR_MOVS, 0 },
	{ X86_INS_MOVSD, STR_MOVS, 0 }, { X86_INS_MOVSQ, STR_MOVS, 0 },
	{ X86_INS_STOSB, STR_STOS, 1 }, { X86_INS_STOSW, STR_STOS, 0 },
	{ X86_INS_STOSD, STR_STOS, 0 }, { X86_INS_STOSQ, STR_STOS, 0 },
	{ X86_INS_LODSB, STR_LODS, 1 }, { X86_INS_LODSW, STR_LODS, 0 },
	{ X86_INS_LODSD, STR_LODS, 0 }, { X86_INS_LODSQ, STR_LODS, 0 },
	{ X86_INS_SCASB, STR_SCAS, 1 }, { X86_INS_SCASW, STR_SCAS, 0 },
	{ X86_INS_SCASD, STR_SCAS, 0 }, { X86_INS_SCASQ, STR_SCAS, 0 },
	{ X86_INS_CMPSB, STR_CMPS, 1 }, { X86_INS_CMPSW, STR_CMPS, 0 },
	{ X86_INS_CMPSD, STR_CMPS, 0 }, { X86_INS_CMPSQ, STR_CMPS, 0 },
};

/* The source segment: the last segment-override byte among the legacy
 * prefixes, else DS. */
static enum ref_seg str_src_seg(const cs_insn *insn)
{
	enum ref_seg seg = SEG_DS;
	for (unsigned i = 0; i < insn->size; i++) {
		switch (insn->bytes[i]) {
		case 0x26: seg = SEG_ES; break;
		case 0x2e: seg = SEG_CS; break;
		case 0x36: seg = SEG_SS; break;
		case 0x3e: seg = SEG_DS; break;
		case 0x64: seg = SEG_FS; break;
		case 0x65: seg = SEG_GS; break;
		case 0xf0: case 0xf2: case 0xf3: case 0x66: case 0x67: break;
		default: return seg;
		}
	}
	return seg;
}

/* The opcode byte after the legacy and REX prefixes. */
static uint8_t str_opcode(const cs_insn *insn)
{
	for (unsigned i = 0; i < insn->size; i++) {
		uint8_t b = insn->bytes[i];
		if (b != 0xf0 && b != 0xf2 && b != 0xf3 && b != 0x26 && b != 0x2e &&
		    b != 0x36 && b != 0x3e && b != 0x64 && b != 0x65 && b != 0x66 &&
		    b != 0x67 && (b & 0xf0) != 0x40)
			return b;
	}
	return 0;
}

/* A REP store into the REP instruction's own bytes with elements left is
 * not predictable: the processor checks whether a store hits a prefetched
 * instruction and then refetches it (SDM Vol. 3A 11.6), so the REP stops
 * early and the new bytes run at the same RIP. Measured natively at CPL3
 * (REP STOSB writing RET over itself): with RCX = 2 it stopped after the
 * first element (RCX = 1) and ran the RET; with RCX = 64 right after the
 * element that hit; with RCX = 2000 (fast strings, SDM Vol. 1 7.3.9.3) 112
 * elements later. A store on the last element completes the REP, which
 * goes on at the next instruction, as modeled. KVM's emulator does a
 * third thing: it writes every element, then decodes the new bytes at the
 * same RIP (corpus/modes/real16-rep-stos-self.case). */
int ref_rep_store_self(struct ref_cpu *cpu, enum ref_seg s, uint64_t off,
		       unsigned size, unsigned asz, uint64_t count)
{
	if (count <= 1 || !cpu->insn)
		return 0;
	const int flat = ref_lma(cpu) && cpu->code_bits == 64;
	const uint64_t amask = asz == 2 ? 0xffffu : asz == 4 ? 0xffffffffu : ~0ull;
	const uint64_t ibase = (flat ? 0 : cpu->seg[SEG_CS].base) + cpu->rip;
	const uint64_t sbase = flat ? 0 : cpu->seg[s].base;
	for (unsigned i = 0; i < size; i++) {
		uint64_t la = sbase + ((off + i) & amask);
		if (la - ibase < cpu->insn->size) {
			ref_terminal(cpu, EXIT_UNSUPPORTED, 0, cpu->rip);
			snprintf(cpu->out->mnemonic, sizeof(cpu->out->mnemonic), "smc-rep");
			return -1;
		}
	}
	return 0;
}

static enum ref_status str_exec(struct ref_cpu *cpu, const cs_insn *insn)
{
	const struct str_op *op = NULL;
	for (unsigned i = 0; i < sizeof(str_ops) / sizeof(str_ops[0]); i++)
		if (str_ops[i].id == insn->id)
			op = &str_ops[i];
	const cs_x86 *x = &insn->detail->x86;
	/* MOVSD and CMPSD also name the SSE2 scalar-double instructions
	 * (F2 0F 10, F2 0F C2): only the one-byte opcodes A4..AF are ours. */
	uint8_t opc = str_opcode(insn);
	if (!op || opc < 0xa4 || opc > 0xaf || (opc >= 0xa8 && opc <= 0xa9))
		return REF_UNSUPPORTED;
	/* The W/D/Q forms share their opcodes: the operand size (66h,
	 * REX.W, the code size) picks the element. */
	const unsigned size = op->size ? op->size : ref_opsize(cpu, insn, 0);
	const uint64_t m = alu_mask(size);
	const unsigned asz = x->addr_size;
	const int rep = dec_has_prefix(insn, 0xf3) ? 0xf3 : dec_has_prefix(insn, 0xf2) ? 0xf2 : 0;
	const int cmp = op->kind == STR_SCAS || op->kind == STR_CMPS;
	const uint64_t step = (cpu->rflags & RFLAGS_DF) ? (uint64_t)0 - size : size;
	const enum ref_seg sseg = str_src_seg(insn);
	const uint64_t sbase = (sseg == SEG_FS || sseg == SEG_GS) ? cpu->seg[sseg].base : 0;
	const int uses_src = op->kind == STR_MOVS || op->kind == STR_LODS || op->kind == STR_CMPS;
	const int uses_dst = op->kind != STR_LODS;

	/* A fault in a later iteration of REPE/REPNE CMPS/SCAS keeps RCX/RSI/
	 * RDI of the iterations done but restores EFLAGS to its value before
	 * the instruction (SDM Vol. 2B REP/REPE/REPZ/REPNE/REPNZ; checked
	 * natively: a REPNE SCASB faulting in its 7th element keeps the flags
	 * from before it). */
	const uint64_t flags0 = cpu->rflags & RFLAGS_STATUS;
	const uint64_t undef0 = cpu->undefined_flags & RFLAGS_STATUS;
#define STR_TRY(expr) do { \
		if ((expr) < 0) { \
			if (cmp) { \
				cpu->rflags = (cpu->rflags & ~(uint64_t)RFLAGS_STATUS) | flags0; \
				cpu->undefined_flags = (cpu->undefined_flags & \
					~(uint64_t)RFLAGS_STATUS) | undef0; \
			} \
			return REF_STOP; \
		} \
	} while (0)
	/* REP with 67h in 64-bit mode writes ECX and the ESI/EDI it uses
	 * zero-extended before the first element, even with ECX = 0 or a
	 * fault on it (measured natively on REP MOVSB; plain MOVSB keeps the
	 * upper halves). With ECX = 0 that is Intel's; AMD's leaves them
	 * (ref_vendor.c). */
	if (rep && asz == 4 && cpu->code_bits == 64 &&
	    (ref_areg_get(cpu, RCX, asz) != 0 || ref_quirk(cpu, QUIRK_REP_A32_ZERO_COUNT_WRITES))) {
		ref_areg_set(cpu, RCX, ref_areg_get(cpu, RCX, asz), asz);
		if (uses_src)
			ref_areg_set(cpu, RSI, ref_areg_get(cpu, RSI, asz), asz);
		if (uses_dst)
			ref_areg_set(cpu, RDI, ref_areg_get(cpu, RDI, asz), asz);
	}
	for (uint32_t n = 0;; n++) {
		if (rep && ref_areg_get(cpu, RCX, asz) == 0)
			break;
		if (n >= STR_MAX_ELEMENTS)
			return REF_UNSUPPORTED;
		/* The flags of the element before decided to go on; a fault
		 * in this one is delivered with the flags from before the
		 * instruction, so they must be back before the access that
		 * raises it: the exception frame outside long mode holds
		 * FLAGS (real16 REPNE SCASW with a #GP at the segment limit
		 * pushed the last compare's AF). */
		if (cmp && n > 0) {
			cpu->rflags = (cpu->rflags & ~(uint64_t)RFLAGS_STATUS) | flags0;
			cpu->undefined_flags = (cpu->undefined_flags &
				~(uint64_t)RFLAGS_STATUS) | undef0;
		}
		uint64_t src = 0, dst = 0;
		const uint64_t sla = ref_areg_get(cpu, RSI, asz) + sbase;
		const uint64_t dla = ref_areg_get(cpu, RDI, asz);
		/* CMPS reads ES:[rDI] before [rSI]: with both operands
		 * faulting, the CPU reports the rDI one, and an MMIO [rSI] is
		 * not read when ES:[rDI] faults (checked natively at CPL3:
		 * CMPSB/CMPSQ fault on rDI first, MOVSB on rSI; the SDM
		 * leaves the order open, Vol. 2A CMPS). */
		if (op->kind == STR_CMPS)
			STR_TRY(ref_mem_read(cpu, SEG_ES, dla, size, &dst));
		if (uses_src)
			STR_TRY(ref_mem_read(cpu, sseg, sla, size, &src));
		if (rep && (op->kind == STR_MOVS || op->kind == STR_STOS) &&
		    ref_rep_store_self(cpu, SEG_ES, dla, size, asz, ref_areg_get(cpu, RCX, asz)) < 0)
			return REF_STOP;
		switch (op->kind) {
		case STR_MOVS:
			STR_TRY(ref_mem_write(cpu, SEG_ES, dla, size, src));
			break;
		case STR_STOS:
			STR_TRY(ref_mem_write(cpu, SEG_ES, dla, size, cpu->gpr[RAX] & m));
			break;
		case STR_LODS:
			/* A 32-bit load zero-extends RAX; 8/16 merge. */
			ref_set_reg(cpu, size == 1 ? X86_REG_AL : size == 2 ? X86_REG_AX :
				    size == 4 ? X86_REG_EAX : X86_REG_RAX, src);
			ref_note_gpr_write(cpu, RAX);
			break;
		case STR_SCAS:
			/* Compares rAX - ES:[rDI]. */
			STR_TRY(ref_mem_read(cpu, SEG_ES, dla, size, &dst));
			ref_set_flags(cpu, RFLAGS_STATUS, ref_cmp_flags(cpu->gpr[RAX] & m, dst, size));
			break;
		default:
			/* CMPS compares [rSI] - ES:[rDI] (both read above). */
			ref_set_flags(cpu, RFLAGS_STATUS, ref_cmp_flags(src, dst, size));
			break;
		}
		if (uses_src)
			ref_areg_set(cpu, RSI, ref_areg_get(cpu, RSI, asz) + step, asz);
		if (uses_dst)
			ref_areg_set(cpu, RDI, ref_areg_get(cpu, RDI, asz) + step, asz);
		if (!rep)
			break;
		ref_areg_set(cpu, RCX, ref_areg_get(cpu, RCX, asz) - 1, asz);
		/* REPE stops when ZF = 0, REPNE when ZF = 1 (SCAS/CMPS only). */
		if (cmp && !!(cpu->rflags & RFLAGS_ZF) != (rep == 0xf3))
			break;
		/* Single-step traps after each element (SDM Vol. 3B 18.3.1.4):
		 * with elements left the instruction is where it restarts. */
		if ((cpu->single_step || cpu->db_hits) && ref_areg_get(cpu, RCX, asz) != 0) {
			cpu->next_rip = cpu->rip;
			break;
		}
	}
#undef STR_TRY
	return REF_NEXT;
}

const struct ref_sem ref_sem_string[] = {
	{ X86_INS_MOVSB, str_exec }, { X86_INS_MOVSW, str_exec },
	{ X86_INS_MOVSD, str_exec }, { X86_INS_MOVSQ, str_exec },
	{ X86_INS_STOSB, str_exec }, { X86_INS_STOSW, str_exec },
	{ X86_INS_STOSD, str_exec }, { X86_INS_STOSQ, str_exec },
	{ X86_INS_LODSB, str_exec }, { X86_INS_LODSW, str_exec },
	{ X86_INS_LODSD, str_exec }, { X86_INS_LODSQ, str_exec },
	{ X86_INS_SCASB, str_exec }, { X86_INS_SCASW, str_exec },
	{ X86_INS_SCASD, str_exec }, { X86_INS_SCASQ, str_exec },
	{ X86_INS_CMPSB, str_exec }, { X86_INS_CMPSW, str_exec },
	{ X86_INS_CMPSD, str_exec }, { X86_INS_CMPSQ, str_exec },
};
const unsigned ref_sem_string_count = sizeof(ref_sem_string) / sizeof(ref_sem_string[0]);
