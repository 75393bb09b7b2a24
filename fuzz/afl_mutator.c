/*
 * AFL++ custom mutator (AFL_CUSTOM_MUTATOR_LIBRARY): mutates the binary
 * case as a case, not as bytes. It decodes the input (case_decode), finds
 * the instruction boundaries of the code in the case's mode (decode.h), and
 * edits whole instructions -- insert one from mut_table.c, delete, replace,
 * swap two, duplicate, splice one from the other input -- or the initial
 * registers and flags (interesting values, pointers into the layout.h
 * regions); then re-encodes (case_encode). AFL's own byte mutations still
 * run too and reach what lies inside an instruction.
 *
 * Bytes Capstone cannot decode count as one-byte "instructions", so any
 * code has boundaries and every edit keeps the rest of the stream intact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "case_bin.h"
#include "decode.h"
#include "mut.h"

/* Up to this many stacked edits per call (AFL's havoc stacks too). */
#define MUT_MAX_STACK 4

struct mut_state {
	uint64_t rng;
	struct dec dec;
	struct test_case c, other;
	uint16_t off[CASE_CODE_MAX + 1]; /* instruction starts, then code_len */
	uint32_t n_insns;
	uint8_t out[CASE_BIN_MAX];
	char last[96];                   /* what the last call did */
};

void *afl_custom_init(void *afl, unsigned int seed);
size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
		       uint8_t *add_buf, size_t add_buf_size, size_t max_size);
const char *afl_custom_describe(void *data, size_t max_description_len);
void afl_custom_deinit(void *data);

/* splitmix64: one explicit PRNG, seeded by AFL. */
static uint64_t rnd(struct mut_state *m)
{
	uint64_t z = (m->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t below(struct mut_state *m, uint32_t n)
{
	return n ? (uint32_t)(rnd(m) % n) : 0;
}

/* Fills off[] with the instruction starts of c's code. */
static void find_boundaries(struct mut_state *m, const struct test_case *c,
			    uint16_t *off, uint32_t *n)
{
	unsigned bits = dec_bits((enum cpu_mode)c->mode);
	uint32_t at = 0;
	*n = 0;
	while (at < c->code_len) {
		off[(*n)++] = (uint16_t)at;
		unsigned len = dec_one(&m->dec, bits, c->code + at, c->code_len - at, at, NULL);
		at += len ? len : 1;
	}
	off[*n] = (uint16_t)c->code_len;
}

static uint32_t insn_len(const struct mut_state *m, uint32_t i)
{
	return (uint32_t)(m->off[i + 1] - m->off[i]);
}

/* Replaces code[at, at+del) with ins[0, ins_len). Returns 0 when the
 * result would not fit. */
static int splice(struct test_case *c, uint32_t at, uint32_t del,
		  const uint8_t *ins, uint32_t ins_len)
{
	if (c->code_len - del + ins_len > CASE_CODE_MAX)
		return 0;
	uint8_t tmp[15];
	if (ins_len > sizeof(tmp))
		return 0;
	if (ins_len)
		memcpy(tmp, ins, ins_len); /* ins may point into c->code itself */
	memmove(c->code + at + ins_len, c->code + at + del, c->code_len - at - del);
	if (ins_len)
		memcpy(c->code + at, tmp, ins_len);
	c->code_len = c->code_len - del + ins_len;
	return 1;
}

/* Each edit returns 1 when it changed the case, 0 when it did not apply;
 * it refreshes the boundaries itself when it touched the code. */
typedef int (*mut_op)(struct mut_state *m);

static int op_insert(struct mut_state *m)
{
	const struct mut_insn *t = &mut_insns[below(m, (uint32_t)mut_insns_n)];
	uint32_t at = m->off[below(m, m->n_insns + 1)];
	return splice(&m->c, at, 0, t->bytes, t->len);
}

static int op_delete(struct mut_state *m)
{
	if (!m->n_insns)
		return 0;
	uint32_t i = below(m, m->n_insns);
	return splice(&m->c, m->off[i], insn_len(m, i), NULL, 0);
}

static int op_replace(struct mut_state *m)
{
	if (!m->n_insns)
		return 0;
	uint32_t i = below(m, m->n_insns);
	const struct mut_insn *t = &mut_insns[below(m, (uint32_t)mut_insns_n)];
	return splice(&m->c, m->off[i], insn_len(m, i), t->bytes, t->len);
}

static int op_duplicate(struct mut_state *m)
{
	if (!m->n_insns)
		return 0;
	uint32_t i = below(m, m->n_insns);
	return splice(&m->c, m->off[i], 0, m->c.code + m->off[i], insn_len(m, i));
}

static int op_swap(struct mut_state *m)
{
	if (m->n_insns < 2)
		return 0;
	uint32_t i = below(m, m->n_insns), j = below(m, m->n_insns);
	if (i == j)
		return 0;
	if (i > j) {
		uint32_t t = i;
		i = j;
		j = t;
	}
	/* [A][mid][B] -> [B][mid][A] */
	uint32_t a = m->off[i], la = insn_len(m, i), b = m->off[j], lb = insn_len(m, j);
	uint8_t ta[15], tb[15], mid[CASE_CODE_MAX];
	uint32_t lm = b - (a + la);
	memcpy(ta, m->c.code + a, la);
	memcpy(tb, m->c.code + b, lb);
	memcpy(mid, m->c.code + a + la, lm);
	memcpy(m->c.code + a, tb, lb);
	memcpy(m->c.code + a + lb, mid, lm);
	memcpy(m->c.code + a + lb + lm, ta, la);
	return 1;
}

/* One instruction of the other input (AFL's add_buf) into this one. */
static int op_splice_other(struct mut_state *m)
{
	static uint16_t off[CASE_CODE_MAX + 1];
	uint32_t n;
	if (!m->other.code_len)
		return 0;
	find_boundaries(m, &m->other, off, &n);
	uint32_t i = below(m, n);
	uint32_t at = m->off[below(m, m->n_insns + 1)];
	return splice(&m->c, at, 0, m->other.code + off[i], (uint32_t)(off[i + 1] - off[i]));
}

static int op_register(struct mut_state *m)
{
	uint32_t r = below(m, GPR_COUNT);
	uint64_t v = mut_values[below(m, (uint32_t)mut_values_n)];
	switch (below(m, 4)) {
	case 0: /* an interesting value or layout pointer */
		break;
	case 1: /* near it */
		v += (uint64_t)(int64_t)(int32_t)(below(m, 33) - 16);
		break;
	case 2: /* take another register's value: aliasing operands */
		v = m->c.gpr[below(m, GPR_COUNT)];
		break;
	default: /* one bit flipped */
		v = m->c.gpr[r] ^ (1ull << below(m, 64));
		break;
	}
	if (m->c.gpr[r] == v)
		return 0;
	m->c.gpr[r] = v;
	return 1;
}

static int op_flags(struct mut_state *m)
{
	static const uint32_t bits[] = { RFLAGS_CF, RFLAGS_PF, RFLAGS_AF, RFLAGS_ZF,
					 RFLAGS_SF, RFLAGS_DF, RFLAGS_OF };
	m->c.rflags ^= bits[below(m, sizeof(bits) / sizeof(bits[0]))];
	m->c.rflags = (m->c.rflags & RFLAGS_CASE_SETTABLE) | RFLAGS_FIXED1;
	return 1;
}

/* Weighted: code edits first, they reach new exits; registers next. */
static const struct { mut_op fn; const char *name; unsigned weight; } mut_ops[] = {
	{ op_insert,       "insert",    6 },
	{ op_delete,       "delete",    3 },
	{ op_replace,      "replace",   4 },
	{ op_swap,         "swap",      2 },
	{ op_duplicate,    "duplicate", 2 },
	{ op_splice_other, "splice",    2 },
	{ op_register,     "register",  5 },
	{ op_flags,        "rflags",    1 },
};
#define MUT_OPS_N (sizeof(mut_ops) / sizeof(mut_ops[0]))

static unsigned pick_op(struct mut_state *m)
{
	unsigned total = 0;
	for (unsigned i = 0; i < MUT_OPS_N; i++)
		total += mut_ops[i].weight;
	unsigned r = below(m, total);
	for (unsigned i = 0; i < MUT_OPS_N; i++) {
		if (r < mut_ops[i].weight)
			return i;
		r -= mut_ops[i].weight;
	}
	return 0;
}

void *afl_custom_init(void *afl, unsigned int seed)
{
	(void)afl;
	struct mut_state *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->rng = seed ^ 0x6578697464696666ull;
	char err[160];
	if (dec_open(&m->dec, err, sizeof(err)) < 0) {
		fprintf(stderr, "exitdiff mutator: %s\n", err);
		free(m);
		return NULL;
	}
	snprintf(m->last, sizeof(m->last), "exitdiff-none");
	return m;
}

size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
		       uint8_t *add_buf, size_t add_buf_size, size_t max_size)
{
	struct mut_state *m = data;
	case_decode(buf, buf_size, &m->c);
	if (add_buf && add_buf_size)
		case_decode(add_buf, add_buf_size, &m->other);
	else
		m->other.code_len = 0;

	unsigned stack = 1 + below(m, MUT_MAX_STACK), done = 0;
	size_t at = (size_t)snprintf(m->last, sizeof(m->last), "exitdiff");
	for (unsigned k = 0; k < stack + 8 && done < stack; k++) {
		find_boundaries(m, &m->c, m->off, &m->n_insns);
		unsigned op = pick_op(m);
		if (!mut_ops[op].fn(m))
			continue;
		done++;
		if (at < sizeof(m->last))
			at += (size_t)snprintf(m->last + at, sizeof(m->last) - at, "-%s",
					       mut_ops[op].name);
	}
	size_t n = case_encode(&m->c, m->out, sizeof(m->out));
	if (!n || n > max_size) {
		/* Cannot happen with AFL's max_size (1 MiB) and CASE_BIN_MAX;
		 * hand back the input rather than nothing. */
		n = buf_size < max_size ? buf_size : max_size;
		memcpy(m->out, buf, n < sizeof(m->out) ? n : sizeof(m->out));
		n = n < sizeof(m->out) ? n : sizeof(m->out);
	}
	*out_buf = m->out;
	return n;
}

const char *afl_custom_describe(void *data, size_t max_description_len)
{
	struct mut_state *m = data;
	if (strlen(m->last) > max_description_len)
		m->last[max_description_len] = 0;
	return m->last;
}

void afl_custom_deinit(void *data)
{
	struct mut_state *m = data;
	if (!m)
		return;
	dec_close(&m->dec);
	free(m);
}
