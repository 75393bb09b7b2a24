/* The minimizer with synthetic predicates (no KVM): the result keeps the
 * predicate, is no larger, decodes into whole instructions, is the same on
 * every run, and each pass does its job (drop, NOP, prefixes, immediates,
 * registers, data). */
#include <string.h>
#include <time.h>
#include "check.h"
#include "decode.h"
#include "min.h"

static unsigned long calls;
static struct dec dec;

static int has_bytes(const struct test_case *c, const uint8_t *pat, unsigned n)
{
	for (unsigned i = 0; i + n <= c->code_len; i++)
		if (!memcmp(c->code + i, pat, n))
			return 1;
	return 0;
}

/* "Signature": the code holds 0f 0b and RAX has bit 3 set. */
static int pred_ud2_rax(void *ctx, const struct test_case *c)
{
	(void)ctx;
	calls++;
	static const uint8_t ud2[] = { 0x0f, 0x0b };
	return has_bytes(c, ud2, 2) && (c->gpr[RAX] & 8);
}

/* Decodes the whole code in the case's mode; returns the instruction
 * count, -1 when some byte range does not decode into whole instructions,
 * -2 when no instruction is want_id (0: any) with register want_reg (-1:
 * any) as its first operand. */
static int decode_all(const struct test_case *c, unsigned want_id, int want_reg)
{
	unsigned bits = dec_bits((enum cpu_mode)c->mode);
	int n = 0;
	int found = want_id == 0;
	for (unsigned at = 0; at < c->code_len; n++) {
		unsigned l = dec_one(&dec, bits, c->code + at, c->code_len - at, at, NULL);
		if (!l)
			return -1;
		at += l;
		/* Capstone calls MOV with a 64-bit immediate MOVABS. */
		const cs_insn *insn = dec.insn;
		if (insn->id == want_id || (want_id == X86_INS_MOV && insn->id == X86_INS_MOVABS)) {
			const cs_x86 *x = &insn->detail->x86;
			if (want_reg < 0 || (x->op_count && x->operands[0].type == X86_OP_REG &&
					     x->operands[0].reg == (x86_reg)want_reg))
				found = 1;
		}
	}
	return found ? n : -2;
}

/* "Signature": some instruction is an ADD. */
static int pred_add(void *ctx, const struct test_case *c)
{
	(void)ctx;
	calls++;
	return decode_all(c, X86_INS_ADD, -1) >= 0;
}

/* "Signature": some instruction is a MOV into all of RAX. */
static int pred_mov_rax(void *ctx, const struct test_case *c)
{
	(void)ctx;
	calls++;
	return decode_all(c, X86_INS_MOV, X86_REG_RAX) >= 0;
}

/* "Signature": UD2 at code offset 6 exactly (like a branch target). */
static int pred_ud2_at6(void *ctx, const struct test_case *c)
{
	(void)ctx;
	calls++;
	return c->code_len >= 8 && c->code[6] == 0x0f && c->code[7] == 0x0b;
}

/* "Signature": data byte 5 is odd. */
static int pred_data(void *ctx, const struct test_case *c)
{
	(void)ctx;
	calls++;
	return c->data_len > 5 && (c->data[5] & 1);
}

/* pred_ud2_rax, slowly: 2 ms per call. */
static int pred_slow(void *ctx, const struct test_case *c)
{
	struct timespec ts = { 0, 2000000 };
	nanosleep(&ts, NULL);
	return pred_ud2_rax(ctx, c);
}

static int pred_fail(void *ctx, const struct test_case *c)
{
	(void)c;
	int *n = ctx;
	return ++*n > 1 ? -1 : 1;
}

static void set_code(struct test_case *c, const uint8_t *b, unsigned n)
{
	memcpy(c->code, b, n);
	c->code_len = n;
}

static int code_is(const struct test_case *c, const uint8_t *b, unsigned n)
{
	return c->code_len == n && !memcmp(c->code, b, n);
}

static void no_larger(const struct test_case *in, const struct test_case *out,
		      const char *what)
{
	CHECK(out->code_len <= in->code_len && out->data_len <= in->data_len &&
	      min_nondefault_regs(out) <= min_nondefault_regs(in),
	      "%s: result no larger (code %u<=%u, data %u<=%u, regs %u<=%u)", what,
	      out->code_len, in->code_len, out->data_len, in->data_len,
	      min_nondefault_regs(out), min_nondefault_regs(in));
}

static void test_ud2_rax(void)
{
	static const uint8_t code[] = {
		0x48, 0xc7, 0xc0, 0x34, 0x12, 0x00, 0x00, /* mov rax, 0x1234 */
		0x90,                                     /* nop */
		0x48, 0xff, 0xc1,                         /* inc rcx */
		0x06,                                     /* invalid in 64-bit */
		0x0f, 0x0b,                               /* ud2 */
		0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8,       /* mov rax, imm64 */
		0xf4,                                     /* hlt */
	};
	struct test_case in, out, out2;
	case_init(&in);
	strcpy(in.id, "synthetic");
	set_code(&in, code, sizeof(code));
	in.gpr[RAX] = 0xffff00ff0000000full;
	in.gpr[RBX] = 5;
	in.gpr[RCX] = 7;
	in.gpr[R15] = 0x8000000000000000ull;
	in.rflags = RFLAGS_FIXED1 | RFLAGS_CF | RFLAGS_ZF;
	in.data_len = 32;
	for (unsigned i = 0; i < 32; i++)
		in.data[i] = (uint8_t)(i * 7 + 1);

	char *logbuf = NULL;
	size_t loglen = 0;
	FILE *log = open_memstream(&logbuf, &loglen);
	struct min_stats st;
	calls = 0;
	int rc = min_case_ex(&in, pred_ud2_rax, NULL, &out, log, NULL, &st);
	fclose(log);
	printf("%s", logbuf);
	CHECK_EQ_U64(rc, MIN_OK, "min_case returns MIN_OK");
	CHECK(pred_ud2_rax(NULL, &out), "the predicate holds for the result");
	CHECK_EQ_U64(st.evals, calls - 1, "engine counts every predicate call");
	no_larger(&in, &out, "ud2+rax");
	static const uint8_t want[] = { 0x0f, 0x0b };
	CHECK(code_is(&out, want, 2), "instructions removed down to ud2 (code_len %u)", out.code_len);
	CHECK(decode_all(&out, 0, -1) >= 0, "result decodes into whole instructions");
	CHECK_EQ_U64(out.gpr[RAX], 8, "rax simplified to its one needed bit");
	int others = 0;
	struct test_case d;
	case_init(&d);
	for (int r = 0; r < GPR_COUNT; r++)
		others += r != RAX && out.gpr[r] != d.gpr[r];
	CHECK_EQ_U64(others, 0, "every other register back to its default");
	CHECK_EQ_U64(out.rflags, d.rflags, "rflags back to its default");
	CHECK_EQ_U64(out.data_len, 0, "data dropped");
	CHECK(!strcmp(out.id, "synthetic"), "id kept (%s)", out.id);
	CHECK(strstr(logbuf, "round 1 drop-insns: 7 -> ") != NULL,
	      "log names drop-insns with the instruction counts");
	CHECK(strstr(logbuf, "minimize: code 25 -> 2 bytes") != NULL, "log gives the total");
	free(logbuf);

	calls = 0;
	rc = min_case(&in, pred_ud2_rax, NULL, &out2, NULL);
	CHECK(rc == MIN_OK && !memcmp(&out, &out2, sizeof(out)),
	      "deterministic: a second run is byte-identical");
}

static void test_prefix_imm(void)
{
	static const uint8_t code[] = {
		0x90, 0x48, 0x81, 0xc3, 0x44, 0x33, 0x22, 0x11, /* add rbx, 0x11223344 */
		0xf4,
	};
	static const uint8_t want[] = { 0x83, 0xc3, 0x00 }; /* add ebx, 0 */
	struct test_case in, out;
	case_init(&in);
	set_code(&in, code, sizeof(code));
	int rc = min_case(&in, pred_add, NULL, &out, stdout);
	CHECK(rc == MIN_OK && code_is(&out, want, sizeof(want)),
	      "REX.W dropped, imm32 shrunk to 0 and narrowed to imm8: 83 c3 00 (len %u: %02x %02x %02x)",
	      out.code_len, out.code[0], out.code[1], out.code[2]);

	static const uint8_t code2[] = {
		0x48, 0xb8, 8, 7, 6, 5, 4, 3, 2, 1, /* mov rax, 0x0102030405060708 */
		0xf4,
	};
	static const uint8_t want2[] = { 0x48, 0xc7, 0xc0, 0, 0, 0, 0 }; /* mov rax, 0 */
	case_init(&in);
	set_code(&in, code2, sizeof(code2));
	rc = min_case(&in, pred_mov_rax, NULL, &out, stdout);
	CHECK(rc == MIN_OK && code_is(&out, want2, sizeof(want2)),
	      "mov rax, imm64 -> 48 c7 c0 imm32 0; REX.W kept because rax is needed (len %u)",
	      out.code_len);
}

static void test_nop(void)
{
	static const uint8_t code[] = {
		0x48, 0xff, 0xc0, 0x48, 0xff, 0xc1, 0x0f, 0x0b, 0xf4,
	};
	static const uint8_t want[] = { 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x0f, 0x0b };
	struct test_case in, out;
	case_init(&in);
	set_code(&in, code, sizeof(code));
	int rc = min_case(&in, pred_ud2_at6, NULL, &out, stdout);
	CHECK(rc == MIN_OK && code_is(&out, want, sizeof(want)),
	      "offset-bound ud2: earlier instructions NOPed, not dropped (len %u)", out.code_len);
}

static void test_data(void)
{
	struct test_case in, out;
	case_init(&in);
	in.code[0] = 0xf4;
	in.code_len = 1;
	in.data_len = 100;
	for (unsigned i = 0; i < 100; i++)
		in.data[i] = 0xff;
	int rc = min_case(&in, pred_data, NULL, &out, stdout);
	CHECK(rc == MIN_OK && out.data_len == 6 && out.data[5] == 0xff,
	      "data: zeroed and trimmed to 6 bytes ending in the needed 0xff (len %u, [5]=%#x)",
	      out.data_len, out.data[5]);
	int nz = 0;
	for (unsigned i = 0; i < 5; i++)
		nz += out.data[i] != 0;
	CHECK_EQ_U64(nz, 0, "data bytes the predicate ignores are zero");
}

static void test_errors(void)
{
	struct test_case in, out;
	case_init(&in);
	in.code[0] = 0xf4;
	in.code_len = 1;
	in.gpr[RAX] = 8;
	int rc = min_case(&in, pred_ud2_rax, NULL, &out, NULL);
	CHECK(rc == MIN_ERR_NOT_SAME && !memcmp(&in, &out, sizeof(in)),
	      "an input without the behaviour: MIN_ERR_NOT_SAME, out = in");
	int n = 0;
	in.gpr[RBX] = 3;
	rc = min_case(&in, pred_fail, &n, &out, NULL);
	CHECK(rc == MIN_ERR_PRED && out.code_len <= in.code_len,
	      "a failing predicate stops with MIN_ERR_PRED (rc %d)", rc);

	struct min_opts o = { .eval_budget = 4 };
	struct min_stats st;
	static const uint8_t code[] = { 0x90, 0x90, 0x48, 0xff, 0xc0, 0x0f, 0x0b, 0xf4 };
	set_code(&in, code, sizeof(code));
	in.gpr[RAX] = 0xff;
	rc = min_case_ex(&in, pred_ud2_rax, NULL, &out, NULL, &o, &st);
	CHECK(rc == MIN_OK && st.budget_spent && st.evals <= 5 && pred_ud2_rax(NULL, &out),
	      "budget of 4: stops early (%lu evals) with a case that still holds", st.evals);

	struct min_opts ot = { .ms_budget = 10 };
	rc = min_case_ex(&in, pred_slow, NULL, &out, NULL, &ot, &st);
	CHECK(rc == MIN_OK && st.budget_spent && st.evals <= 8 && pred_ud2_rax(NULL, &out),
	      "time budget of 10 ms at 2 ms per call: stops after %lu evals, still holds", st.evals);
}

/* Random cases from a pool of instructions: the properties hold for all. */
static void test_random(void)
{
	static const struct { uint8_t n, b[10]; } pool[] = {
		{ 2, { 0x0f, 0x0b } }, { 1, { 0x90 } }, { 3, { 0x48, 0xff, 0xc0 } },
		{ 3, { 0x66, 0x01, 0xd8 } }, { 5, { 0xb9, 1, 2, 3, 4 } },
		{ 4, { 0xf3, 0x48, 0x01, 0xc8 } }, { 2, { 0xeb, 0x00 } },
		{ 10, { 0x48, 0xb8, 0x0f, 0x0b, 0, 0, 0, 0, 0, 0 } }, { 1, { 0xf4 } },
		{ 6, { 0x81, 0xc1, 0xff, 0, 0, 0 } }, { 3, { 0x0f, 0xa2, 0x90 } },
	};
	uint64_t s = 0x9e3779b97f4a7c15ull;
	int ok_pred = 1, ok_size = 1, ok_dec = 1, ok_det = 1;
	unsigned cases = 0;
	for (int k = 0; k < 40; k++) {
		struct test_case in, out, out2;
		case_init(&in);
		unsigned len = 0;
		for (int i = 0; i < 12; i++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			unsigned j = (s >> 33) % (sizeof(pool) / sizeof(pool[0]));
			memcpy(in.code + len, pool[j].b, pool[j].n);
			len += pool[j].n;
		}
		in.code_len = len;
		for (int r = 0; r < GPR_COUNT; r++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			if (r != RSP)
				in.gpr[r] = s ^ (s >> 29);
		}
		if (!pred_ud2_rax(NULL, &in))
			continue;
		cases++;
		min_case(&in, pred_ud2_rax, NULL, &out, NULL);
		min_case(&in, pred_ud2_rax, NULL, &out2, NULL);
		ok_pred &= pred_ud2_rax(NULL, &out);
		ok_size &= out.code_len <= in.code_len && out.data_len <= in.data_len &&
			   min_nondefault_regs(&out) <= min_nondefault_regs(&in);
		ok_dec &= decode_all(&out, 0, -1) >= 0;
		ok_det &= !memcmp(&out, &out2, sizeof(out));
	}
	CHECK(cases >= 10, "random: %u cases satisfied the predicate", cases);
	CHECK(ok_pred, "random: the predicate holds for every result");
	CHECK(ok_size, "random: no result is larger than its input");
	CHECK(ok_dec, "random: every result decodes into whole instructions");
	CHECK(ok_det, "random: every result is the same on a second run");
}

int main(void)
{
	char err[160];
	if (dec_open(&dec, err, sizeof(err)) < 0) {
		printf("FAILED: %s\n", err);
		return 1;
	}
	test_ud2_rax();
	test_prefix_imm();
	test_nop();
	test_data();
	test_errors();
	test_random();
	dec_close(&dec);
	return check_done("test_min_engine");
}
