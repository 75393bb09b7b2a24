/* Every case starts from fresh guest memory in the reference, however much
 * the case before it wrote: a case that reads what an earlier one wrote
 * (data and stack pages, the code page, the exception stack, the unmapped
 * pages that are plain RAM without paging) gives the outcome it gives on a
 * new executor, byte for byte; so does every case of a generated stream
 * of every mode run back to back. The reference restores only what a case
 * changed (emulator-ref/ref_ram.c), and copies out only what changed into
 * an outcome it filled last, so a write it failed to note, or a window it
 * took for its own, would show here. The image it restores is checked against the full reset
 * (layout_reset_rw and layout_clear_holes) first. */
#include <stddef.h>
#include <string.h>
#include "check.h"
#include "gen.h"
#include "gen_rng.h"
#include "ref_internal.h"
#include "outcome_check.h"

static int open_ref(struct executor *ex)
{
	char err[256];
	memset(ex, 0, sizeof(*ex));
	ex->ops = &ref_executor_ops;
	if (ex->ops->init(ex, err, sizeof(err)) == 0)
		return 0;
	printf("FAILED: reference executor: %s\n", err);
	return -1;
}

/* The first differing byte of the windows, for the failure message. */
static long first_mem_diff(const struct outcome *a, const struct outcome *b)
{
	for (long i = 0; i < LAYOUT_CMP_SIZE; i++)
		if (a->mem[i] != b->mem[i])
			return LAYOUT_CMP_BASE + i;
	return -1;
}

static void check_image(uint32_t code_len, uint32_t data_len)
{
	static uint8_t full[LAYOUT_RAM_SIZE], part[LAYOUT_RAM_SIZE];
	static uint8_t code[CASE_CODE_MAX], data[CASE_DATA_MAX];
	for (unsigned i = 0; i < sizeof(code); i++)
		code[i] = (uint8_t)(i * 7 + 1);
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 5);
	memset(full, 0x5a, sizeof(full));
	memset(part, 0xa5, sizeof(part));
	layout_reset_rw(full, code, code_len, data, data_len);
	layout_clear_holes(full);
	/* Pieces of odd sizes and alignments, so every boundary of the image
	 * falls inside one of them somewhere. */
	for (uint32_t at = LAYOUT_RW_BASE, step = 1; at < LAYOUT_RAM_SIZE; step = step * 3 % 257 + 1) {
		uint32_t to = at + step < LAYOUT_RAM_SIZE ? at + step : LAYOUT_RAM_SIZE;
		layout_image_range(part, at, to, code, code_len, data, data_len);
		at = to;
	}
	CHECK(!memcmp(full + LAYOUT_RW_BASE, part + LAYOUT_RW_BASE,
		      LAYOUT_RAM_SIZE - LAYOUT_RW_BASE),
	      "image in pieces == full reset (code %u bytes, data %u bytes)", code_len, data_len);
	CHECK(part[LAYOUT_RW_BASE - 1] == 0xa5, "nothing below the writable part is written");
}

struct pair {
	const char *what;
	uint8_t mode;
	uint64_t rax;
	const char *writer, *reader; /* code, hex */
	uint32_t writer_data;        /* data bytes of the writer (0x11 each) */
};

/* Writers store to every kind of page a case can write; readers load
 * those bytes back into registers (and their windows show the pages). */
static const struct pair pairs[] = {
	{ "long64: data past the data bytes, stack, exception stack, code page",
	  MODE_LONG64, 0x0123456789abcdefull,
	  "48890425002101004889042500080100" "50" "e800000000" "0f0b",
	  "488b0425002001004c8b0c25002101004c8b1425f85f01004c8b1c25e87f0100"
	  "4c8b242500080100f4",
	  64 },
	{ "prot32: the unmapped pages (plain RAM), exception stack, data end, code page",
	  MODE_PROT32, 0x5a5a5a5a,
	  "a300100100" "890500400100" "890500600100" "890500700100" "8905fc3f0100"
	  "890500080100" "50" "f4",
	  "a100100100" "8b1d00400100" "8b0d00600100" "8b1500700100" "8b35fc3f0100"
	  "8b3d00080100" "8b2dfc5f0100" "f4",
	  8192 },
	{ "real16: the unmapped pages through the segment base",
	  MODE_REAL16, 0x1234,
	  "a30010" "a30040" "a30060" "a30070" "f4",
	  "a10010" "8b1e0040" "8b0e0060" "8b160070" "f4",
	  0 },
};

static void make(struct test_case *c, const struct pair *p, int writer)
{
	case_init(c);
	snprintf(c->id, sizeof(c->id), "%s", writer ? "writer" : "reader");
	c->mode = p->mode;
	if (p->mode != MODE_LONG64)
		c->gpr[RSP] &= 0xffffffffu;
	int n = hex_bytes(writer ? p->writer : p->reader, c->code, CASE_CODE_MAX);
	c->code_len = n > 0 ? (uint32_t)n : 0;
	if (writer) {
		c->gpr[RAX] = p->rax;
		memset(c->data, 0x11, p->writer_data);
		c->data_len = p->writer_data;
	}
}

static void check_pair(struct executor *tracked, const struct pair *p)
{
	static struct test_case w, r;
	static struct outcome wrote, fresh, after;
	struct executor first;
	make(&w, p, 1);
	make(&r, p, 0);
	if (open_ref(&first) < 0) {
		check_failures++;
		return;
	}
	int rc = first.ops->run(&first, &r, &fresh);
	first.ops->fini(&first);
	rc |= tracked->ops->run(tracked, &w, &wrote);
	rc |= tracked->ops->run(tracked, &r, &after);
	CHECK(rc == 0, "%s: the three runs", p->what);
	/* The writer really changed the window: else the pair proves nothing. */
	CHECK(first_mem_diff(&wrote, &fresh) >= 0, "%s: the writer changed memory", p->what);
	long at = first_mem_diff(&after, &fresh);
	CHECK(oc_same_outcome(&after, &fresh),
	      "%s: the reader after the writer == the reader on a new executor "
	      "(rax 0x%llx vs 0x%llx, memory first differs at 0x%lx)", p->what,
	      (unsigned long long)after.state.gpr[RAX], (unsigned long long)fresh.state.gpr[RAX], at);
}

/* The reference copies only what changed into the outcome it filled last
 * (outcome.mem_stamp): the same outcome again gives the whole window, and
 * so does one another writer filled in between, through outcome_init (as
 * every executor starts) or as another reference executor's outcome. */
static void check_window_reuse(const struct pair *p)
{
	static struct test_case w, r;
	static struct outcome x, fresh;
	struct executor t, u, first;
	make(&w, p, 1);
	make(&r, p, 0);
	if (open_ref(&t) < 0 || open_ref(&u) < 0 || open_ref(&first) < 0) {
		check_failures++;
		return;
	}
	int rc = first.ops->run(&first, &r, &fresh);
	rc |= t.ops->run(&t, &w, &x) | t.ops->run(&t, &r, &x);
	CHECK(rc == 0 && oc_same_outcome(&x, &fresh), "%s: writer then reader into one outcome",
	      p->what);
	rc = t.ops->run(&t, &w, &x);
	outcome_init(&x);
	memset(x.mem, 0xee, sizeof(x.mem));
	rc |= t.ops->run(&t, &r, &x);
	CHECK(rc == 0 && oc_same_outcome(&x, &fresh),
	      "%s: the reader's window whole after another writer's outcome_init", p->what);
	t.ops->fini(&t);
	/* Two new executors: their first runs, had each its own count. */
	if (open_ref(&t) < 0 || (u.ops->fini(&u), open_ref(&u)) < 0) {
		check_failures++;
		return;
	}
	rc = t.ops->run(&t, &r, &x) | u.ops->run(&u, &w, &x) | t.ops->run(&t, &r, &x);
	CHECK(rc == 0 && oc_same_outcome(&x, &fresh),
	      "%s: the reader's window whole after another reference filled the outcome",
	      p->what);
	t.ops->fini(&t);
	u.ops->fini(&u);
	first.ops->fini(&first);
}

/* Generated cases of every mode back to back on one executor, each against
 * a new executor's outcome. */
static void check_stream(unsigned n)
{
	const struct generator *g = gen_lookup("insn");
	struct gen_config cfg = { 0 };
	static struct test_case c;
	static struct outcome a, b;
	struct executor one;
	unsigned same = 0, failed = 0;
	if (!g || open_ref(&one) < 0) {
		check_failures++;
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		struct executor fresh;
		gen_make_ex(g, &cfg, gen_case_seed(17, 0, i), &c, NULL);
		if (open_ref(&fresh) < 0)
			break;
		int rc = one.ops->run(&one, &c, &a) | fresh.ops->run(&fresh, &c, &b);
		fresh.ops->fini(&fresh);
		if (rc == 0 && oc_same_outcome(&a, &b)) {
			same++;
		} else if (failed++ < 5) {
			printf("  case %s (%s): differs, memory first at 0x%lx\n", c.id,
			       mode_name((enum cpu_mode)c.mode), first_mem_diff(&a, &b));
		}
	}
	one.ops->fini(&one);
	CHECK(same == n, "%u generated cases of every mode back to back: %u as on a new executor",
	      n, same);
}

int main(void)
{
	check_image(0, 0);
	check_image(1, 1);
	check_image(63, 64);
	check_image(65, 4095);
	check_image(CASE_CODE_MAX, CASE_DATA_MAX);
	struct executor tracked;
	if (open_ref(&tracked) < 0)
		return 1;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		check_pair(&tracked, &pairs[i]);
	tracked.ops->fini(&tracked);
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		check_window_reuse(&pairs[i]);
	check_stream(3000);
	return check_done("ref_fresh_memory");
}
