/* The binary case format: any bytes decode to a valid case; the canonical
 * encoding decodes back to the same case. */
#include <string.h>
#include "case_bin.h"
#include "knobs.h"
#include "mode.h"
#include "layout.h"
#include "check.h"

static uint64_t rng = 0x243f6a8885a308d3ull;

/* xorshift64: the test's own PRNG, fixed seed, same bytes every run. */
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Which invariant a decoded case breaks, or NULL. */
static const char *broken(const struct test_case *c)
{
	if (c->mode >= MODE_COUNT) return "mode < MODE_COUNT";
	if (!knobs_valid_for(c->knobs, (enum cpu_mode)c->mode)) return "knobs of the mode";
	if (c->code_len > CASE_CODE_MAX) return "code_len <= CASE_CODE_MAX";
	if (c->data_len > CASE_DATA_MAX) return "data_len <= CASE_DATA_MAX";
	if ((c->rflags & ~(uint64_t)RFLAGS_CASE_SETTABLE) != RFLAGS_FIXED1)
		return "rflags sanitized";
	if (strncmp(c->id, "bin-", 4) || strlen(c->id) != 20) return "id bin-<16 hex>";
	if (case_events_invalid(c->event, (c->knobs & KNOB_CPL3) != 0) || (c->event[0].kind && c->mode != MODE_LONG64))
		return "event valid, long64 only";
	return NULL;
}

/* Which field differs (everything but id and seed), or NULL. */
static const char *case_diff(const struct test_case *a, const struct test_case *b)
{
	if (a->mode != b->mode) return "mode";
	if (a->knobs != b->knobs) return "knobs";
	for (int r = 0; r < GPR_COUNT; r++)
		if (a->gpr[r] != b->gpr[r]) return gpr_name((enum gpr)r);
	if (a->rflags != b->rflags) return "rflags";
	if (memcmp(&a->event, &b->event, sizeof(a->event))) return "event";
	if (a->code_len != b->code_len) return "code_len";
	if (memcmp(a->code, b->code, a->code_len)) return "code";
	if (a->data_len != b->data_len) return "data_len";
	if (memcmp(a->data, b->data, a->data_len)) return "data";
	return NULL;
}

static struct test_case c1, c2;
static uint8_t buf[CASE_BIN_MAX + 64], enc[CASE_BIN_MAX];

static void test_fixed(void)
{
	struct test_case def;
	case_init(&def);
	case_decode(NULL, 0, &c1);
	CHECK(case_diff(&c1, &def) == NULL && broken(&c1) == NULL,
	      "empty input decodes to the case_init() defaults (id %s)", c1.id);
	CHECK(!strcmp(c1.id, "bin-cbf29ce484222325"),
	      "empty input's id is the FNV-1a offset basis (got %s)", c1.id);

	/* flags: has_data, mode 0; knobs; regs rax + rflags; data_len 3. */
	static const uint8_t in[] = {
		0x10, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00, 0x01,
		0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0x03, 0x00, 0xaa, 0xbb, 0xcc,
		0x48, 0x01, 0xd8, 0xf4,
	};
	case_decode(in, sizeof(in), &c1);
	CHECK_EQ_U64(c1.knobs, knobs_for_mode(MODE_LONG64),
		     "knobs 0xffffffff masked to the knobs of long64");
	CHECK(c1.knobs & KNOB_CPL3, "long64 keeps the cpl3 knob (knobs 0x%x)", c1.knobs);
	static const uint8_t in32[] = { 0x01, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00, 0x00,
					0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 };
	case_decode(in32, sizeof(in32), &c2);
	CHECK(c2.mode == MODE_PROT32 && !(c2.knobs & KNOB_CPL3) &&
	      c2.gpr[RAX] == 0x55667788ull,
	      "prot32: cpl3 knob dropped, rax cut to 32 bits (knobs 0x%x rax 0x%llx)",
	      c2.knobs, (unsigned long long)c2.gpr[RAX]);
	CHECK_EQ_U64(c1.gpr[RAX], 0x1122334455667788ull, "rax little-endian");
	CHECK_EQ_U64(c1.gpr[RSP], LAYOUT_STACK_TOP, "absent rsp keeps its default");
	CHECK_EQ_U64(c1.rflags, RFLAGS_CASE_SETTABLE | RFLAGS_FIXED1,
		     "rflags all ones sanitized to the settable bits + bit 1");
	CHECK_EQ_U64(c1.data_len, 3, "data_len");
	CHECK_EQ_U64(c1.data[2], 0xcc, "last data byte");
	CHECK_EQ_U64(c1.code_len, 4, "code is the rest");
	CHECK_EQ_U64(c1.code[3], 0xf4, "last code byte");

	/* Truncated inside rax: the missing bytes read as zero, no code. */
	case_decode(in, 12, &c1);
	CHECK_EQ_U64(c1.gpr[RAX], 0x55667788, "rax truncated after 4 bytes reads zeros");
	CHECK_EQ_U64(c1.rflags, RFLAGS_FIXED1, "missing rflags bytes read as zero");
	CHECK_EQ_U64(c1.data_len, 0, "missing data_len bytes read as zero");
	CHECK_EQ_U64(c1.code_len, 0, "no code after a truncated header");
	case_decode(in, 27, &c1);
	CHECK_EQ_U64(c1.data_len, 3, "declared data_len kept when the data is cut short");
	CHECK(c1.data[0] == 0xaa && c1.data[1] == 0 && c1.data[2] == 0,
	      "data bytes past the end read as zero");
	for (size_t n = 0; n <= sizeof(in); n++) {
		case_decode(in, n, &c1);
		const char *b = broken(&c1);
		if (b) {
			CHECK(0, "truncated input of %zu bytes breaks '%s'", n, b);
			return;
		}
	}
	CHECK(1, "all %zu truncations of the fixed input decode to valid cases", sizeof(in));

	/* data_len above CASE_DATA_MAX is clamped; code truncated at max. */
	memset(buf, 0x90, sizeof(buf));
	buf[0] = 0x1f;  /* mode 15 % MODE_COUNT, has_data */
	buf[5] = buf[6] = buf[7] = 0;
	buf[8] = 0xff;
	buf[9] = 0xff;
	case_decode(buf, sizeof(buf), &c1);
	CHECK_EQ_U64(c1.mode, 15 % MODE_COUNT, "mode nibble 15 taken modulo MODE_COUNT");
	CHECK_EQ_U64(c1.data_len, CASE_DATA_MAX, "data_len 0xffff clamped to CASE_DATA_MAX");
	CHECK_EQ_U64(c1.code_len, CASE_CODE_MAX, "long code truncated to CASE_CODE_MAX");

	case_decode(in, sizeof(in), &c1);
	case_decode(in, sizeof(in) - 1, &c2);
	CHECK(strcmp(c1.id, c2.id) != 0, "different inputs get different ids (%s, %s)",
	      c1.id, c2.id);
	CHECK(case_encode(&c1, enc, 10) == 0, "encode into a too-small buffer returns 0");

	/* The example of docs/formats.md. */
	static const uint8_t doc[] = { 0x10, 0, 0, 0, 0, 0x01, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0,
				       0x02, 0x00, 0xaa, 0xbb, 0xf4 };
	case_decode(doc, sizeof(doc), &c1);
	CHECK(c1.gpr[RAX] == 5 && c1.data_len == 2 && c1.data[0] == 0xaa &&
	      c1.data[1] == 0xbb && c1.code_len == 1 && c1.code[0] == 0xf4,
	      "docs/formats.md example decodes to rax 5, data aa bb, code f4");
	CHECK(case_encode(&c1, enc, sizeof(enc)) == sizeof(doc) && !memcmp(enc, doc, sizeof(doc)),
	      "and is its own canonical encoding");
}

static void test_random_inputs(void)
{
	int bad = 0, rt_bad = 0, events = 0;
	const char *what = NULL, *rt_what = NULL;
	for (int i = 0; i < 100000; i++) {
		size_t n = next() % 96;
		if (i % 100 == 0)
			n = next() % sizeof(buf);
		for (size_t k = 0; k < n; k++)
			buf[k] = (uint8_t)next();
		/* Keep long data lengths rare so code is reached often. */
		if (n > 9 && (buf[0] & 0x10) && i % 7)
			buf[9] = 0;
		case_decode(buf, n, &c1);
		events += c1.event[0].kind != 0;
		const char *b = broken(&c1);
		if (b && !bad++)
			what = b;
		/* Every decoded case re-encodes to something that decodes to it. */
		size_t m = case_encode(&c1, enc, sizeof(enc));
		case_decode(enc, m, &c2);
		const char *d = m ? case_diff(&c1, &c2) : "encode failed";
		if (d && !rt_bad++)
			rt_what = d;
	}
	CHECK(bad == 0, "100000 random byte strings decode to valid cases (%d broke '%s')",
	      bad, what ? what : "-");
	CHECK(rt_bad == 0, "their re-encodings decode back to the same case (%d differ in '%s')",
	      rt_bad, rt_what ? rt_what : "-");
	CHECK(events > 100, "random inputs decode to cases with events too (%d), each valid", events);
}

/* Random valid cases built field by field (not via the decoder). */
static void test_random_cases(void)
{
	int rt_bad = 0;
	const char *rt_what = NULL;
	size_t longest = 0;
	for (int i = 0; i < 5000; i++) {
		case_init(&c1);
		c1.mode = (uint8_t)(next() % MODE_COUNT);
		c1.knobs = (uint32_t)next() & knobs_for_mode((enum cpu_mode)c1.mode);
		for (int r = 0; r < GPR_COUNT; r++)
			if (next() & 1)
				c1.gpr[r] = (next() % 3 ? next() : 0) &
					    mode_reg_mask((enum cpu_mode)c1.mode);
		c1.rflags = (next() & RFLAGS_CASE_SETTABLE) | RFLAGS_FIXED1;
		c1.code_len = (uint32_t)(next() % (CASE_CODE_MAX + 1));
		if (i % 10)
			c1.code_len %= 64;
		for (uint32_t k = 0; k < c1.code_len; k++)
			c1.code[k] = (uint8_t)next();
		c1.data_len = next() & 1 ? (uint32_t)(next() % (CASE_DATA_MAX + 1)) : 0;
		for (uint32_t k = 0; k < c1.data_len; k++)
			c1.data[k] = (uint8_t)next();
		size_t m = case_encode(&c1, enc, sizeof(enc));
		if (m > longest)
			longest = m;
		case_decode(enc, m, &c2);
		const char *d = m ? case_diff(&c1, &c2) : "encode failed";
		if (d && !rt_bad++)
			rt_what = d;
	}
	CHECK(rt_bad == 0, "5000 random cases: decode(encode(c)) == c (%d differ in '%s')",
	      rt_bad, rt_what ? rt_what : "-");
	CHECK(longest <= CASE_BIN_MAX, "longest encoding %zu <= CASE_BIN_MAX %d", longest,
	      (int)CASE_BIN_MAX);

	case_init(&c1);
	c1.code_len = 1;
	c1.code[0] = 0xf4;
	size_t m = case_encode(&c1, enc, sizeof(enc));
	CHECK(m == 9 && enc[0] == 0 && enc[5] == 0 && enc[8] == 0xf4,
	      "canonical encoding of a default case with code f4 is 8 header bytes + code "
	      "(got %zu bytes)", m);
}

int main(void)
{
	test_fixed();
	test_random_inputs();
	test_random_cases();
	return check_done("test_core_bin");
}
