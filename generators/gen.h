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
 * and a default id "NAME-SEEDHEX"; callers may rename it. Always long64
 * without knobs (gen_make_ex with a NULL config). */
void gen_make(const struct generator *g, uint64_t seed, struct test_case *c);

/* Lanes: the (mode, knob) classes a campaign counts separately. long64
 * with the cpl3 knob is its own lane: native CPL3 and the emulator at
 * CPL0 are different code in KVM; so is every case under the MSR filter
 * (knob msr-exit, any mode): KVM's user-space MSR exits; and every other
 * case with an event (case_event.h): KVM's event injection and interrupt
 * window. */
enum gen_lane {
	LANE_LONG64, LANE_LONG64_CPL3, LANE_PROT32, LANE_PROT32PG, LANE_REAL16,
	LANE_COMPAT32, LANE_PROT32PAE, LANE_V86, LANE_MSR_EXIT, LANE_EVENTS,
	LANE_COUNT
};
enum gen_lane gen_lane_of(const struct test_case *c);
const char *gen_lane_name(enum gen_lane l);   /* "long64+cpl3", "real16" .. */

/* How gen_make_ex picks a case's mode and knobs (per case, from the seed). */
enum gen_knob_policy {
	GEN_KNOBS_DEFAULT, /* long64: a share of cpl3; a small share of random knobs */
	GEN_KNOBS_NONE,    /* never */
	GEN_KNOBS_RANDOM,  /* a random subset of the knobs of the case's mode */
	GEN_KNOBS_FIXED,   /* exactly `knobs` (only modes it applies to are picked) */
};

struct gen_config {
	uint8_t modes;       /* 1 << MODE_*; 0 = every mode (default weights) */
	uint8_t policy;      /* enum gen_knob_policy */
	uint32_t knobs;      /* GEN_KNOBS_FIXED */
};

/* What the generator put in a case, for the campaign's per-family counts. */
struct gen_info {
	uint32_t families;   /* 1 << enum gen_family of every template emitted */
	uint32_t insns;      /* templated instructions emitted */
};

/* Instruction classes: the template families (gen_templates.c). */
enum gen_family {
	FAM_ALU, FAM_BITS, FAM_MOVE, FAM_STACK, FAM_CTL, FAM_FLAGS, FAM_STRING,
	FAM_IO, FAM_SYS, FAM_TRAP, FAM_LEGACY, FAM_FP, FAM_COUNT
};
const char *gen_family_name(unsigned f);

/* Parses --mode: "long64", "prot32", "prot32-paged", "real16", "compat32", "prot32-pae", "all", or a
 * comma list. Returns the mode mask, 0 on error. */
uint8_t gen_parse_modes(const char *s);
/* Parses --knobs ("none", "random", or NAME,NAME...) into cfg. Returns 0,
 * or -1 with a message in err. */
int gen_parse_knobs(const char *s, struct gen_config *cfg, char *err, size_t errlen);
/* Checks cfg: with fixed knobs at least one selected mode must take them.
 * Returns 0 or -1 with a message in err. */
int gen_config_check(const struct gen_config *cfg, char *err, size_t errlen);

/* gen_make with a mode/knob policy (NULL = long64, no knobs) and, when
 * info is not NULL, what was generated. The mode and knobs come from their
 * own stream of the seed, so a long64 case without knobs is the same case
 * gen_make makes from that seed. Registers are masked with
 * mode_reg_mask(), knobs are always valid for the mode. */
void gen_make_ex(const struct generator *g, const struct gen_config *cfg, uint64_t seed,
		 struct test_case *c, struct gen_info *info);


/* --- gen_regs.c --- */

/* A value weighted toward extremes and interesting bit patterns. */
uint64_t gen_value(struct gen_rng *r);
/* An immediate or displacement of `bytes` (1, 2, 4, 8) bytes: interesting
 * values trimmed to the width (0, 1, -1, sign boundaries, random). */
uint64_t gen_imm(struct gen_rng *r, unsigned bytes);
/* A guest address worth touching in long64: data pages (and their edges,
 * the split at LAYOUT_DATA+0x1000), the MMIO window, the stack, the code
 * page, the unmapped pages, non-canonical addresses, the null page, RO
 * tables. */
uint64_t gen_pointer(struct gen_rng *r);
/* The same for mode m: flat addresses in prot32 (MMIO above RAM, the
 * read-only system area), offsets from segment base 0x10000 in real16. */
uint64_t gen_pointer_mode(struct gen_rng *r, enum cpu_mode m);
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
