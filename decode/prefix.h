/* Legacy prefix bytes of a decoded instruction (SDM Vol. 2A 2.1.1), read
 * from its bytes: what decode.h's users and decode_fixup.c both ask. */
#ifndef EXITDIFF_DECODE_PREFIX_H
#define EXITDIFF_DECODE_PREFIX_H

#include <stdint.h>
#include <capstone/capstone.h>

/* 1 for a legacy prefix byte (SDM Vol. 2A 2.1.1): LOCK, REPNE/REP,
 * segment overrides, operand- and address-size. */
static inline int dec_is_legacy_prefix(uint8_t b)
{
	return b == 0xf0 || b == 0xf2 || b == 0xf3 || b == 0x2e || b == 0x36 ||
	       b == 0x3e || b == 0x26 || b == 0x64 || b == 0x65 || b == 0x66 ||
	       b == 0x67;
}

/* 1 when insn's legacy prefixes (before any REX and the opcode) include
 * byte p. Capstone 4 drops an operand-size prefix that precedes a REP
 * prefix (66 F3 6F decodes as OUTSD), so sizes that hinge on 66h are read
 * from the bytes. */
static inline int dec_has_prefix(const cs_insn *insn, uint8_t p)
{
	for (unsigned i = 0; i < insn->size; i++) {
		uint8_t b = insn->bytes[i];
		if (b == p)
			return 1;
		if (!dec_is_legacy_prefix(b))
			return 0;
	}
	return 0;
}

#endif
