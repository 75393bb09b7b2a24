/* The minimizer splits real16 and prot32 code at the instruction boundaries
 * of the case's own mode, not at 64-bit ones:
 *   - real16: B8 iw is three bytes (MOV AX, imm16), and 81 /0 iw four; a
 *     64-bit decoder takes four immediate bytes for both and swallows the
 *     next instruction (SDM Vol. 2A 3.1.1.1, operand size 16 by default);
 *   - prot32: 40-4F are INC/DEC, each its own instruction; a 64-bit
 *     decoder takes them as REX prefixes of what follows (SDM Vol. 2A
 *     2.2.1).
 * First the units min_decode gives for the same bytes in each mode, then
 * whole minimizations whose predicate is the reference itself ("ends in
 * #UD with BX = want"), each with the exact smallest code that only
 * right boundaries reach (64-bit boundaries leave b8 00 00 81 c3 05 00 0f
 * 0b and 43 89 c1 0f 0b). */
#include <string.h>
#include "check.h"
#include "executor.h"
#include "min.h"
#include "min_internal.h"

static struct executor ref;
static struct dec dec;

/* Unit lengths of code in mode, as "3 3 2". */
static void units(enum cpu_mode mode, const uint8_t *code, unsigned len, char *out, size_t n)
{
	static struct min_insn in[CASE_CODE_MAX];
	unsigned k = min_decode(&dec, mode, code, len, in, CASE_CODE_MAX);
	out[0] = 0;
	for (unsigned i = 0; i < k; i++)
		snprintf(out + strlen(out), n - strlen(out), "%s%u%s", i ? " " : "", in[i].len,
			 in[i].npfx ? "p" : "");
}

static void check_units(const char *what, enum cpu_mode mode, const uint8_t *code,
			unsigned len, const char *want)
{
	char got[128];
	units(mode, code, len, got, sizeof(got));
	CHECK(!strcmp(got, want), "%s in %s: units \"%s\" (wanted \"%s\"; p: has prefixes)",
	      what, mode_name(mode), got, want);
}

struct want_ud {
	uint64_t rbx;
	unsigned long calls;
};

/* The reference ends the candidate in #UD with RBX = want (masked to the
 * mode's register width by the executor). */
static int pred_ud_rbx(void *ctx, const struct test_case *c)
{
	struct want_ud *w = ctx;
	static struct outcome o;
	w->calls++;
	if (ref.ops->run(&ref, c, &o) < 0)
		return -1;
	const struct exit_event *t = outcome_terminal(&o);
	return t && t->kind == EXIT_EXCEPTION && t->addr == 6 && o.state.gpr[RBX] == w->rbx;
}

static void hex(const struct test_case *c, char *out, size_t n)
{
	out[0] = 0;
	for (unsigned i = 0; i < c->code_len && 3 * i + 3 < n; i++)
		snprintf(out + 3 * i, n - 3 * i, "%02x ", c->code[i]);
}

static void check_min(const char *what, enum cpu_mode mode, const uint8_t *code, unsigned len,
		      uint64_t rbx, const uint8_t *want, unsigned want_len)
{
	static struct test_case in, out;
	case_init(&in);
	in.mode = (uint8_t)mode;
	snprintf(in.id, sizeof(in.id), "%s", what);
	memcpy(in.code, code, len);
	in.code_len = len;
	struct want_ud w = { .rbx = rbx };
	CHECK(pred_ud_rbx(&w, &in) == 1, "%s: the input ends in #UD with RBX 0x%llx", what,
	      (unsigned long long)rbx);
	int rc = min_case(&in, pred_ud_rbx, &w, &out, NULL);
	static struct test_case wanted;
	wanted = in;
	memcpy(wanted.code, want, want_len);
	wanted.code_len = want_len;
	char got_hex[64], want_hex[64];
	hex(&out, got_hex, sizeof(got_hex));
	hex(&wanted, want_hex, sizeof(want_hex));
	CHECK(rc == MIN_OK, "%s: minimized (rc %d, %lu predicate calls)", what, rc, w.calls);
	CHECK(out.mode == mode, "%s: still %s", what, mode_name(out.mode));
	CHECK(out.code_len == want_len && !memcmp(out.code, want, want_len),
	      "%s: code %s(wanted %s)", what, got_hex, want_hex);
	CHECK(pred_ud_rbx(&w, &out) == 1, "%s: the result still ends in #UD with RBX 0x%llx",
	      what, (unsigned long long)rbx);
}

int main(void)
{
	char err[256];
	ref.ops = &ref_executor_ops;
	if (ref.ops->init(&ref, err, sizeof(err)) < 0 || dec_open(&dec, err, sizeof(err)) < 0) {
		printf("FAILED: %s\n", err);
		return 1;
	}

	/* mov ax,0x1234; add bx,5; ud2 */
	static const uint8_t r16[] = { 0xb8, 0x34, 0x12, 0x81, 0xc3, 0x05, 0x00, 0x0f, 0x0b };
	check_units("mov ax; add bx,imm16; ud2", MODE_REAL16, r16, sizeof(r16), "3 4 2");
	check_units("the same bytes", MODE_LONG64, r16, sizeof(r16), "5 1 2 1");
	/* inc ebx; dec eax; mov ecx,eax; ud2 */
	static const uint8_t p32[] = { 0x43, 0x48, 0x89, 0xc1, 0x0f, 0x0b };
	check_units("inc ebx; dec eax; mov ecx,eax; ud2", MODE_PROT32, p32, sizeof(p32),
		    "1 1 2 2");
	check_units("inc ebx; dec eax; mov ecx,eax; ud2", MODE_PROT32PG, p32, sizeof(p32),
		    "1 1 2 2");
	check_units("the same bytes", MODE_LONG64, p32, sizeof(p32), "4p 2");

	/* drop-insns removes the MOV whole, shrink-imms narrows 81 /0 iw to
	 * 83 /0 ib: only 16-bit boundaries get there. */
	static const uint8_t r16_min[] = { 0x83, 0xc3, 0x05, 0x0f, 0x0b };
	check_min("real16 add bx", MODE_REAL16, r16, sizeof(r16), 5, r16_min, sizeof(r16_min));
	/* drop-insns removes DEC and MOV apart from the INC the predicate
	 * needs; as 64-bit code the three are one instruction. */
	static const uint8_t p32_min[] = { 0x43, 0x0f, 0x0b };
	check_min("prot32 inc ebx", MODE_PROT32, p32, sizeof(p32), 1, p32_min, sizeof(p32_min));

	dec_close(&dec);
	ref.ops->fini(&ref);
	return check_done("test_min_modes");
}
