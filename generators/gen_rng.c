/* Seeding and seed derivation for the generators' PRNG. */
#include <stddef.h>
#include "gen_rng.h"

uint64_t gen_mix64(uint64_t x)
{
	/* splitmix64's finaliser (Steele, Lea, Flood): a bijection, so
	 * distinct inputs never collide. */
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void gen_rng_seed(struct gen_rng *r, uint64_t seed)
{
	/* splitmix64 expands the seed: xoshiro's state must not be all zero,
	 * and splitmix64 never yields four zero words in a row. */
	r->mode = 0;
	r->info = NULL;
	uint64_t x = seed;
	for (int i = 0; i < 4; i++) {
		r->s[i] = gen_mix64(x);
		x += 0x9e3779b97f4a7c15ull;
	}
}

uint64_t gen_case_seed(uint64_t base, uint64_t a, uint64_t b)
{
	return gen_mix64(gen_mix64(gen_mix64(base) ^ a) ^ (b * 0xd1b54a32d192ed03ull));
}
