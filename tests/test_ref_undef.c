/* An instruction that reads a flag an earlier one left undefined ends the
 * reference run as unsupported ("undef-flags:<mnemonic>"), since the value
 * the CPU chose would flow into registers and control flow unmasked. */
#include <string.h>
#include "check.h"
#include "executor.h"

static struct executor ref;
static struct outcome out;

static const struct exit_event *run_mode(const char *what, const uint8_t *code, unsigned len,
					 enum cpu_mode mode)
{
	struct test_case c;
	case_init(&c);
	c.mode = mode;
	memcpy(c.code, code, len);
	c.code_len = len;
	snprintf(c.id, sizeof(c.id), "%s", what);
	if (ref.ops->run(&ref, &c, &out) < 0)
		return NULL;
	return outcome_terminal(&out);
}

static const struct exit_event *run(const char *what, const uint8_t *code, unsigned len)
{
	return run_mode(what, code, len, MODE_LONG64);
}

/* A consumer Capstone 4.0.2 lists without a "tests flag" bit (ADC, SBB,
 * RCL, RCR, CMC, DAA/DAS/AAA/AAS, INTO, ...) must stop the run too. */
static void check_consumer(const char *what, const uint8_t *code, unsigned len,
			   enum cpu_mode mode, const char *name, uint64_t rip)
{
	const struct exit_event *t = run_mode(what, code, len, mode);
	CHECK(t && t->kind == EXIT_UNSUPPORTED, "%s: unsupported", what);
	CHECK(!strcmp(out.mnemonic, name), "%s: named %s (got '%s')", what, name, out.mnemonic);
	CHECK(t && t->rip == rip, "%s: stops at the consumer 0x%llx", what, (unsigned long long)rip);
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

	/* bsf eax, ebx with EBX = 0 leaves CF undefined; adc/sbb/rcl/cmc read it. */
	static const uint8_t bsf_adc[] = { 0x0f, 0xbc, 0xc3, 0x11, 0xc9, 0xf4 };
	check_consumer("bsf-adc", bsf_adc, sizeof(bsf_adc), MODE_LONG64, "undef-flags:adc", 0x10003);
	static const uint8_t bsf_sbb[] = { 0x0f, 0xbc, 0xc3, 0x19, 0xc9, 0xf4 };
	check_consumer("bsf-sbb", bsf_sbb, sizeof(bsf_sbb), MODE_LONG64, "undef-flags:sbb", 0x10003);
	static const uint8_t bsf_cmc[] = { 0x0f, 0xbc, 0xc3, 0xf5, 0xf4 };
	check_consumer("bsf-cmc", bsf_cmc, sizeof(bsf_cmc), MODE_LONG64, "undef-flags:cmc", 0x10003);
	/* shr cl, 8 on a byte: CF undefined (count >= width, SDM Vol. 2B SHR
	 * Flags Affected); rcl esi, 1 reads it. */
	static const uint8_t shr_rcl[] = { 0xc0, 0xe9, 0x08, 0xd1, 0xd6, 0xf4 };
	check_consumer("shr8-rcl", shr_rcl, sizeof(shr_rcl), MODE_PROT32, "undef-flags:rcl", 0x10003);
	/* aam leaves CF and AF undefined (SDM Vol. 2A AAM); das reads both. */
	static const uint8_t aam_das[] = { 0xd4, 0x0a, 0x2f, 0xf4 };
	check_consumer("aam-das", aam_das, sizeof(aam_das), MODE_PROT32, "undef-flags:das", 0x10002);
	/* and leaves AF undefined; aaa reads it. */
	static const uint8_t and_aaa[] = { 0x21, 0xd8, 0x37, 0xf4 };
	check_consumer("and-aaa", and_aaa, sizeof(and_aaa), MODE_PROT32, "undef-flags:aaa", 0x10002);
	ref.ops->fini(&ref);
	return check_done("test_ref_undef");
}
