/* decode.h: the three Capstone handles and one-instruction decode. */
#include <stdio.h>
#include <string.h>
#include "mode.h"
#include "decode.h"
#include "decode_fixup.h"

int dec_open(struct dec *d, char *err, size_t errlen)
{
	static const cs_mode modes[DEC_COUNT] = { CS_MODE_16, CS_MODE_32, CS_MODE_64 };
	memset(d, 0, sizeof(*d));
	for (unsigned i = 0; i < DEC_COUNT; i++) {
		cs_err ce = cs_open(CS_ARCH_X86, modes[i], &d->cs[i]);
		if (ce != CS_ERR_OK) {
			snprintf(err, errlen, "decode: cs_open(%u-bit) failed: %s (%s:%d)",
				 16u << i, cs_strerror(ce), __FILE__, __LINE__);
			dec_close(d);
			return -1;
		}
		/* Every user reads operands, prefixes or immediate offsets. */
		cs_option(d->cs[i], CS_OPT_DETAIL, CS_OPT_ON);
	}
	/* Every handle allocates the same cs_insn layout: any one serves. */
	d->insn = cs_malloc(d->cs[DEC_64]);
	if (!d->insn) {
		snprintf(err, errlen, "decode: cs_malloc failed (%s:%d)", __FILE__, __LINE__);
		dec_close(d);
		return -1;
	}
	return 0;
}

void dec_close(struct dec *d)
{
	if (d->insn)
		cs_free(d->insn, 1);
	d->insn = NULL;
	for (unsigned i = 0; i < DEC_COUNT; i++)
		if (d->cs[i])
			cs_close(&d->cs[i]);
}

unsigned dec_bits(enum cpu_mode m)
{
	return mode_real_segs(m) ? 16 : m == MODE_LONG64 ? 64 : 32;
}

csh dec_handle(const struct dec *d, unsigned bits)
{
	return d->cs[bits == 16 ? DEC_16 : bits == 32 ? DEC_32 : DEC_64];
}

cs_insn *dec_insn_new(struct dec *d)
{
	return cs_malloc(d->cs[DEC_64]);
}

unsigned dec_one(struct dec *d, unsigned bits, const uint8_t *code, size_t len,
		 uint64_t addr, cs_insn *out)
{
	if (!out)
		out = d->insn;
	/* No instruction is longer than 15 bytes (SDM Vol. 2A 2.3.11): a
	 * copy that long decodes as the whole code would, and the prefix
	 * reordering may rewrite it. */
	uint8_t b[15];
	unsigned n = len < sizeof(b) ? (unsigned)len : (unsigned)sizeof(b);
	if (!n)
		return 0;
	csh h = dec_handle(d, bits);
	int ok = 0;
	for (int rep_last = 0; rep_last < 2 && !ok; rep_last++) {
		memcpy(b, code, n);
		dec_order_prefixes(b, n, rep_last);
		const uint8_t *p = b;
		size_t size = n;
		uint64_t a = addr;
		ok = cs_disasm_iter(h, &p, &size, &a, out);
	}
	if (!ok)
		return 0;
	dec_fix_names(out, bits);
	return out->size;
}
