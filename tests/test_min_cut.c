/* min_cut_first with a synthetic predicate (no KVM): the cut lands on the
 * instruction after the one that makes a case diverge, in address order,
 * with real mode's CS base applied; a HLT already in the code is no cut
 * point; a divergence only the whole case shows gives no cut; a failing
 * predicate is reported; the search asks the predicate at most
 * ceil(log2(points + 1)) times. */
#include <string.h>
#include "check.h"
#include "layout.h"
#include "min.h"

static unsigned long calls;
static int fail_pred;

/* The candidate "diverges" when the byte at offset ctx ran: every byte is
 * an instruction here, so it ran when no HLT (0xf4) comes before it. */
static int pred_ran(void *ctx, const struct test_case *c)
{
	calls++;
	if (fail_pred)
		return -1;
	unsigned culprit = *(const unsigned *)ctx;
	for (unsigned i = 0; i < culprit; i++)
		if (c->code[i] == 0xf4)
			return 0;
	return c->code[culprit] != 0xf4;
}

/* A case of n one-byte instructions (0x90) and a reference outcome that
 * ran all of them, RIPs relative to CS as the reference records them. */
static void make(struct test_case *c, struct outcome *ref, enum cpu_mode m, unsigned n)
{
	case_init(c);
	c->mode = (uint8_t)m;
	c->code_len = n;
	memset(c->code, 0x90, n);
	outcome_init(ref);
	uint64_t rip0 = m == MODE_REAL16 ? 0 : LAYOUT_CODE;
	for (unsigned i = 0; i < n; i++) {
		struct ran_insn *r = ran_place(ref, rip0 + i);
		r->rip = rip0 + i;
		strcpy(r->mnemonic, "nop");
	}
}

static int first_hlt(const struct test_case *c)
{
	for (unsigned i = 0; i < c->code_len; i++)
		if (c->code[i] == 0xf4)
			return (int)i;
	return -1;
}

int main(void)
{
	static struct test_case c, out;
	static struct outcome ref;
	const enum cpu_mode modes[] = { MODE_LONG64, MODE_REAL16 };
	for (unsigned k = 0; k < 2; k++) {
		for (unsigned culprit = 0; culprit < 12; culprit++) {
			make(&c, &ref, modes[k], 12);
			calls = 0;
			memset(&out, 0, sizeof(out));
			uint32_t at = ~0u;
			int r = min_cut_first(&c, &ref, pred_ran, &culprit, &out, &at);
			if (culprit == 11) {
				CHECK(r == 0, "%s: divergence at the last instruction: no cut (got %d)",
				      mode_name(modes[k]), r);
				continue;
			}
			CHECK(r == 1 && first_hlt(&out) == (int)culprit + 1 && at == culprit + 1,
			      "%s: culprit at offset %u: HLT cut right after it (got %d at %d)",
			      mode_name(modes[k]), culprit, r, first_hlt(&out));
			out.code[culprit + 1] = 0x90;
			CHECK(!memcmp(out.code, c.code, c.code_len) && out.code_len == c.code_len,
			      "%s: culprit %u: nothing but the cut byte changed", mode_name(modes[k]), culprit);
			/* 12 points: 13 outcomes for the search, at most 4 questions. */
			CHECK(calls <= 4, "%s: culprit %u: %lu predicate calls (at most 4)",
			      mode_name(modes[k]), culprit, calls);
		}
	}

	/* The case's own HLT at offset 6 is not a cut point: with the
	 * culprit at 5 the next point is 7. */
	unsigned culprit = 5;
	uint32_t at;
	make(&c, &ref, MODE_LONG64, 12);
	c.code[6] = 0xf4;
	int r = min_cut_first(&c, &ref, pred_ran, &culprit, &out, &at);
	CHECK(r == 1 && out.code[6] == 0xf4 && out.code[7] == 0xf4 && !memcmp(out.code, c.code, 7),
	      "the case's own HLT right after the culprit is kept, the cut goes to 7 (got %d)", r);
	culprit = 2;
	r = min_cut_first(&c, &ref, pred_ran, &culprit, &out, &at);
	CHECK(r == 1 && first_hlt(&out) == 3, "culprit before the case's HLT: cut at 3 (got %d at %d)",
	      r, first_hlt(&out));

	/* Instructions the reference did not run are no cut points. */
	make(&c, &ref, MODE_LONG64, 12);
	outcome_init(&ref);
	for (unsigned i = 0; i < 12; i += 4) {
		struct ran_insn *p = ran_place(&ref, LAYOUT_CODE + i);
		p->rip = LAYOUT_CODE + i;
		strcpy(p->mnemonic, "nop");
	}
	culprit = 1;
	r = min_cut_first(&c, &ref, pred_ran, &culprit, &out, &at);
	CHECK(r == 1 && first_hlt(&out) == 4, "cut only where the reference ran (0, 4, 8): at 4 (got %d at %d)",
	      r, first_hlt(&out));

	fail_pred = 1;
	r = min_cut_first(&c, &ref, pred_ran, &culprit, &out, &at);
	CHECK(r == -1, "a failing predicate is reported (got %d)", r);
	return check_done("test_min_cut");
}
