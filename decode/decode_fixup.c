/* decode_fixup.h: Capstone 4.0.2's slips, each with the bytes that show it.
 *
 * Capstone 4 loses an operand-size prefix that comes before a REP/REPNE
 * prefix (66 F3 F7 /6 decodes as a 32-bit DIV, 66 F3 6F as OUTSD), but gets
 * F3 66 right. Legacy prefixes mean the same in any order (SDM Vol. 2A
 * 2.1.1), so dec_one() decodes with F2/F3 at the front of the prefix run;
 * the length and every operand stay the same. But for the F2/F3 opcodes of
 * the SSE-era map (POPCNT: F3 0F B8) Capstone 4 wants the F3 last, next to
 * the opcode (67 F3 0F B8 decodes, F3 67 0F B8 does not): the second try
 * puts it there. */
#include <stdio.h>
#include <string.h>
#include "prefix.h"
#include "decode_fixup.h"

void dec_order_prefixes(uint8_t *b, unsigned n, int rep_last)
{
	unsigned run = 0;
	while (run < n && dec_is_legacy_prefix(b[run]))
		run++;
	uint8_t rep[15], other[15];
	unsigned nr = 0, no = 0;
	for (unsigned i = 0; i < run; i++) {
		if (b[i] == 0xf2 || b[i] == 0xf3)
			rep[nr++] = b[i];
		else
			other[no++] = b[i];
	}
	memcpy(b + (rep_last ? no : 0), rep, nr);
	memcpy(b + (rep_last ? 0 : nr), other, no);
}

void dec_fix_names(cs_insn *insn, unsigned bits)
{
	/* Capstone 4 names 98/99 CWDE/CDQ in 16-bit code too; without 66h
	 * they are CBW/CWD there (SDM Vol. 2A CBW, CWD: operand size 16). */
	if (bits == 16 && !dec_has_prefix(insn, 0x66) &&
	    (insn->id == X86_INS_CWDE || insn->id == X86_INS_CDQ)) {
		int cwd = insn->id == X86_INS_CDQ;
		insn->id = cwd ? X86_INS_CWD : X86_INS_CBW;
		snprintf(insn->mnemonic, sizeof(insn->mnemonic), cwd ? "cwd" : "cbw");
	}
	/* Capstone 4 names F3 0F BC/BD with a 16-bit operand (real mode, or
	 * 66h) BSF/BSR; the F3 makes it TZCNT/LZCNT (SDM Vol. 2B TZCNT, Vol.
	 * 2A LZCNT). The name keys signatures and the known list; the id
	 * stays (the reference dispatches on it and falls back to BSF/BSR
	 * without BMI1/ABM). */
	if ((insn->id == X86_INS_BSF || insn->id == X86_INS_BSR) && dec_has_prefix(insn, 0xf3))
		snprintf(insn->mnemonic, sizeof(insn->mnemonic),
			 insn->id == X86_INS_BSF ? "tzcnt" : "lzcnt");
	/* Capstone 4 decodes RDPID (F3 0F C7 /7, mod = 3) as RDSEED with an
	 * F3 prefix; the reference runs it as RDPID by that prefix. The name
	 * keys signatures, so it says what the CPU runs. */
	if (insn->id == X86_INS_RDSEED && dec_has_prefix(insn, 0xf3) &&
	    !dec_has_prefix(insn, 0xf2))
		snprintf(insn->mnemonic, sizeof(insn->mnemonic), "rdpid");
}
