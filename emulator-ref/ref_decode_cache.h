/* The reference's decoded instructions (ref_decode_cache.c). Capstone with
 * details costs far more than executing an instruction (it also formats
 * op_str text), so a decode is reused:
 *
 *   by RIP:   the same bytes at the same address, a loop within a case or
 *             the same code in the next case; the instruction as decoded.
 *   by bytes: the same fetched bytes at another address, as zeroed memory
 *             (00 00, ADD [BX+SI],AL in 16-bit code) runs through 4096
 *             steps of real16 cases that spend the step budget; a copy with
 *             its address set. Only instructions whose decode the address
 *             does not change: Capstone puts a relative branch's absolute
 *             target in its operand.
 *
 * A hit needs the same code size, the same fetched length and the same
 * bytes (up to 15, more than the instruction), which determine the
 * decode completely: Capstone and decode_fixup.c read nothing else. */
#ifndef EXITDIFF_REF_DECODE_CACHE_H
#define EXITDIFF_REF_DECODE_CACHE_H

#include <stdint.h>
#include <capstone/capstone.h>
#include "../decode/decode.h"

#define REF_DCACHE_BY_RIP 512u
/* 512 catch nearly all the sharing the default mix offers (1024: 1.5%
 * more hits), and each slot holds a cs_insn with its 1.8 KB of detail. */
#define REF_DCACHE_BY_BYTES 512u

struct ref_dcache_slot {
	uint64_t rip;        /* by RIP only */
	uint8_t n;           /* bytes fetched; 0 = empty */
	uint8_t bits;        /* decode mode: 16, 32 or 64 */
	uint8_t bytes[15];
	cs_insn *insn;       /* cs_malloc'd on first use */
};

struct ref_dcache {
	struct ref_dcache_slot by_rip[REF_DCACHE_BY_RIP];
	struct ref_dcache_slot by_bytes[REF_DCACHE_BY_BYTES];
	int no_sharing;      /* tests: decode at every new address */
	uint64_t decodes;    /* Capstone decodes so far, failed ones too */
};

/* The instruction the n fetched bytes buf at rip decode to in bits-bit
 * code, through the cache; NULL when they are not a valid instruction
 * (never cached) or out of memory. The instruction stays valid until the
 * next call: a failed decode never clobbers it, so the instruction run
 * last still names the outcome. */
const cs_insn *ref_dcache_decode(struct ref_dcache *c, struct dec *d, unsigned bits,
				 uint64_t rip, const uint8_t *buf, unsigned n);
void ref_dcache_free(struct ref_dcache *c);

#endif
