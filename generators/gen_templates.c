/*
 * The instruction templates (opcode maps: SDM Vol. 2D appendix A). They
 * cover what the reference models and deliberately reach beyond it (bit
 * scans, XADD/CMPXCHG, SSE moves, system instructions, ...) so the
 * campaign measures UNSUPPORTED instead of hiding it.
 *
 * Columns: name, opcode bytes, form, digit range, immediate, mandatory
 * prefix, flags, weight.
 */
#include "case.h"
#include "gen.h"
#include "gen_templates.h"

/* FAM is the family of the rows that follow: redefined per section. */
#define R1(n, a, ...)       { n, { a }, 1, __VA_ARGS__, .family = FAM }
#define R2(n, a, b, ...)    { n, { a, b }, 2, __VA_ARGS__, .family = FAM }
#define R3(n, a, b, c, ...) { n, { a, b, c }, 3, __VA_ARGS__, .family = FAM }

#define WORD (T_OSZ | T_W)
#define STR  (T_REP | T_SI | T_DI | T_COUNT)

/* The eight ALU families share one layout (opcode map row 0x00-0x3f):
 * r/m8,r8  r/m,r  r8,r/m8  r,r/m  AL,ib  eAX,iz. */
#define ALU(n, base) \
	R1(n, base + 0, F_RM, 0, 0, I_NONE, 0, T_BYTE | T_LOCK, 3), \
	R1(n, base + 1, F_RM, 0, 0, I_NONE, 0, WORD | T_LOCK, 5), \
	R1(n, base + 2, F_RM, 0, 0, I_NONE, 0, T_BYTE, 2), \
	R1(n, base + 3, F_RM, 0, 0, I_NONE, 0, WORD, 4), \
	R1(n, base + 4, F_NONE, 0, 0, I_8, 0, T_BYTE, 1), \
	R1(n, base + 5, F_NONE, 0, 0, I_Z, 0, WORD, 1)

#define FAM FAM_ALU
const struct gen_template gen_templates[] = {
	/* ALU (00-3f) and group 1 (80/81/83, every digit) */
	ALU("add", 0x00), ALU("or", 0x08), ALU("adc", 0x10), ALU("sbb", 0x18),
	ALU("and", 0x20), ALU("sub", 0x28), ALU("xor", 0x30), ALU("cmp", 0x38),
	R1("grp1 r/m8,ib", 0x80, F_DIGIT, 0, 7, I_8, 0, T_BYTE | T_LOCK, 6),
	R1("grp1 r/m,iz", 0x81, F_DIGIT, 0, 7, I_Z, 0, WORD | T_LOCK, 6),
	R1("grp1 r/m,ib", 0x83, F_DIGIT, 0, 7, I_8, 0, WORD | T_LOCK, 8),
	R1("test r/m8,r8", 0x84, F_RM, 0, 0, I_NONE, 0, T_BYTE, 2),
	R1("test r/m,r", 0x85, F_RM, 0, 0, I_NONE, 0, WORD, 2),
	R1("test al,ib", 0xa8, F_NONE, 0, 0, I_8, 0, T_BYTE, 1),
	R1("test eax,iz", 0xa9, F_NONE, 0, 0, I_Z, 0, WORD, 1),
	/* group 3 (F6/F7): TEST, NOT, NEG, MUL, IMUL, DIV, IDIV */
	R1("test r/m8,ib", 0xf6, F_DIGIT, 0, 1, I_8, 0, T_BYTE, 2),
	R1("grp3 r/m8", 0xf6, F_DIGIT, 2, 7, I_NONE, 0, T_BYTE | T_LOCK, 6),
	R1("test r/m,iz", 0xf7, F_DIGIT, 0, 0, I_Z, 0, WORD, 2),
	R1("grp3 r/m", 0xf7, F_DIGIT, 2, 7, I_NONE, 0, WORD | T_LOCK, 8),
	/* group 4/5: INC, DEC, indirect CALL/JMP, PUSH */
	R1("inc/dec r/m8", 0xfe, F_DIGIT, 0, 1, I_NONE, 0, T_BYTE | T_LOCK, 3),
	R1("inc/dec r/m", 0xff, F_DIGIT, 0, 1, I_NONE, 0, WORD | T_LOCK, 4),
#undef FAM
#define FAM FAM_CTL
	R1("call r/m", 0xff, F_DIGIT, 2, 2, I_NONE, 0, T_IND, 2),
	R1("jmp r/m", 0xff, F_DIGIT, 4, 4, I_NONE, 0, T_IND, 2),
	R1("callf/jmpf m", 0xff, F_DIGIT, 3, 5, I_NONE, 0, T_MEM | T_W, 1),
#undef FAM
#define FAM FAM_STACK
	R1("push r/m", 0xff, F_DIGIT, 6, 6, I_NONE, 0, T_OSZ, 2),
	R1("pop r/m", 0x8f, F_DIGIT, 0, 0, I_NONE, 0, T_OSZ, 2),
#undef FAM
#define FAM FAM_ALU
	R2("imul r,r/m", 0x0f, 0xaf, F_RM, 0, 0, I_NONE, 0, WORD, 3),
	R1("imul r,r/m,iz", 0x69, F_RM, 0, 0, I_Z, 0, WORD, 2),
	R1("imul r,r/m,ib", 0x6b, F_RM, 0, 0, I_8, 0, WORD, 2),
#undef FAM
#define FAM FAM_ALU
	/* shifts and rotates (group 2, every digit incl. /6) */
	R1("shift r/m8,ib", 0xc0, F_DIGIT, 0, 7, I_8, 0, T_BYTE, 3),
	R1("shift r/m,ib", 0xc1, F_DIGIT, 0, 7, I_8, 0, WORD, 4),
	R1("shift r/m8,1", 0xd0, F_DIGIT, 0, 7, I_NONE, 0, T_BYTE, 2),
	R1("shift r/m,1", 0xd1, F_DIGIT, 0, 7, I_NONE, 0, WORD, 3),
	R1("shift r/m8,cl", 0xd2, F_DIGIT, 0, 7, I_NONE, 0, T_BYTE, 2),
	R1("shift r/m,cl", 0xd3, F_DIGIT, 0, 7, I_NONE, 0, WORD, 3),
#undef FAM
#define FAM FAM_MOVE
	/* MOV */
	R1("mov r/m8,r8", 0x88, F_RM, 0, 0, I_NONE, 0, T_BYTE, 4),
	R1("mov r/m,r", 0x89, F_RM, 0, 0, I_NONE, 0, WORD, 8),
	R1("mov r8,r/m8", 0x8a, F_RM, 0, 0, I_NONE, 0, T_BYTE, 4),
	R1("mov r,r/m", 0x8b, F_RM, 0, 0, I_NONE, 0, WORD, 8),
	R1("mov r/m8,ib", 0xc6, F_DIGIT, 0, 0, I_8, 0, T_BYTE, 3),
	R1("mov r/m,iz", 0xc7, F_DIGIT, 0, 0, I_Z, 0, WORD, 3),
	R1("mov r8,ib", 0xb0, F_PLUSR, 0, 0, I_8, 0, T_BYTE, 2),
	R1("mov r,iv", 0xb8, F_PLUSR, 0, 0, I_V, 0, WORD, 3),
	R1("mov al,moffs", 0xa0, F_NONE, 0, 0, I_MOFFS, 0, T_BYTE | T_MOFFS, 1),
	R1("mov eax,moffs", 0xa1, F_NONE, 0, 0, I_MOFFS, 0, WORD | T_MOFFS, 1),
	R1("mov moffs,al", 0xa2, F_NONE, 0, 0, I_MOFFS, 0, T_BYTE | T_MOFFS, 1),
	R1("mov moffs,eax", 0xa3, F_NONE, 0, 0, I_MOFFS, 0, WORD | T_MOFFS, 1),
	R1("mov r/m,sreg", 0x8c, F_RM, 0, 0, I_NONE, 0, T_SREG | T_OSZ, 1),
	R1("mov sreg,r/m", 0x8e, F_RM, 0, 0, I_NONE, 0, T_SREG, 1),
	R2("movzx r,r/m8", 0x0f, 0xb6, F_RM, 0, 0, I_NONE, 0, WORD, 2),
	R2("movzx r,r/m16", 0x0f, 0xb7, F_RM, 0, 0, I_NONE, 0, WORD, 2),
	R2("movsx r,r/m8", 0x0f, 0xbe, F_RM, 0, 0, I_NONE, 0, WORD, 2),
	R2("movsx r,r/m16", 0x0f, 0xbf, F_RM, 0, 0, I_NONE, 0, WORD, 2),
	R1("movsxd r,r/m32", 0x63, F_RM, 0, 0, I_NONE, 0, WORD | T_LM64, 2),
	R1("lea", 0x8d, F_RM, 0, 0, I_NONE, 0, WORD | T_MEM, 3),
	R1("xchg r/m8,r8", 0x86, F_RM, 0, 0, I_NONE, 0, T_BYTE | T_LOCK, 2),
	R1("xchg r/m,r", 0x87, F_RM, 0, 0, I_NONE, 0, WORD | T_LOCK, 2),
	R1("xchg eax,r", 0x90, F_PLUSR, 0, 0, I_NONE, 0, WORD, 1),
#undef FAM
#define FAM FAM_STACK
	/* stack */
	R1("push r", 0x50, F_PLUSR, 0, 0, I_NONE, 0, T_OSZ, 3),
	R1("pop r", 0x58, F_PLUSR, 0, 0, I_NONE, 0, T_OSZ, 3),
	R1("push ib", 0x6a, F_NONE, 0, 0, I_8, 0, T_OSZ, 1),
	R1("push iz", 0x68, F_NONE, 0, 0, I_Z, 0, T_OSZ, 1),
	R1("pushf", 0x9c, F_NONE, 0, 0, I_NONE, 0, T_OSZ, 1),
	R1("popf", 0x9d, F_NONE, 0, 0, I_NONE, 0, T_OSZ, 1),
	R2("push fs", 0x0f, 0xa0, F_NONE, 0, 0, I_NONE, 0, T_OSZ, 1),
	R2("pop fs", 0x0f, 0xa1, F_NONE, 0, 0, I_NONE, 0, T_OSZ, 1),
	R2("push gs", 0x0f, 0xa8, F_NONE, 0, 0, I_NONE, 0, T_OSZ, 1),
	R2("pop gs", 0x0f, 0xa9, F_NONE, 0, 0, I_NONE, 0, T_OSZ, 1),
	R1("leave", 0xc9, F_NONE, 0, 0, I_NONE, 0, T_OSZ, 1),
	R1("enter", 0xc8, F_NONE, 0, 0, I_16_8, 0, T_OSZ, 1),
#undef FAM
#define FAM FAM_CTL
	/* control flow: short, mostly forward (gen_insn.c) */
	R1("call rel32", 0xe8, F_NONE, 0, 0, I_REL32, 0, 0, 2),
	R1("ret", 0xc3, F_NONE, 0, 0, I_NONE, 0, 0, 2),
	R1("ret iw", 0xc2, F_NONE, 0, 0, I_16, 0, 0, 1),
	R1("retf", 0xcb, F_NONE, 0, 0, I_NONE, 0, WORD, 1),
	R2("lss/lfs/lgs", 0x0f, 0xb2, F_RM, 0, 0, I_NONE, 0, WORD | T_MEM, 1),
	R1("jmp rel8", 0xeb, F_NONE, 0, 0, I_REL8, 0, 0, 2),
	R1("jmp rel32", 0xe9, F_NONE, 0, 0, I_REL32, 0, 0, 1),
	R1("jcc rel8", 0x70, F_CC, 0, 0, I_REL8, 0, 0, 5),
	R2("jcc rel32", 0x0f, 0x80, F_CC, 0, 0, I_REL32, 0, 0, 2),
	R1("loopne", 0xe0, F_NONE, 0, 0, I_REL8, 0, T_COUNT, 1),
	R1("loope", 0xe1, F_NONE, 0, 0, I_REL8, 0, T_COUNT, 1),
	R1("loop", 0xe2, F_NONE, 0, 0, I_REL8, 0, T_COUNT, 1),
	R1("jrcxz", 0xe3, F_NONE, 0, 0, I_REL8, 0, T_COUNT, 1),
	R2("setcc", 0x0f, 0x90, F_CC_RM, 0, 0, I_NONE, 0, T_BYTE, 3),
	R2("cmovcc", 0x0f, 0x40, F_CC_RM, 0, 0, I_NONE, 0, WORD, 3),
#undef FAM
#define FAM FAM_FLAGS
	/* flags */
	R1("clc", 0xf8, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R1("stc", 0xf9, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R1("cmc", 0xf5, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R1("cld", 0xfc, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R1("std", 0xfd, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R1("cli", 0xfa, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R1("sti", 0xfb, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R1("sahf", 0x9e, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R1("lahf", 0x9f, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R1("cbw/cwde/cdqe", 0x98, F_NONE, 0, 0, I_NONE, 0, WORD, 1),
	R1("cwd/cdq/cqo", 0x99, F_NONE, 0, 0, I_NONE, 0, WORD, 1),
#undef FAM
#define FAM FAM_IO
	/* port I/O and string instructions */
	R1("in al,ib", 0xe4, F_NONE, 0, 0, I_8, 0, T_BYTE, 2),
	R1("in eax,ib", 0xe5, F_NONE, 0, 0, I_8, 0, T_OSZ, 2),
	R1("out ib,al", 0xe6, F_NONE, 0, 0, I_8, 0, T_BYTE, 2),
	R1("out ib,eax", 0xe7, F_NONE, 0, 0, I_8, 0, T_OSZ, 2),
	R1("in al,dx", 0xec, F_NONE, 0, 0, I_NONE, 0, T_BYTE | T_PORT, 2),
	R1("in eax,dx", 0xed, F_NONE, 0, 0, I_NONE, 0, T_OSZ | T_PORT, 2),
	R1("out dx,al", 0xee, F_NONE, 0, 0, I_NONE, 0, T_BYTE | T_PORT, 2),
	R1("out dx,eax", 0xef, F_NONE, 0, 0, I_NONE, 0, T_OSZ | T_PORT, 2),
	R1("insb", 0x6c, F_NONE, 0, 0, I_NONE, 0, T_BYTE | STR | T_PORT, 2),
	R1("insd", 0x6d, F_NONE, 0, 0, I_NONE, 0, T_OSZ | STR | T_PORT, 1),
	R1("outsb", 0x6e, F_NONE, 0, 0, I_NONE, 0, T_BYTE | STR | T_PORT, 2),
	R1("outsd", 0x6f, F_NONE, 0, 0, I_NONE, 0, T_OSZ | STR | T_PORT, 1),
#undef FAM
#define FAM FAM_STRING
	R1("movsb", 0xa4, F_NONE, 0, 0, I_NONE, 0, T_BYTE | STR, 2),
	R1("movs", 0xa5, F_NONE, 0, 0, I_NONE, 0, WORD | STR, 2),
	R1("cmpsb", 0xa6, F_NONE, 0, 0, I_NONE, 0, T_BYTE | STR, 1),
	R1("cmps", 0xa7, F_NONE, 0, 0, I_NONE, 0, WORD | STR, 1),
	R1("stosb", 0xaa, F_NONE, 0, 0, I_NONE, 0, T_BYTE | STR, 2),
	R1("stos", 0xab, F_NONE, 0, 0, I_NONE, 0, WORD | STR, 2),
	R1("lodsb", 0xac, F_NONE, 0, 0, I_NONE, 0, T_BYTE | STR, 1),
	R1("lods", 0xad, F_NONE, 0, 0, I_NONE, 0, WORD | STR, 1),
	R1("scasb", 0xae, F_NONE, 0, 0, I_NONE, 0, T_BYTE | STR, 1),
	R1("scas", 0xaf, F_NONE, 0, 0, I_NONE, 0, WORD | STR, 1),
#undef FAM
#define FAM FAM_MOVE
	R1("xlat", 0xd7, F_NONE, 0, 0, I_NONE, 0, T_W, 1),
#undef FAM
#define FAM FAM_TRAP
	/* exits, traps, no-ops */
	R2("cpuid", 0x0f, 0xa2, F_NONE, 0, 0, I_NONE, 0, T_CPUID, 3),
	R1("hlt", 0xf4, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R2("ud2", 0x0f, 0x0b, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R1("int3", 0xcc, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R1("int ib", 0xcd, F_NONE, 0, 0, I_8, 0, 0, 1),
	R1("int1", 0xf1, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R3("vmcall", 0x0f, 0x01, 0xc1, F_NONE, 0, 0, I_NONE, 0, T_HCALL, 1),
	R3("vmmcall", 0x0f, 0x01, 0xd9, F_NONE, 0, 0, I_NONE, 0, T_HCALL, 1),
#undef FAM
#define FAM FAM_FLAGS
	R1("nop", 0x90, F_NONE, 0, 0, I_NONE, 0, 0, 2),
	R2("nop r/m", 0x0f, 0x1f, F_DIGIT, 0, 0, I_NONE, 0, T_OSZ, 1),
	R1("pause", 0x90, F_NONE, 0, 0, I_NONE, 0xf3, 0, 1),
#undef FAM
#define FAM FAM_BITS
	/* beyond the reference's model: bit operations */
	R2("bt r/m,r", 0x0f, 0xa3, F_RM, 0, 0, I_NONE, 0, WORD, 2),
	R2("bts r/m,r", 0x0f, 0xab, F_RM, 0, 0, I_NONE, 0, WORD | T_LOCK, 1),
	R2("btr r/m,r", 0x0f, 0xb3, F_RM, 0, 0, I_NONE, 0, WORD | T_LOCK, 1),
	R2("btc r/m,r", 0x0f, 0xbb, F_RM, 0, 0, I_NONE, 0, WORD | T_LOCK, 1),
	R2("bt* r/m,ib", 0x0f, 0xba, F_DIGIT, 4, 7, I_8, 0, WORD | T_LOCK, 2),
	R2("bsf", 0x0f, 0xbc, F_RM, 0, 0, I_NONE, 0, WORD, 1),
	R2("bsr", 0x0f, 0xbd, F_RM, 0, 0, I_NONE, 0, WORD, 1),
	R2("popcnt", 0x0f, 0xb8, F_RM, 0, 0, I_NONE, 0xf3, WORD, 1),
	R2("tzcnt", 0x0f, 0xbc, F_RM, 0, 0, I_NONE, 0xf3, WORD, 1),
	R2("lzcnt", 0x0f, 0xbd, F_RM, 0, 0, I_NONE, 0xf3, WORD, 1),
	R2("bswap", 0x0f, 0xc8, F_PLUSR, 0, 0, I_NONE, 0, T_W, 1),
	R2("shld ib", 0x0f, 0xa4, F_RM, 0, 0, I_8, 0, WORD, 1),
	R2("shld cl", 0x0f, 0xa5, F_RM, 0, 0, I_NONE, 0, WORD, 1),
	R2("shrd ib", 0x0f, 0xac, F_RM, 0, 0, I_8, 0, WORD, 1),
	R2("shrd cl", 0x0f, 0xad, F_RM, 0, 0, I_NONE, 0, WORD, 1),
	/* atomics */
	R2("xadd r/m8", 0x0f, 0xc0, F_RM, 0, 0, I_NONE, 0, T_BYTE | T_LOCK, 1),
	R2("xadd r/m", 0x0f, 0xc1, F_RM, 0, 0, I_NONE, 0, WORD | T_LOCK, 2),
	R2("cmpxchg r/m8", 0x0f, 0xb0, F_RM, 0, 0, I_NONE, 0, T_BYTE | T_LOCK, 1),
	R2("cmpxchg r/m", 0x0f, 0xb1, F_RM, 0, 0, I_NONE, 0, WORD | T_LOCK, 2),
	R2("cmpxchg8b/16b", 0x0f, 0xc7, F_DIGIT, 1, 1, I_NONE, 0, T_W | T_LOCK | T_MEM, 1),
	R3("movbe r,m", 0x0f, 0x38, 0xf0, F_RM, 0, 0, I_NONE, 0, WORD | T_MEM, 1),
	R3("movbe m,r", 0x0f, 0x38, 0xf1, F_RM, 0, 0, I_NONE, 0, WORD | T_MEM, 1),
	R2("rdrand", 0x0f, 0xc7, F_DIGIT, 6, 6, I_NONE, 0, WORD | T_REG, 1),
	R2("movnti", 0x0f, 0xc3, F_RM, 0, 0, I_NONE, 0, T_W | T_MEM, 1),
#undef FAM
#define FAM FAM_FP
	/* SSE moves (CR4.OSFXSR is set in the layout) */
	R2("movups", 0x0f, 0x10, F_RM, 0, 0, I_NONE, 0, 0, 1),
	R2("movups st", 0x0f, 0x11, F_RM, 0, 0, I_NONE, 0, 0, 1),
	R2("movaps", 0x0f, 0x28, F_RM, 0, 0, I_NONE, 0, 0, 1),
	R2("movaps st", 0x0f, 0x29, F_RM, 0, 0, I_NONE, 0, 0, 1),
	R2("movd/q xmm,r/m", 0x0f, 0x6e, F_RM, 0, 0, I_NONE, 0x66, T_W, 1),
	R2("movd/q r/m,xmm", 0x0f, 0x7e, F_RM, 0, 0, I_NONE, 0x66, T_W, 1),
	R2("movq xmm,xmm/m", 0x0f, 0x7e, F_RM, 0, 0, I_NONE, 0xf3, 0, 1),
	R2("movdqa", 0x0f, 0x6f, F_RM, 0, 0, I_NONE, 0x66, 0, 1),
	R2("movdqa st", 0x0f, 0x7f, F_RM, 0, 0, I_NONE, 0x66, 0, 1),
	R2("movdqu", 0x0f, 0x6f, F_RM, 0, 0, I_NONE, 0xf3, 0, 1),
	R2("movdqu st", 0x0f, 0x7f, F_RM, 0, 0, I_NONE, 0xf3, 0, 1),
	R2("movq xmm/m,xmm", 0x0f, 0xd6, F_RM, 0, 0, I_NONE, 0x66, 0, 1),
	R2("pxor", 0x0f, 0xef, F_RM, 0, 0, I_NONE, 0x66, 0, 1),
	R2("pand/pandn", 0x0f, 0xdb, F_RM, 0, 0, I_NONE, 0x66, 0, 1),
	R2("por", 0x0f, 0xeb, F_RM, 0, 0, I_NONE, 0x66, 0, 1),
	R2("xorps", 0x0f, 0x57, F_RM, 0, 0, I_NONE, 0, 0, 1),
	R2("fxsave/fxrstor", 0x0f, 0xae, F_DIGIT, 0, 1, I_NONE, 0, T_MEM, 1),
#undef FAM
#define FAM FAM_SYS
	R2("clflush", 0x0f, 0xae, F_DIGIT, 7, 7, I_NONE, 0, T_MEM, 1),
	R3("lfence", 0x0f, 0xae, 0xe8, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R3("mfence", 0x0f, 0xae, 0xf0, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R2("prefetch", 0x0f, 0x18, F_DIGIT, 0, 3, I_NONE, 0, T_MEM, 1),
#undef FAM
#define FAM FAM_FP
	R2("fninit", 0xdb, 0xe3, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R2("fld1", 0xd9, 0xe8, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R2("fnstsw ax", 0xdf, 0xe0, F_NONE, 0, 0, I_NONE, 0, 0, 1),
#undef FAM
#define FAM FAM_SYS
	/* system instructions: the exits a hypervisor must get right */
	R2("rdtsc", 0x0f, 0x31, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R3("rdtscp", 0x0f, 0x01, 0xf9, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R2("rdmsr", 0x0f, 0x32, F_NONE, 0, 0, I_NONE, 0, T_MSR, 3),
	R2("wrmsr", 0x0f, 0x30, F_NONE, 0, 0, I_NONE, 0, T_MSR, 2),
	R2("rdpmc", 0x0f, 0x33, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R2("mov r,cr", 0x0f, 0x20, F_RM, 0, 0, I_NONE, 0, T_REG, 2),
	R2("mov cr,r", 0x0f, 0x22, F_RM, 0, 0, I_NONE, 0, T_REG | T_CRV, 2),
	R2("mov r,dr", 0x0f, 0x21, F_RM, 0, 0, I_NONE, 0, T_REG, 1),
	R2("mov dr,r", 0x0f, 0x23, F_RM, 0, 0, I_NONE, 0, T_REG, 1),
	R2("sgdt/sidt", 0x0f, 0x01, F_DIGIT, 0, 1, I_NONE, 0, T_MEM, 1),
	R2("lgdt/lidt", 0x0f, 0x01, F_DIGIT, 2, 3, I_NONE, 0, T_MEM, 1),
	R2("smsw", 0x0f, 0x01, F_DIGIT, 4, 4, I_NONE, 0, T_OSZ, 1),
	R2("lmsw", 0x0f, 0x01, F_DIGIT, 6, 6, I_NONE, 0, 0, 1),
	R2("invlpg", 0x0f, 0x01, F_DIGIT, 7, 7, I_NONE, 0, T_MEM, 1),
	R2("sldt/str/lldt/ltr/verr/verw", 0x0f, 0x00, F_DIGIT, 0, 5, I_NONE, 0, 0, 1),
	R2("lar", 0x0f, 0x02, F_RM, 0, 0, I_NONE, 0, WORD, 1),
	R2("lsl", 0x0f, 0x03, F_RM, 0, 0, I_NONE, 0, WORD, 1),
	R2("clts", 0x0f, 0x06, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R2("invd", 0x0f, 0x08, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R2("wbinvd", 0x0f, 0x09, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R3("xgetbv", 0x0f, 0x01, 0xd0, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R3("swapgs", 0x0f, 0x01, 0xf8, F_NONE, 0, 0, I_NONE, 0, T_LM64, 1),
	R3("monitor", 0x0f, 0x01, 0xc8, F_NONE, 0, 0, I_NONE, 0, T_SI, 1),
	R3("xsetbv", 0x0f, 0x01, 0xd1, F_NONE, 0, 0, I_NONE, 0, T_XCR, 1),
	R3("mwait", 0x0f, 0x01, 0xc9, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R3("clac", 0x0f, 0x01, 0xca, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R3("stac", 0x0f, 0x01, 0xcb, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R2("rdpid", 0x0f, 0xc7, F_DIGIT, 7, 7, I_NONE, 0xf3, T_REG, 1),
	R2("rdseed", 0x0f, 0xc7, F_DIGIT, 7, 7, I_NONE, 0, WORD | T_REG, 1),
	R2("rd/wr fs/gs base", 0x0f, 0xae, F_DIGIT, 0, 3, I_NONE, 0xf3, T_W | T_REG | T_LM64, 1),
	R2("sysenter", 0x0f, 0x34, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R2("sysexit", 0x0f, 0x35, F_NONE, 0, 0, I_NONE, 0, T_W, 1),
	R2("syscall", 0x0f, 0x05, F_NONE, 0, 0, I_NONE, 0, 0, 1),
	R2("sysret", 0x0f, 0x07, F_NONE, 0, 0, I_NONE, 0, T_W, 1),
	R1("iret", 0xcf, F_NONE, 0, 0, I_NONE, 0, WORD, 1),
	R2("ud0", 0x0f, 0xff, F_RM, 0, 0, I_NONE, 0, 0, 1),
#undef FAM
#define FAM FAM_LEGACY
	/* invalid in 64-bit mode (SDM Vol. 2D A.2.5, "i64"): #UD expected */
	R1("pusha (i64)", 0x60, F_NONE, 0, 0, I_NONE, 0, T_LM64, 1),
	R1("aaa (i64)", 0x37, F_NONE, 0, 0, I_NONE, 0, T_LM64, 1),
	R1("into (i64)", 0xce, F_NONE, 0, 0, I_NONE, 0, T_LM64, 1),
	/* The 16/32-bit-only opcodes (SDM Vol. 2D A.2.5 "i64"; 40-4F are
	 * INC/DEC there, not REX). */
	R1("inc r", 0x40, F_PLUSR, 0, 0, I_NONE, 0, T_OSZ | T_LEG, 2),
	R1("dec r", 0x48, F_PLUSR, 0, 0, I_NONE, 0, T_OSZ | T_LEG, 2),
	R1("push es", 0x06, F_NONE, 0, 0, I_NONE, 0, T_OSZ | T_LEG, 1),
	R1("pop es", 0x07, F_NONE, 0, 0, I_NONE, 0, T_OSZ | T_LEG, 1),
	R1("push cs", 0x0e, F_NONE, 0, 0, I_NONE, 0, T_OSZ | T_LEG, 1),
	R1("push ss", 0x16, F_NONE, 0, 0, I_NONE, 0, T_OSZ | T_LEG, 1),
	R1("pop ss", 0x17, F_NONE, 0, 0, I_NONE, 0, T_OSZ | T_LEG, 1),
	R1("push ds", 0x1e, F_NONE, 0, 0, I_NONE, 0, T_OSZ | T_LEG, 1),
	R1("pop ds", 0x1f, F_NONE, 0, 0, I_NONE, 0, T_OSZ | T_LEG, 1),
	R1("pusha", 0x60, F_NONE, 0, 0, I_NONE, 0, T_OSZ | T_LEG, 1),
	R1("popa", 0x61, F_NONE, 0, 0, I_NONE, 0, T_OSZ | T_LEG, 1),
	R1("daa", 0x27, F_NONE, 0, 0, I_NONE, 0, T_LEG, 1),
	R1("das", 0x2f, F_NONE, 0, 0, I_NONE, 0, T_LEG, 1),
	R1("aaa", 0x37, F_NONE, 0, 0, I_NONE, 0, T_LEG, 1),
	R1("aas", 0x3f, F_NONE, 0, 0, I_NONE, 0, T_LEG, 1),
	R1("aam ib", 0xd4, F_NONE, 0, 0, I_8, 0, T_LEG, 1),
	R1("aad ib", 0xd5, F_NONE, 0, 0, I_8, 0, T_LEG, 1),
	/* C4/C5/62 with a register ModRM are VEX/EVEX in 32-bit mode: memory
	 * forms only. */
	R1("les", 0xc4, F_RM, 0, 0, I_NONE, 0, T_OSZ | T_MEM | T_LEG, 1),
	R1("lds", 0xc5, F_RM, 0, 0, I_NONE, 0, T_OSZ | T_MEM | T_LEG, 1),
	R1("bound", 0x62, F_RM, 0, 0, I_NONE, 0, T_OSZ | T_MEM | T_LEG, 1),
	R1("arpl", 0x63, F_RM, 0, 0, I_NONE, 0, T_LEG, 1),
	R1("into", 0xce, F_NONE, 0, 0, I_NONE, 0, T_LEG, 1),
	R1("jmp far ptr", 0xea, F_NONE, 0, 0, I_FAR, 0, T_OSZ | T_LEG, 1),
	R1("call far ptr", 0x9a, F_NONE, 0, 0, I_FAR, 0, T_OSZ | T_LEG, 1),
};
const size_t gen_templates_n = sizeof(gen_templates) / sizeof(gen_templates[0]);
_Static_assert(sizeof(gen_templates) / sizeof(gen_templates[0]) <= GEN_TEMPLATES_MAX,
	       "GEN_TEMPLATES_MAX (gen_templates.h) is smaller than the table");

int gen_template_ok(const struct gen_template *t, unsigned mode)
{
	if (mode == MODE_LONG64)
		return !(t->flags & T_LEG);
	return !(t->flags & T_LM64);
}

static const char *const family_names[FAM_COUNT] = {
	[FAM_ALU] = "alu", [FAM_BITS] = "bits", [FAM_MOVE] = "move",
	[FAM_STACK] = "stack", [FAM_CTL] = "ctl", [FAM_FLAGS] = "flags",
	[FAM_STRING] = "string", [FAM_IO] = "io", [FAM_SYS] = "sys",
	[FAM_TRAP] = "trap", [FAM_LEGACY] = "legacy", [FAM_FP] = "fp",
};

const char *gen_family_name(unsigned f)
{
	return f < FAM_COUNT ? family_names[f] : "?";
}
