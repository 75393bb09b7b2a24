/* x86 helpers for the minimizer passes: instruction boundaries, prefix
 * bytes and immediate fields, from Capstone in 64-bit mode (the only mode
 * cases have so far, see case.h). */
#include <string.h>
#include "min_internal.h"

int min_dec_open(struct min_dec *d)
{
	memset(d, 0, sizeof(*d));
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &d->cs) != CS_ERR_OK)
		return -1;
	cs_option(d->cs, CS_OPT_DETAIL, CS_OPT_ON);
	d->insn = cs_malloc(d->cs);
	if (!d->insn) {
		cs_close(&d->cs);
		return -1;
	}
	return 0;
}

void min_dec_close(struct min_dec *d)
{
	if (d->insn)
		cs_free(d->insn, 1);
	d->insn = NULL;
	cs_close(&d->cs);
}

/* Legacy prefixes (SDM Vol. 2A 2.1.1): lock/rep, segment overrides,
 * operand- and address-size. REX (40-4f) is a prefix only in 64-bit mode
 * (SDM Vol. 2A 2.2.1), which is the mode we decode in. */
static int is_prefix(uint8_t b)
{
	switch (b) {
	case 0xf0: case 0xf2: case 0xf3:
	case 0x2e: case 0x36: case 0x3e: case 0x26: case 0x64: case 0x65:
	case 0x66: case 0x67:
		return 1;
	default:
		return (b & 0xf0) == 0x40;
	}
}

/* Decodes one instruction at code[off]; returns its length or 0. */
static unsigned decode_one(struct min_dec *d, const uint8_t *code, unsigned len,
			   unsigned off)
{
	const uint8_t *p = code + off;
	size_t size = len - off;
	uint64_t addr = off;
	if (!cs_disasm_iter(d->cs, &p, &size, &addr, d->insn))
		return 0;
	return d->insn->size;
}

unsigned min_decode(struct min_dec *d, const uint8_t *code, unsigned len,
		    struct min_insn *out, unsigned max)
{
	unsigned n = 0;
	for (unsigned off = 0; off < len && n < max; n++) {
		struct min_insn *mi = &out[n];
		memset(mi, 0, sizeof(*mi));
		mi->off = off;
		unsigned l = decode_one(d, code, len, off);
		if (!l) {
			mi->len = 1;
			mi->is_nop = code[off] == 0x90;
			off++;
			continue;
		}
		mi->len = l;
		mi->valid = 1;
		unsigned k = 0;
		while (k + 1 < l && is_prefix(code[off + k]))
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

int min_decodes_as_one(struct min_dec *d, const uint8_t *b, unsigned len)
{
	return len && decode_one(d, b, len, 0) == len;
}
