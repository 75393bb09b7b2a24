/* The one PRNG of the generators: xoshiro256** seeded through splitmix64.
 * Explicit state, no rand(): the same seed gives the same cases on every
 * machine and in every process. */
#ifndef EXITDIFF_GEN_RNG_H
#define EXITDIFF_GEN_RNG_H

#include <stdint.h>

struct gen_info;

/* The generator's whole state, passed explicitly to every template: the
 * PRNG, and what the case being generated asks of them. */
struct gen_rng {
	uint64_t s[4];
	uint8_t mode;            /* enum cpu_mode: gen_pointer() aims into its regions */
	struct gen_info *info;   /* templates add their family; NULL: nobody asked */
};

/* Seeds the state (mode long64, no info); every seed (even 0) gives a
 * usable, distinct stream. */
void gen_rng_seed(struct gen_rng *r, uint64_t seed);

static inline uint64_t gen_rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman & Vigna): fast, 256-bit state, passes BigCrush. */
static inline uint64_t gen_rng_next(struct gen_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = gen_rng_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = gen_rng_rotl(s[3], 45);
	return out;
}

/* Uniform in [0, n) for n >= 1 (multiply-shift: no modulo bias worth
 * caring about at the sizes used here, and no division). */
static inline uint32_t gen_rng_below(struct gen_rng *r, uint32_t n)
{
	return (uint32_t)(((gen_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* True with probability pct/100. */
static inline int gen_rng_chance(struct gen_rng *r, unsigned pct)
{
	return gen_rng_below(r, 100) < pct;
}

/* One splitmix64 step: the mixer used to derive seeds. */
uint64_t gen_mix64(uint64_t x);

/* The seed of one case from a base seed and two indices (a generator's
 * --seed and case index; a campaign's --seed, worker and exec index).
 * Distinct inputs give unrelated seeds. */
uint64_t gen_case_seed(uint64_t base, uint64_t a, uint64_t b);

#endif
