/* What the reference does with bytes Capstone cannot decode: #UD only
 * where the architecture says so (opcodes invalid in 64-bit mode, unused
 * group encodings, LOCK on an instruction that cannot take it); anything
 * else ends the case unsupported, since Capstone 4 misses valid encodings. */
#include <string.h>
#include "check.h"
#include "executor.h"

static struct executor ref;
static struct outcome out;

static const struct exit_event *run(const uint8_t *code, unsigned len)
{
	struct test_case c;
	case_init(&c);
	c.gpr[RAX] = 0x12000;
	memcpy(c.code, code, len);
	c.code_len = len;
	if (ref.ops->run(&ref, &c, &out) < 0)
		return NULL;
	return outcome_terminal(&out);
}

static void want_ud(const char *what, const uint8_t *code, unsigned len)
{
	const struct exit_event *t = run(code, len);
	CHECK(t && t->kind == EXIT_EXCEPTION && t->addr == 6 && t->rip == 0x10000,
	      "%s: #UD at the first byte", what);
}

static void want_unsupported(const char *what, const uint8_t *code, unsigned len)
{
	const struct exit_event *t = run(code, len);
	CHECK(t && t->kind == EXIT_UNSUPPORTED && !strcmp(out.mnemonic, "(undecodable)"),
	      "%s: unsupported (undecodable), got kind %d '%s'", what, t ? t->kind : -1, out.mnemonic);
}

int main(void)
{
	ref.ops = &ref_executor_ops;
	if (ref.ops->init(&ref, ref.err, sizeof(ref.err)) < 0) {
		printf("FAILED: init: %s\n", ref.err);
		return 1;
	}
	static const uint8_t push_es[] = { 0x06, 0xf4 };
	static const uint8_t rex_aaa[] = { 0x48, 0x37, 0xf4 };
	static const uint8_t ff7[] = { 0xff, 0xff, 0xf4 };
	static const uint8_t fe2[] = { 0xfe, 0x10, 0xf4 };
	static const uint8_t lock_mov[] = { 0xf0, 0x89, 0x00, 0xf4 };
	static const uint8_t nop_dx[] = { 0x66, 0x0f, 0x1f, 0xc2, 0xf4 };
	want_ud("PUSH ES (06)", push_es, sizeof(push_es));
	want_ud("REX + AAA (37)", rex_aaa, sizeof(rex_aaa));
	want_ud("FF /7", ff7, sizeof(ff7));
	want_ud("FE /2", fe2, sizeof(fe2));
	want_ud("LOCK MOV", lock_mov, sizeof(lock_mov));
	static const uint8_t ud0[] = { 0x0f, 0xff, 0x00, 0xf4 };
	static const uint8_t lock_rex_ud0[] = { 0xf0, 0x45, 0x0f, 0xff, 0xc1, 0xf4 };
	static const uint8_t mov_sreg6[] = { 0x8e, 0xf0, 0xf4 };      /* mov sreg6, ax */
	static const uint8_t mov_from_sreg7[] = { 0x8c, 0xf8, 0xf4 }; /* mov eax, sreg7 */
	static const uint8_t c7_f9[] = { 0xc7, 0xf9, 0, 0, 0, 0, 0xf4 };
	static const uint8_t c6_7mem[] = { 0xc6, 0x38, 0x00, 0xf4 };
	want_ud("UD0 (0F FF /r)", ud0, sizeof(ud0));
	want_ud("LOCK REX UD0", lock_rex_ud0, sizeof(lock_rex_ud0));
	want_ud("MOV to segment register 6 (8E /6)", mov_sreg6, sizeof(mov_sreg6));
	want_ud("MOV from segment register 7 (8C /7)", mov_from_sreg7, sizeof(mov_from_sreg7));
	want_ud("C7 /7 other than XBEGIN (C7 F9)", c7_f9, sizeof(c7_f9));
	want_ud("C6 /7 with a memory operand (not XABORT)", c6_7mem, sizeof(c6_7mem));
	want_unsupported("NOP DX (66 0F 1F C2), valid but unknown to Capstone 4", nop_dx, sizeof(nop_dx));
	/* An undecodable #UD outside long mode is named by "(bad)", not by the
	 * exception stub's HLT that ends the case (LOCK MFENCE in 32-bit code,
	 * which Capstone 4 refuses). */
	{
		struct test_case pc;
		case_init(&pc);
		pc.mode = MODE_PROT32;
		static const uint8_t lock_mfence[] = { 0xf0, 0x0f, 0xae, 0xf0, 0xf4 };
		memcpy(pc.code, lock_mfence, sizeof(lock_mfence));
		pc.code_len = sizeof(lock_mfence);
		ref.ops->run(&ref, &pc, &out);
		const struct exit_event *t = outcome_terminal(&out);
		CHECK(t && t->kind == EXIT_EXCEPTION && t->addr == 6 && !strcmp(t->by, "(bad)") &&
		      !strcmp(out.mnemonic, "(bad)"),
		      "prot32 LOCK MFENCE: #UD named (bad) (by '%s', mnemonic '%s')",
		      t ? t->by : "", out.mnemonic);
	}
	/* F3 before 66 is decoded with the right operand size (prefix order). */
	static const uint8_t div16[] = { 0x66, 0xf3, 0xf7, 0xf1, 0xf4 }; /* rep div cx */
	struct test_case c;
	case_init(&c);
	c.gpr[RAX] = 0x10064;
	c.gpr[RCX] = 10;
	memcpy(c.code, div16, sizeof(div16));
	c.code_len = sizeof(div16);
	ref.ops->run(&ref, &c, &out);
	CHECK_EQ_U64(out.state.gpr[RAX], 0x1000a, "66 F3 F7 /6 is a 16-bit DIV: AX = 100/10, upper RAX kept");
	CHECK_EQ_U64(out.state.gpr[RDX], 0, "DX = remainder 0");
	/* POPCNT with F3 among other prefixes: Capstone 4 wants the F3 next
	 * to the opcode, the reference tries that second (prefix order). */
	static const uint8_t popcnt67[] = { 0xf3, 0x67, 0x0f, 0xb8, 0x08, 0xf4 }; /* popcnt ecx, [eax] */
	case_init(&c);
	c.gpr[RAX] = 0x12000;
	c.data_len = 4;
	c.data[0] = 0xff, c.data[1] = 0x01;
	memcpy(c.code, popcnt67, sizeof(popcnt67));
	c.code_len = sizeof(popcnt67);
	static struct cpuid_table popcnt = { .n = 1, .e = { { 1, 0, 0, 0, 1u << 23, 0 } } };
	ref.cpuid = &popcnt;
	ref.ops->run(&ref, &c, &out);
	CHECK_EQ_U64(out.state.rip, 0x10006, "F3 67 0F B8 decodes (POPCNT) and runs to the HLT");
	CHECK_EQ_U64(out.state.gpr[RCX], 9, "popcnt ecx, [eax] = 9 bits of 0x1ff");
	ref.ops->fini(&ref);
	return check_done("test_ref_decode");
}
