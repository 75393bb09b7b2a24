/* What Capstone 4.0.2 decodes differently from the CPU, put right once for
 * every user of decode.h. Internal to decode/. */
#ifndef EXITDIFF_DECODE_FIXUP_H
#define EXITDIFF_DECODE_FIXUP_H

#include <stdint.h>
#include <capstone/capstone.h>

/* Reorders the legacy prefix run at the start of b[0..n): REP/REPNE first
 * (rep_last = 0) or last, next to the opcode (rep_last = 1); the other
 * prefixes keep their order. */
void dec_order_prefixes(uint8_t *b, unsigned n, int rep_last);

/* Renames (id or mnemonic) an instruction Capstone 4 names after a
 * different one than the CPU runs, in bits-bit code. */
void dec_fix_names(cs_insn *insn, unsigned bits);

#endif
