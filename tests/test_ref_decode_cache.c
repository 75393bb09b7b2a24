/* The reference's decode cache (emulator-ref/ref_decode_cache.h) changes
 * how often Capstone runs, never what a case does:
 *   - relative branches whose fetched bytes repeat at the next address
 *     (JMP, Jcc, CALL, LOOP with rel 0) still go to the instruction after
 *     their own, so their decode is not shared between addresses;
 *   - real16 code through zeroed memory (ADD [BX+SI],AL at every address)
 *     decodes a handful of times, not once per step;
 *   - generated cases of every mode and knob give, byte for byte, the
 *     outcome of a reference that decodes at every new address, with
 *     fewer decodes. */
#include <string.h>
#include "check.h"
#include "gen.h"
#include "gen_rng.h"
#include "outcome_check.h"
#include "ref_internal.h"
#include "ref_decode_cache.h"

static struct test_case tc;
static struct outcome o;

/* code repeated reps times, then HLT, in mode m: the HLT is reached after
 * reps + 1 steps when every branch goes to the next instruction; a branch
 * to itself would loop to the step budget. */
static void check_repeated_branch(struct executor *ex, enum cpu_mode m, const char *name,
				  const uint8_t *code, unsigned len, unsigned reps)
{
	uint8_t buf[CASE_CODE_MAX];
	unsigned n = 0;
	for (unsigned i = 0; i < reps; i++, n += len)
		memcpy(buf + n, code, len);
	buf[n] = 0xf4;
	oc_start(&tc, m, 0);
	tc.gpr[RCX] = 1000; /* LOOP: counts down, never to zero here */
	tc.rflags |= RFLAGS_ZF; /* JZ taken */
	oc_run_code(ex, &tc, &o, name, buf, n + 1);
	CHECK(oc_term(&o)->kind == EXIT_HLT && o.steps == reps + 1,
	      "%s x%u: each goes to the next instruction, the HLT after %u steps (got %s after %u)",
	      name, reps, reps + 1, exit_kind_name((enum exit_kind)oc_term(&o)->kind), o.steps);
}

static void check_zeroed_memory(struct executor *ex)
{
	struct ref_dcache *dc = ref_decode_cache(ex);
	static const uint8_t zeros[CASE_CODE_MAX];
	oc_start(&tc, MODE_REAL16, 0);
	uint64_t before = dc->decodes;
	oc_run_code(ex, &tc, &o, "zeroed memory", zeros, sizeof(zeros));
	uint64_t decodes = dc->decodes - before;
	CHECK(o.steps > 1000 && decodes < 16,
	      "real16 through zeroed memory: %u steps, %llu decodes", o.steps,
	      (unsigned long long)decodes);
}

/* n generated cases of every mode, random knobs, on a sharing reference
 * and on one that decodes at every new address. */
static void check_stream(struct executor *shared, struct executor *plain, unsigned n)
{
	const struct generator *g = gen_lookup("insn");
	const struct gen_config cfg = { .modes = 0, .policy = GEN_KNOBS_RANDOM };
	static struct outcome a, b;
	struct ref_dcache *ds = ref_decode_cache(shared), *dp = ref_decode_cache(plain);
	uint64_t s0 = ds->decodes, p0 = dp->decodes;
	unsigned same = 0, failed = 0;
	for (unsigned i = 0; i < n; i++) {
		gen_make_ex(g, &cfg, gen_case_seed(23, 0, i), &tc, NULL);
		int rc = shared->ops->run(shared, &tc, &a) | plain->ops->run(plain, &tc, &b);
		if (rc == 0 && oc_same_outcome(&a, &b))
			same++;
		else if (failed++ < 5)
			printf("  case %s (%s): outcomes differ (%s / %s, %u / %u steps)\n", tc.id,
			       mode_name((enum cpu_mode)tc.mode), a.mnemonic, b.mnemonic, a.steps,
			       b.steps);
	}
	CHECK(same == n, "%u generated cases, every mode: %u the same with and without sharing", n,
	      same);
	uint64_t ns = ds->decodes - s0, np = dp->decodes - p0;
	CHECK(ns < np, "decodes with sharing %llu, without %llu", (unsigned long long)ns,
	      (unsigned long long)np);
}

int main(void)
{
	struct executor shared, plain;
	memset(&shared, 0, sizeof(shared));
	memset(&plain, 0, sizeof(plain));
	if (oc_open_ref(&shared) < 0 || oc_open_ref(&plain) < 0)
		return 1;
	ref_decode_cache(&plain)->no_sharing = 1;
	/* 15 fetched bytes at each of the first addresses are the same. */
	check_repeated_branch(&shared, MODE_LONG64, "jmp rel8 0", B(0xeb, 0x00), 20);
	check_repeated_branch(&shared, MODE_LONG64, "jz rel8 0", B(0x74, 0x00), 20);
	check_repeated_branch(&shared, MODE_LONG64, "jmp rel32 0", B(0xe9, 0, 0, 0, 0), 8);
	check_repeated_branch(&shared, MODE_LONG64, "call rel32 0", B(0xe8, 0, 0, 0, 0), 8);
	check_repeated_branch(&shared, MODE_LONG64, "loop rel8 0", B(0xe2, 0x00), 20);
	check_repeated_branch(&shared, MODE_REAL16, "jmp rel8 0", B(0xeb, 0x00), 20);
	check_repeated_branch(&shared, MODE_PROT32, "call rel32 0", B(0xe8, 0, 0, 0, 0), 8);
	check_zeroed_memory(&shared);
	check_stream(&shared, &plain, 6000);
	shared.ops->fini(&shared);
	plain.ops->fini(&plain);
	return check_done("ref_decode_cache");
}
