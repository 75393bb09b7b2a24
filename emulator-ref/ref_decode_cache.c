/* ref_decode_cache.h: decodes reused by RIP, then by bytes. */
#include <stddef.h>
#include <string.h>
#include "ref_decode_cache.h"

/* The part of cs_detail an x86 decode fills: the union after it holds
 * every architecture's details, 1848 bytes in all against 544, and copying
 * the whole of it was a tenth of the reference's time on a case that runs
 * through memory (a decode shared by bytes at every step). */
#define X86_DETAIL_SIZE (offsetof(cs_detail, x86) + sizeof(cs_x86))

/* Copies src into dst, whose detail buffer stays its own, at rip. */
static void insn_copy(cs_insn *dst, const cs_insn *src, uint64_t rip)
{
	cs_detail *keep = dst->detail;
	*dst = *src;
	dst->detail = keep;
	memcpy(keep, src->detail, X86_DETAIL_SIZE);
	dst->address = rip;
}

/* Does the decode of these bytes not depend on their address? Relative
 * branches (JMP, Jcc, CALL, LOOP, JrCXZ) hold their target; XBEGIN holds
 * its fallback address. Indirect and far branches are left out with them:
 * rare, and not worth a finer test. */
static int address_free(const cs_insn *in)
{
	const cs_detail *dt = in->detail;
	for (unsigned i = 0; i < dt->groups_count; i++)
		if (dt->groups[i] == CS_GRP_JUMP || dt->groups[i] == CS_GRP_CALL ||
		    dt->groups[i] == CS_GRP_BRANCH_RELATIVE)
			return 0;
	return in->id != X86_INS_XBEGIN;
}

static struct ref_dcache_slot *slot_by_bytes(struct ref_dcache *c, unsigned bits,
					     const uint8_t *buf, unsigned n)
{
	uint64_t w[2] = { 0, 0 };
	memcpy(w, buf, n);
	uint64_t h = (w[0] * 0x9e3779b97f4a7c15ull) ^ (w[1] * 0xc2b2ae3d27d4eb4full) ^ (bits << 4) ^ n;
	h ^= h >> 29;
	return &c->by_bytes[(h * 0x9e3779b97f4a7c15ull) >> 40 & (REF_DCACHE_BY_BYTES - 1)];
}

static int slot_holds(const struct ref_dcache_slot *s, unsigned bits, const uint8_t *buf,
		      unsigned n)
{
	return s->n == n && s->bits == bits && memcmp(s->bytes, buf, n) == 0;
}

static void slot_key(struct ref_dcache_slot *s, unsigned bits, const uint8_t *buf, unsigned n)
{
	s->bits = (uint8_t)bits;
	s->n = (uint8_t)n;
	memcpy(s->bytes, buf, n);
}

const cs_insn *ref_dcache_decode(struct ref_dcache *c, struct dec *d, unsigned bits,
				 uint64_t rip, const uint8_t *buf, unsigned n)
{
	struct ref_dcache_slot *sl = &c->by_rip[(rip ^ (rip >> 9) ^ bits) & (REF_DCACHE_BY_RIP - 1)];
	if (sl->rip == rip && slot_holds(sl, bits, buf, n))
		return sl->insn;
	if (!sl->insn && !(sl->insn = dec_insn_new(d)))
		return NULL;
	struct ref_dcache_slot *sb = c->no_sharing ? NULL : slot_by_bytes(c, bits, buf, n);
	if (sb && slot_holds(sb, bits, buf, n)) {
		insn_copy(sl->insn, sb->insn, rip);
	} else {
		/* Into the scratch insn, swapped in on success. */
		c->decodes++;
		if (!dec_one(d, bits, buf, n, rip, d->insn))
			return NULL;
		cs_insn *t = sl->insn;
		sl->insn = d->insn;
		d->insn = t;
		if (sb && address_free(sl->insn) && (sb->insn || (sb->insn = dec_insn_new(d)))) {
			insn_copy(sb->insn, sl->insn, 0);
			slot_key(sb, bits, buf, n);
		}
	}
	sl->rip = rip;
	slot_key(sl, bits, buf, n);
	return sl->insn;
}

void ref_dcache_free(struct ref_dcache *c)
{
	for (unsigned i = 0; i < REF_DCACHE_BY_RIP; i++)
		if (c->by_rip[i].insn)
			cs_free(c->by_rip[i].insn, 1);
	for (unsigned i = 0; i < REF_DCACHE_BY_BYTES; i++)
		if (c->by_bytes[i].insn)
			cs_free(c->by_bytes[i].insn, 1);
	memset(c, 0, sizeof(*c));
}
