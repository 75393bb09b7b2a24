/*
 * Named, seeded, deterministic case generators. A generator fills a case
 * from a PRNG; the same seed always gives the same case.
 *
 *   gen_rng.c        the PRNG and seed derivation
 *   gen_table.c      the table of generators, lookup, gen_make
 *   gen_regs.c       register-state and value generator (used by all)
 *   gen_insn.c       the structured instruction-stream encoder
 *   gen_templates.c  the instruction templates it draws from
 */
#ifndef EXITDIFF_GEN_H
#define EXITDIFF_GEN_H

#include <stddef.h>
#include <stdint.h>
#include "case.h"
#include "gen_rng.h"

/* A generator fills c (already case_init'ed) from r. Returns 0. */
typedef int (*gen_fn)(struct gen_rng *r, struct test_case *c);

struct generator {
	const char *name;
	gen_fn fn;
	const char *help;
};

extern const struct generator gen_table[];
extern const size_t gen_table_n;

/* The generator called name, or NULL. */
const struct generator *gen_lookup(const char *name);

/* Makes the case of `seed`: case_init, seed the PRNG, run the generator,
 * then enforce the case invariants (lengths, RFLAGS). Sets c->seed = seed
 * and a default id "NAME-SEEDHEX"; callers may rename it. */
void gen_make(const struct generator *g, uint64_t seed, struct test_case *c);

/* --- gen_regs.c --- */

/* A value weighted toward extremes and interesting bit patterns. */
uint64_t gen_value(struct gen_rng *r);
/* An immediate or displacement of `bytes` (1, 2, 4, 8) bytes: interesting
 * values trimmed to the width (0, 1, -1, sign boundaries, random). */
uint64_t gen_imm(struct gen_rng *r, unsigned bytes);
/* A guest address worth touching: data pages (and their edges, the split
 * at LAYOUT_DATA+0x1000), the MMIO window, the stack, the code page, the
 * unmapped pages, non-canonical addresses, the null page, RO tables. */
uint64_t gen_pointer(struct gen_rng *r);
/* An I/O port worth accessing. */
uint16_t gen_port(struct gen_rng *r);
/* Fills every GPR (RSP kept sane most of the time) and RFLAGS' settable
 * bits, and sometimes an initial data image. */
void gen_regs_fill(struct gen_rng *r, struct test_case *c);

/* --- gen_insn.c --- */

/* Appends one templated instruction at c->code_len (adjusting registers
 * the template wants aimed). Returns its length, 0 when it did not fit. */
unsigned gen_insn_one(struct gen_rng *r, struct test_case *c);
/* Appends instruction `t` of the template table, for tests. */
unsigned gen_insn_template(struct gen_rng *r, struct test_case *c, size_t t);

/* The generators themselves. */
int gen_raw(struct gen_rng *r, struct test_case *c);
int gen_regs(struct gen_rng *r, struct test_case *c);
int gen_insn(struct gen_rng *r, struct test_case *c);

#endif
