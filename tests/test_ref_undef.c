/* An instruction that reads a flag an earlier one left undefined ends the
 * reference run as unsupported ("undef-flags:<mnemonic>"), since the value
 * the CPU chose would flow into registers and control flow unmasked. */
#include <string.h>
#include "check.h"
#include "executor.h"

static struct executor ref;
static struct outcome out;

static const struct exit_event *run(const char *what, const uint8_t *code, unsigned len)
{
	struct test_case c;
	case_init(&c);
	memcpy(c.code, code, len);
	c.code_len = len;
	snprintf(c.id, sizeof(c.id), "%s", what);
	if (ref.ops->run(&ref, &c, &out) < 0)
		return NULL;
	return outcome_terminal(&out);
}

int main(void)
{
	ref.ops = &ref_executor_ops;
	if (ref.ops->init(&ref, ref.err, sizeof(ref.err)) < 0) {
		printf("FAILED: init: %s\n", ref.err);
		return 1;
	}
	/* mul ebx leaves ZF undefined; je reads it. */
	static const uint8_t mul_je[] = { 0xf7, 0xe3, 0x74, 0x00, 0xf4 };
	const struct exit_event *t = run("mul-je", mul_je, sizeof(mul_je));
	CHECK(t && t->kind == EXIT_UNSUPPORTED, "mul then je: unsupported");
	CHECK(!strcmp(out.mnemonic, "undef-flags:je"), "named undef-flags:je (got '%s')", out.mnemonic);
	CHECK_EQ_U64(t ? t->rip : 0, 0x10002, "stops at the je");

	/* mul then jc: CF is defined by MUL, the case runs to its HLT. */
	static const uint8_t mul_jc[] = { 0xf7, 0xe3, 0x72, 0x00, 0xf4 };
	t = run("mul-jc", mul_jc, sizeof(mul_jc));
	CHECK(t && t->kind == EXIT_HLT, "mul then jc: runs to HLT");

	/* and leaves AF undefined, then add redefines it: a later read is fine. */
	static const uint8_t and_add_seto[] = { 0x21, 0xd8, 0x01, 0xd8, 0x0f, 0x90, 0xc1, 0xf4 };
	t = run("and-add-seto", and_add_seto, sizeof(and_add_seto));
	CHECK(t && t->kind == EXIT_HLT, "and, add, seto: runs to HLT");

	/* and then setbe (reads CF, ZF: both defined by AND) is fine too. */
	static const uint8_t and_setbe[] = { 0x21, 0xd8, 0x0f, 0x96, 0xc1, 0xf4 };
	t = run("and-setbe", and_setbe, sizeof(and_setbe));
	CHECK(t && t->kind == EXIT_HLT, "and then setbe: runs to HLT");
	ref.ops->fini(&ref);
	return check_done("test_ref_undef");
}
