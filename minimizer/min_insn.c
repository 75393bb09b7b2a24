/* x86 helpers for the minimizer passes: instruction boundaries, prefix
 * bytes and immediate fields, decoded (decode.h) in the mode of the case
 * being minimized: 16-, 32- and 64-bit code split differently (B8 iw is
 * three bytes in real mode, five in the others; 40-4F are REX prefixes
 * only in 64-bit mode). */
#include <string.h>
#include "min_internal.h"

/* Prefixes at the start of an instruction (SDM Vol. 2A 2.1.1, 2.2.1): the
 * legacy ones, and REX in 64-bit mode only (elsewhere 40-4F are INC/DEC). */
static int is_prefix(uint8_t b, unsigned bits)
{
	return dec_is_legacy_prefix(b) || (bits == 64 && (b & 0xf0) == 0x40);
}

static unsigned decode_one(struct dec *d, unsigned bits, const uint8_t *code, unsigned len,
			   unsigned off)
{
	return dec_one(d, bits, code + off, len - off, off, NULL);
}

unsigned min_decode(struct dec *d, enum cpu_mode mode, const uint8_t *code, unsigned len,
		    struct min_insn *out, unsigned max)
{
	unsigned bits = dec_bits(mode);
	unsigned n = 0;
	for (unsigned off = 0; off < len && n < max; n++) {
		struct min_insn *mi = &out[n];
		memset(mi, 0, sizeof(*mi));
		mi->off = off;
		unsigned l = decode_one(d, bits, code, len, off);
		if (!l) {
			mi->len = 1;
			mi->is_nop = code[off] == 0x90;
			off++;
			continue;
		}
		mi->len = l;
		mi->valid = 1;
		unsigned k = 0;
		while (k + 1 < l && is_prefix(code[off + k], bits))
			k++;
		mi->npfx = k;
		const cs_x86 *x = &d->insn->detail->x86;
		if (x->encoding.imm_size && x->encoding.imm_offset &&
		    x->encoding.imm_offset + x->encoding.imm_size <= l) {
			mi->imm_off = x->encoding.imm_offset;
			mi->imm_size = x->encoding.imm_size;
		}
		mi->is_nop = 1;
		for (unsigned i = 0; i < l; i++)
			mi->is_nop &= code[off + i] == 0x90;
		off += l;
	}
	return n;
}

int min_decodes_as_one(struct dec *d, enum cpu_mode mode, const uint8_t *b, unsigned len)
{
	return len && decode_one(d, dec_bits(mode), b, len, 0) == len;
}
