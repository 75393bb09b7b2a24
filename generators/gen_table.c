/* The table of generators: name -> function, and the one entry point that
 * makes a case from a seed. */
#include <stdio.h>
#include <string.h>
#include "case_bin.h"
#include "gen.h"

const struct generator gen_table[] = {
	{ "insn", gen_insn, "1-8 templated instructions (prefixes, ModRM/SIB, aimed memory operands), usually then HLT" },
	{ "regs", gen_regs, "interesting register/RFLAGS/data state around one templated instruction" },
	{ "raw",  gen_raw,  "random bytes through the binary case decoder (baseline)" },
};
const size_t gen_table_n = sizeof(gen_table) / sizeof(gen_table[0]);

const struct generator *gen_lookup(const char *name)
{
	for (size_t i = 0; i < gen_table_n; i++)
		if (!strcmp(gen_table[i].name, name))
			return &gen_table[i];
	return NULL;
}

void gen_make(const struct generator *g, uint64_t seed, struct test_case *c)
{
	struct gen_rng r;
	case_init(c);
	gen_rng_seed(&r, seed);
	g->fn(&r, c);
	/* The invariants every executor relies on (case.h), enforced here
	 * once rather than trusted in each generator. */
	c->mode = MODE_LONG64;
	c->knobs &= KNOBS_KNOWN;
	c->rflags = (c->rflags & RFLAGS_CASE_SETTABLE) | RFLAGS_FIXED1;
	if (c->code_len > CASE_CODE_MAX)
		c->code_len = CASE_CODE_MAX;
	if (c->data_len > CASE_DATA_MAX)
		c->data_len = CASE_DATA_MAX;
	c->seed = seed;
	/* "NAME-SEED" by hand: this runs for every exec of a campaign. */
	size_t n = strnlen(g->name, sizeof(c->id) - 18);
	memcpy(c->id, g->name, n);
	c->id[n++] = '-';
	for (int i = 15; i >= 0; i--)
		c->id[n++] = "0123456789abcdef"[(seed >> (4 * i)) & 15];
	c->id[n] = 0;
}

/* raw: the baseline every structured generator must beat. Random bytes,
 * biased toward short inputs where the decoder's header matters. */
int gen_raw(struct gen_rng *r, struct test_case *c)
{
	uint8_t buf[512];
	size_t len = 1 + gen_rng_below(r, gen_rng_chance(r, 80) ? 200 : sizeof(buf));
	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = gen_rng_next(r);
		size_t n = len - i < 8 ? len - i : 8;
		memcpy(buf + i, &v, n);
	}
	case_decode(buf, len, c);
	return 0;
}
