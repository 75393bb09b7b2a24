/* Instruction templates of the structured generator: what the encoder in
 * gen_insn.c needs to emit one instruction of a kind with any legal (and
 * sometimes illegal) prefixes and operand forms. Internal to generators/. */
#ifndef EXITDIFF_GEN_TEMPLATES_H
#define EXITDIFF_GEN_TEMPLATES_H

#include <stddef.h>
#include <stdint.h>

/* Operand form: how the bytes after the opcode are built. */
enum tform {
	F_NONE,   /* opcode only */
	F_RM,     /* ModRM, reg field = a register */
	F_DIGIT,  /* ModRM, reg field = a digit in [dlo, dhi] */
	F_PLUSR,  /* register in the low 3 opcode bits (REX.B extends) */
	F_CC,     /* condition code in the low 4 opcode bits, no ModRM */
	F_CC_RM,  /* condition code in the low 4 opcode bits, then ModRM */
};

/* Immediate or displacement after ModRM/SIB. */
enum timm {
	I_NONE,
	I_8,      /* ib */
	I_16,     /* iw */
	I_Z,      /* iw with 66, else id */
	I_V,      /* iw / id / io by operand size (MOV B8+r) */
	I_REL8,   /* branch, rel8 */
	I_REL32,  /* branch, rel32 (rel16 with 66 is #UD-ish on Intel: kept) */
	I_MOFFS,  /* absolute address, 8 bytes (4 with 67) */
	I_16_8,   /* ENTER iw, ib */
	I_FAR,    /* ptr16:16 / ptr16:32: offset by operand size, then selector */
};

/* Template flags: which prefixes make sense, which registers to aim. */
enum tflag {
	T_BYTE   = 1u << 0,  /* 8-bit operation: 66/REX.W are noise */
	T_OSZ    = 1u << 1,  /* 66 selects 16-bit operands */
	T_W      = 1u << 2,  /* REX.W selects 64-bit operands */
	T_LOCK   = 1u << 3,  /* LOCK legal with a memory destination */
	T_REP    = 1u << 4,  /* REP/REPE/REPNE meaningful (string ops) */
	T_MEM    = 1u << 5,  /* ModRM must name memory (mod != 3) */
	T_REG    = 1u << 6,  /* ModRM must name a register (mod == 3) */
	T_SI     = 1u << 7,  /* reads [RSI]: aim it */
	T_DI     = 1u << 8,  /* writes [RDI]: aim it */
	T_PORT   = 1u << 9,  /* port in DX */
	T_COUNT  = 1u << 10, /* count in RCX (REP, LOOP, JRCXZ) */
	T_CPUID  = 1u << 11, /* leaf in EAX, subleaf in ECX */
	T_MSR    = 1u << 12, /* MSR index in ECX */
	T_IND    = 1u << 13, /* ModRM operand is a branch target */
	T_SREG   = 1u << 14, /* ModRM reg field is a segment register */
	T_MOFFS  = 1u << 15, /* has a memory operand without ModRM */
	T_LM64   = 1u << 16, /* long64 only (invalid or another instruction
				outside 64-bit mode, SDM Vol. 2D A.2.5 "o64") */
	T_LEG    = 1u << 17, /* 16/32-bit modes only ("i64": #UD in long64) */
	T_XCR    = 1u << 18, /* XCR index in ECX, value in EDX:EAX (XSETBV) */
	T_CRV    = 1u << 19, /* writes a control register: aim the source */
	T_HCALL  = 1u << 20, /* hypercall number in RAX (VMCALL, VMMCALL) */
};

struct gen_template {
	const char *name;     /* for humans and tests */
	uint8_t op[3];
	uint8_t op_len;
	uint8_t form;         /* enum tform */
	uint8_t dlo, dhi;     /* F_DIGIT: digit range */
	uint8_t imm;          /* enum timm */
	uint8_t mand;         /* mandatory prefix (0x66/0xf2/0xf3) or 0 */
	uint32_t flags;       /* enum tflag */
	uint8_t weight;       /* relative frequency */
	uint8_t family;       /* enum gen_family (gen.h): the instruction class */
};

/* 1 when template t may be generated in mode m (enum cpu_mode). */
int gen_template_ok(const struct gen_template *t, unsigned mode);

extern const struct gen_template gen_templates[];
extern const size_t gen_templates_n;
/* Room for the table's rows in per-template arrays (gen_insn.c's weight
 * sums); gen_templates.c asserts the table fits. */
#define GEN_TEMPLATES_MAX 512

#endif
