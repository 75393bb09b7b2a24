/* Minimizer internals shared by the engine, the x86 decoding helpers and the
 * passes. Not for use outside minimizer/. */
#ifndef EXITDIFF_MIN_INTERNAL_H
#define EXITDIFF_MIN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "decode.h"
#include "min.h"

/* ---- engine (min_engine.c): knows the predicate, nothing of x86 ---- */

struct min_engine {
	min_pred same;
	void *ctx;
	struct test_case best;      /* smallest case known to satisfy same */
	unsigned long evals, accepted, cached;
	unsigned long budget;
	double deadline_ms;         /* min_now_ms() limit, 0: none */
	int stop;                   /* budget spent or predicate failed */
	int pred_failed;
	/* Hashes of candidates already evaluated and rejected: ddmin and the
	 * fixed-point loop revisit the same candidates often. */
	uint64_t *seen;
	size_t seen_n, seen_cap;    /* cap is a power of two */
};

/* Sets up e with in as the best case. Returns 0 or MIN_ERR_NOMEM. */
int min_engine_init(struct min_engine *e, const struct test_case *in,
		    min_pred same, void *ctx, unsigned long budget);
void min_engine_fini(struct min_engine *e);

/* Evaluates cand. When the predicate holds and cand is no larger than the
 * best (code_len, data_len, non-default registers), cand becomes the best
 * and 1 is returned; else 0. A candidate equal to the best, one already
 * rejected, or any candidate once e->stop is set, is not evaluated. */
int min_try(struct min_engine *e, const struct test_case *cand);

/* Builds a candidate from base keeping only the units with keep[i] != 0;
 * what "dropping" a unit means (removing bytes, NOPing, zeroing) is the
 * pass's business. Returns 0, or -1 when no valid candidate results. */
typedef int (*min_build_fn)(void *pctx, const struct test_case *base,
			    const uint8_t *keep, unsigned n,
			    struct test_case *out);

/* ddmin-style list reduction over n units of e->best as it is on entry:
 * drops chunks of n/2, n/4, ... units, then single units, each kept only
 * when min_try accepts it. Walks back to front so that dropping a late
 * unit does not shift the positions of the ones still to try. Returns the
 * number of units dropped, or 0 on allocation failure. */
unsigned min_reduce(struct min_engine *e, unsigned n, min_build_fn build,
		    void *pctx);

double min_now_ms(void);

/* ---- x86 helpers (min_insn.c), in the case's mode ---- */

struct min_insn {
	uint16_t off, len;
	uint8_t valid;          /* 0: bytes Capstone does not decode (1 byte) */
	uint8_t npfx;           /* legacy (and in 64-bit code REX) prefix bytes at the start */
	uint8_t imm_off, imm_size; /* within the instruction; size 0: none */
	uint8_t is_nop;         /* every byte is 0x90 */
};

/* Splits code into instructions at the boundaries of mode's code size; an
 * undecodable byte is a one-byte unit of its own. Returns the number of
 * units (<= max). */
unsigned min_decode(struct dec *d, enum cpu_mode mode, const uint8_t *code, unsigned len,
		    struct min_insn *out, unsigned max);
/* 1 when b[0..len) decodes in mode as exactly one instruction of length
 * len. */
int min_decodes_as_one(struct dec *d, enum cpu_mode mode, const uint8_t *b, unsigned len);

/* ---- policy (min_passes.c, min_pass_state.c) ---- */

struct min_pass_ctx {
	struct min_engine *e;
	struct dec *dec;
	struct min_insn insns[CASE_CODE_MAX];
	unsigned ninsns;
	/* case_init's registers: GPRs, then RFLAGS at index GPR_COUNT. */
	uint64_t def_regs[GPR_COUNT + 1];
	struct test_case scratch;   /* a candidate under construction */
	/* units -> indexes (instructions, registers, data bytes) */
	uint16_t map[CASE_DATA_MAX > CASE_CODE_MAX ? CASE_DATA_MAX : CASE_CODE_MAX];
};

struct min_pass {
	const char *name;
	const char *unit;       /* what measure counts, for the log */
	unsigned long (*measure)(struct min_pass_ctx *p, const struct test_case *c);
	void (*run)(struct min_pass_ctx *p);
};

/* Passes on the environment (min_pass_env.c): knobs, mode. */
void min_pass_drop_knobs(struct min_pass_ctx *p);
void min_pass_simpler_mode(struct min_pass_ctx *p);
unsigned long min_measure_knobs(struct min_pass_ctx *p, const struct test_case *c);
unsigned long min_measure_mode(struct min_pass_ctx *p, const struct test_case *c);

/* Passes on registers and data (min_pass_state.c). */
void min_pass_zero_regs(struct min_pass_ctx *p);
void min_pass_simplify_regs(struct min_pass_ctx *p);
void min_pass_zero_data(struct min_pass_ctx *p);
void min_pass_trim_data(struct min_pass_ctx *p);
unsigned long min_measure_regs(struct min_pass_ctx *p, const struct test_case *c);
unsigned long min_measure_reg_bits(struct min_pass_ctx *p, const struct test_case *c);
unsigned long min_measure_data_nonzero(struct min_pass_ctx *p, const struct test_case *c);
unsigned long min_measure_data_len(struct min_pass_ctx *p, const struct test_case *c);

/* Greedy simplification of one unsigned field of width bits (<= 64)
 * holding v, each step strictly smaller than the last accepted value:
 * 0, 1, v truncated to 8/16/32 bits, then every set bit cleared from the
 * highest down. try_fn returns 1 when the value was accepted. Returns the
 * final value. */
typedef int (*min_value_try_fn)(void *pctx, uint64_t v);
uint64_t min_shrink_value(uint64_t v, unsigned bits, min_value_try_fn try_fn,
			  void *pctx);

#endif
