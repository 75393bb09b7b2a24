/*
 * The AFL++ custom mutator (fuzz/afl_mutator.c, linked in directly, no
 * dlopen): the table entries are whole instructions, every output is a
 * valid binary case, edits keep a valid instruction stream valid, every
 * edit kind happens, and a real16 case is edited at 16-bit instruction
 * boundaries.
 */
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "case_bin.h"
#include "decode.h"
#include "mut.h"

void *afl_custom_init(void *afl, unsigned int seed);
size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
		       uint8_t *add_buf, size_t add_buf_size, size_t max_size);
const char *afl_custom_describe(void *data, size_t max_description_len);
void afl_custom_deinit(void *data);

static struct dec dec;

/* Returns the number of undecodable bytes in 64-bit code (0: a valid
 * stream). */
static unsigned invalid_bytes(const uint8_t *code, size_t size)
{
	unsigned bad = 0;
	for (size_t at = 0; at < size;) {
		unsigned l = dec_one(&dec, 64, code + at, size - at, at, NULL);
		bad += !l;
		at += l ? l : 1;
	}
	return bad;
}

static void check_table(void)
{
	unsigned wrong = 0;
	for (size_t i = 0; i < mut_insns_n; i++) {
		if (dec_one(&dec, 64, mut_insns[i].bytes, mut_insns[i].len, 0, NULL) !=
		    mut_insns[i].len) {
			printf("  table entry '%s' is not one whole instruction\n", mut_insns[i].name);
			wrong++;
		}
	}
	CHECK(wrong == 0, "all %zu table entries decode as exactly one instruction", mut_insns_n);
	CHECK(mut_values_n > 20, "%zu interesting register values", mut_values_n);
}

static const char *const op_names[] = {
	"insert", "delete", "replace", "swap", "duplicate", "splice", "register", "rflags",
};
#define N_OPS (sizeof(op_names) / sizeof(op_names[0]))

static void check_mutations(void)
{
	static struct test_case c, d, prev;
	static uint8_t seed[CASE_BIN_MAX], other[CASE_BIN_MAX], again[CASE_BIN_MAX];
	case_init(&c);
	/* mov eax,1; out 0xe9,al; mov ebx,LAYOUT_MMIO; mov [rbx],eax; hlt */
	static const uint8_t code[] = { 0xb8, 1, 0, 0, 0, 0xe6, 0xe9, 0xbb, 0, 0, 0, 0xc0,
					0x89, 0x03, 0xf4 };
	memcpy(c.code, code, sizeof(code));
	c.code_len = sizeof(code);
	size_t seed_len = case_encode(&c, seed, sizeof(seed));
	c.code[0] = 0x90; /* the splice partner: a different valid stream */
	c.code_len = 5;
	memcpy(c.code + 1, (uint8_t[]){ 0x0f, 0xa2, 0xcc, 0xf4 }, 4);
	size_t other_len = case_encode(&c, other, sizeof(other));
	CHECK(seed_len > 0 && other_len > 0, "seed cases encode (%zu and %zu bytes)", seed_len, other_len);

	void *m = afl_custom_init(NULL, 1234);
	CHECK(m != NULL, "afl_custom_init returns a state");
	if (!m)
		return;
	unsigned seen[N_OPS] = { 0 }, invalid = 0, not_roundtrip = 0, unchanged = 0;
	unsigned reg_changes = 0, len_changes = 0;
	case_decode(seed, seed_len, &prev);
	uint8_t *cur = seed;
	size_t cur_len = seed_len;
	for (int i = 0; i < 20000; i++) {
		uint8_t *out;
		size_t n = afl_custom_fuzz(m, cur, cur_len, &out, other, other_len, CASE_BIN_MAX);
		const char *what = afl_custom_describe(m, 200);
		for (unsigned k = 0; k < N_OPS; k++)
			if (strstr(what, op_names[k]))
				seen[k]++;
		case_decode(out, n, &d);
		size_t n2 = case_encode(&d, again, sizeof(again));
		if (n2 != n || memcmp(again, out, n))
			not_roundtrip++;
		if (invalid_bytes(d.code, d.code_len))
			invalid++;
		if (n == cur_len && !memcmp(out, cur, n))
			unchanged++;
		if (memcmp(d.gpr, prev.gpr, sizeof(d.gpr)))
			reg_changes++;
		if (d.code_len != prev.code_len)
			len_changes++;
		/* Walk: keep mutating the output, restarting now and then so
		 * the code does not grow to the limit. */
		if (i % 16 == 15 || d.code_len > 512) {
			cur = seed;
			cur_len = seed_len;
			case_decode(seed, seed_len, &prev);
		} else {
			memcpy(other, out, n); /* scratch copy: out is the mutator's */
			static uint8_t keep[CASE_BIN_MAX];
			memcpy(keep, out, n);
			cur = keep;
			cur_len = n;
			prev = d;
			other_len = n;
		}
	}
	CHECK(not_roundtrip == 0, "every output is a canonical binary case (%u were not)", not_roundtrip);
	CHECK(invalid == 0, "edits at instruction boundaries keep a valid stream valid (%u broke)", invalid);
	CHECK(unchanged < 20000 / 20, "outputs differ from their input (%u of 20000 unchanged)", unchanged);
	CHECK(reg_changes > 1000, "register edits happen (%u)", reg_changes);
	CHECK(len_changes > 1000, "code length changes (%u)", len_changes);
	for (unsigned k = 0; k < N_OPS; k++)
		CHECK(seen[k] > 100, "edit '%s' applied %u times", op_names[k], seen[k]);
	afl_custom_deinit(m);
}

/* real16: mov ax,0x1234; mov bx,0x5678; ud2; hlt. As 64-bit code the
 * first B8 takes five bytes and splits the second MOV. */
static const uint8_t r16_units[][3] = { { 0xb8, 0x34, 0x12 }, { 0xbb, 0x78, 0x56 },
					{ 0x0f, 0x0b }, { 0xf4 } };
static const unsigned r16_lens[] = { 3, 3, 2, 1 };

/* 1 when code is a sequence of whole r16_units. */
static int whole_r16_units(const uint8_t *code, unsigned len)
{
	for (unsigned at = 0; at < len;) {
		unsigned u = 0;
		while (u < 4 && !(at + r16_lens[u] <= len &&
				  !memcmp(code + at, r16_units[u], r16_lens[u])))
			u++;
		if (u == 4)
			return 0;
		at += r16_lens[u];
	}
	return 1;
}

/* Deletes, swaps and duplicates move whole instructions of the case's own
 * mode: outputs made only of those edits (and register ones) are
 * sequences of the seed's 16-bit instructions. */
static void check_real16_boundaries(void)
{
	static struct test_case c, d;
	static uint8_t seed[CASE_BIN_MAX];
	case_init(&c);
	c.mode = MODE_REAL16;
	c.code_len = 0;
	for (unsigned u = 0; u < 4; u++) {
		memcpy(c.code + c.code_len, r16_units[u], r16_lens[u]);
		c.code_len += r16_lens[u];
	}
	size_t seed_len = case_encode(&c, seed, sizeof(seed));
	void *m = afl_custom_init(NULL, 99);
	if (!m) {
		CHECK(0, "afl_custom_init returns a state");
		return;
	}
	unsigned moved = 0, broken = 0;
	char first[200] = "";
	for (int i = 0; i < 5000; i++) {
		uint8_t *out;
		size_t n = afl_custom_fuzz(m, seed, seed_len, &out, NULL, 0, CASE_BIN_MAX);
		const char *what = afl_custom_describe(m, 200);
		if (strstr(what, "insert") || strstr(what, "replace") || strstr(what, "splice"))
			continue;
		case_decode(out, n, &d);
		if (d.code_len == c.code_len && !memcmp(d.code, c.code, c.code_len))
			continue;
		moved++;
		if (!whole_r16_units(d.code, d.code_len) && !broken++)
			snprintf(first, sizeof(first), "%s", what);
	}
	afl_custom_deinit(m);
	CHECK(moved > 500, "real16: %u outputs of delete/swap/duplicate edits only", moved);
	CHECK(broken == 0, "real16: each is whole 16-bit instructions of the seed (%u were not%s%s)",
	      broken, broken ? ", first by " : "", first);
}

int main(void)
{
	char err[160];
	if (dec_open(&dec, err, sizeof(err)) < 0) {
		printf("FAILED: %s\n", err);
		return 1;
	}
	check_table();
	check_mutations();
	check_real16_boundaries();
	dec_close(&dec);
	return check_done("test_mut_edits");
}
